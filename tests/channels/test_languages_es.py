"""A Spanish customer on WhatsApp: the number names them, a knowledge factor
confirms it, and the order's status comes back in Spanish."""

from tests.channels.twilio_fake import TwilioApi
from tests.support.channels import WhatsAppChat
from tests.support.crm import customer, first_with
from tests.support.stack import Stack


def test_a_spanish_order_question_on_whatsapp_is_verified_and_answered_in_spanish(
    channel_stack: Stack, twilio_api: TwilioApi
) -> None:
    # Not BW-100075: its owner has the last failed invoice, which test_whatsapp.py's
    # payment test fixes on this stack's WhatsApp (one number, one conversation).
    order = first_with("orders", id="BW-100073")
    owner = customer(order["customer_id"])
    assert owner["language"] == "es" and order["status"] == "processing"
    chat = WhatsAppChat(channel_stack, twilio_api, owner["whatsapp"])
    asked = " ".join(chat.say(f"Hola, ¿cuándo me llega el pedido {order['id']}?"))
    assert "código postal" in asked and "postcode" not in asked
    answer = " ".join(chat.say(owner["postcode"]))
    assert f"Su pedido {order['id']}" in answer and "todavía no se ha enviado" in answer
    # Babel's Spanish date ("25 November 2026" in English).
    assert "25 de noviembre de 2026" in answer
    slots = channel_stack.tracker(chat.conversation)["slots"]
    assert slots["language"] == "es"
