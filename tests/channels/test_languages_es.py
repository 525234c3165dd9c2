"""A Spanish customer on WhatsApp: the number names them, a knowledge factor
confirms it, and the order's status comes back in Spanish."""

from tests.channels.twilio_fake import TwilioApi
from tests.support.channels import WhatsAppChat
from tests.support.crm import customer, first_with
from tests.support.stack import Stack


def test_a_spanish_order_question_on_whatsapp_is_verified_and_answered_in_spanish(
    channel_stack: Stack, twilio_api: TwilioApi
) -> None:
    order = first_with("orders", id="BW-100075")
    owner = customer(order["customer_id"])
    assert owner["language"] == "es" and order["status"] == "shipped"
    chat = WhatsAppChat(channel_stack, twilio_api, owner["whatsapp"])
    asked = " ".join(chat.say(f"Hola, ¿cuándo me llega el pedido {order['id']}?"))
    assert "código postal" in asked and "postcode" not in asked
    answer = " ".join(chat.say(owner["postcode"]))
    assert f"Su pedido {order['id']}" in answer and "ya se ha enviado" in answer
    # Babel's Spanish date ("26 November 2026" in English).
    assert "26 de noviembre de 2026" in answer
    slots = channel_stack.tracker(chat.conversation)["slots"]
    assert slots["language"] == "es"
