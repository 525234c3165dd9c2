"""End to end through Twilio's stand-in: "STOP" on WhatsApp opts the number's customer
out on every channel, with the confirmation, and the conversation keeps working."""

import requests

from tests.channels.twilio_fake import TwilioApi
from tests.support.channels import WhatsAppChat, channel_stack, mailbox, twilio_api
from tests.support.crm import customer
from tests.support.stack import Stack

__all__ = ["channel_stack", "mailbox", "twilio_api"]  # the channel tests' fixtures: the whole stack


def test_stop_on_whatsapp_opts_out_everywhere_and_the_chat_goes_on(
    channel_stack: Stack, twilio_api: TwilioApi
) -> None:
    config = channel_stack.config
    owner = customer("C-1001")
    chat = WhatsAppChat(channel_stack, twilio_api, owner["whatsapp"])
    said = " ".join(chat.say("STOP"))
    assert "won't send you any more automated messages" in said
    answer = requests.get(
        f"{config.outreach_url}/customers/C-1001/consent",
        headers={"Authorization": f"Bearer {config.outreach_api_token}"},
        timeout=10,
    ).json()
    for purpose in ("service", "marketing"):
        assert answer["consent"][purpose] == {"whatsapp": False, "email": False, "voice": False}
    assert answer["history"][-1]["source"] == "customer:twilio"
    asked = " ".join(chat.say("where is my order?"))
    assert "postcode" in asked
