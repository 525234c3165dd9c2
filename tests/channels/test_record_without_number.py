"""A question about a record whose number the customer does not know, on a channel
that knows the customer's number (issue #11.7): the number names the customer, one
knowledge factor confirms it, and the record is found."""

from tests.channels.twilio_fake import TwilioApi
from tests.support.channels import WhatsAppChat
from tests.support.crm import customer, first_with
from tests.support.stack import Stack


def test_a_failed_payment_is_found_by_the_whatsapp_number(
    channel_stack: Stack, twilio_api: TwilioApi
) -> None:
    invoice = first_with("invoices", status="failed")
    owner = customer(invoice["customer_id"])
    chat = WhatsAppChat(channel_stack, twilio_api, owner["whatsapp"])
    asked = " ".join(chat.say("why did my payment fail?"))
    assert "postcode" in asked and "invoice number" not in asked
    answer = " ".join(chat.say(owner["postcode"]))
    assert invoice["id"] in answer and invoice["failure_reason"] in answer
