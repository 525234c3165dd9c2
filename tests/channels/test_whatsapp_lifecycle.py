"""Onboarding and retention on WhatsApp through Twilio: a pending device policy
activated, and a policy cancelled after the reason and a declined offer, each with
numbered options for the yes and the reasons, against the real backend."""

import requests

from tests.channels.twilio_fake import TwilioApi
from tests.support.channels import WhatsAppChat
from tests.support.crm import customer
from tests.support.stack import Stack


def status(stack: Stack, customer_id: str) -> str:
    url = f"{stack.config.backend_url}/customers/{customer_id}/device_policies"
    [policy] = requests.get(url, timeout=10).json()["items"]
    return str(policy["status"])


def test_a_pending_policy_is_activated_on_whatsapp(
    channel_stack: Stack, twilio_api: TwilioApi
) -> None:
    """The number names the customer, the postcode confirms it; "1" is the yes to the
    device and to the terms."""
    owner = customer("C-1011")  # POL-50008, basic plan on an Orbit 12 smartphone, pending
    chat = WhatsAppChat(channel_stack, twilio_api, owner["whatsapp"])
    assert "postcode" in " ".join(chat.say("I want to activate my protection plan"))
    device = " ".join(chat.say(owner["postcode"]))
    assert "Orbit 12 smartphone" in device and "1. Yes, that's it" in device
    assert "IMEI" in " ".join(chat.say("1"))
    terms = " ".join(chat.say("352099001761481"))
    assert "excess of €49.00" in terms and "Do you accept these terms?" in terms
    assert status(channel_stack, "C-1011") == "pending_activation"
    assert "your policy POL-50008 is active" in " ".join(chat.say("1"))
    assert status(channel_stack, "C-1011") == "active"


def test_a_policy_is_cancelled_on_whatsapp_after_a_declined_offer(
    channel_stack: Stack, twilio_api: TwilioApi
) -> None:
    """The reasons are numbered options; a customer since January 2025 who is switching
    provider is offered a month free; "2" declines it and "1" is the yes."""
    owner = customer("C-1044")  # POL-50030, plus plan on a Pulse 2 smartwatch
    chat = WhatsAppChat(channel_stack, twilio_api, owner["whatsapp"])
    assert "postcode" in " ".join(chat.say("I want to cancel my device insurance"))
    why = " ".join(chat.say(owner["postcode"]))
    assert "May I ask why?" in why and "3. I'm switching provider" in why
    assert "next month free" in " ".join(chat.say("3"))
    assert "Shall I cancel it?" in " ".join(chat.say("2"))
    done = " ".join(chat.say("1"))
    assert "is cancelled" in done and "your cover ends on 24 December 2026" in done
    assert status(channel_stack, "C-1044") == "cancelled"
