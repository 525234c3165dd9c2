"""A German customer on WhatsApp: verified and answered in German, with the backend's
values (a delay's reason) and dates in German too."""

from actions.render import day
from tests.channels.twilio_fake import TwilioApi
from tests.support.channels import WhatsAppChat
from tests.support.crm import german_delayed_order
from tests.support.stack import Stack


def test_a_german_order_question_on_whatsapp_is_verified_and_answered_in_german(
    channel_stack: Stack, twilio_api: TwilioApi
) -> None:
    order, owner = german_delayed_order()
    chat = WhatsAppChat(channel_stack, twilio_api, owner["whatsapp"])
    [asked] = chat.say("Hallo, wo bleibt meine Bestellung BW-100055?")
    assert "Postleitzahl" in asked and "postcode" not in asked
    answer = " ".join(chat.say(owner["postcode"]))
    assert "Ihre Bestellung BW-100055" in answer
    assert "verzögert sich wegen einer Zollkontrolle" in answer
    assert day(order["eta"], "de") in answer  # e.g. "28. November 2026"
    assert "customs" not in answer and day(order["eta"]) not in answer
