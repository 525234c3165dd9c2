"""Acquisition and onboarding help end to end against the real backend, over REST and
over WhatsApp on one stack: prices and plans from the catalog, a quote with its
working, a lead kept only after the consent restated (and stored with it), an advice
appointment for a prospect, and what a customer whose account is not activated can do."""

import sqlite3
from typing import Any

from tests.channels.twilio_fake import TwilioApi
from tests.support.channels import WhatsAppChat
from tests.support.crm import customer
from tests.support.stack import Conversation, Stack


def outcomes(stack: Stack, sender: str) -> list[tuple[str, str]]:
    slots = stack.tracker(sender)["slots"]
    return [(o["goal"], o["result"]) for o in slots.get("outcomes") or []]


def lead(stack: Stack, lead_id: str) -> dict[str, Any]:
    """The lead as the CRM stored it (the sample backend has no route that reads leads)."""
    path = stack.config.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        row = db.execute("SELECT * FROM leads WHERE id = ?", (lead_id,)).fetchone()
    assert row is not None, lead_id
    return dict(row)


def lead_id(text: str) -> str:
    return next(word.strip(".") for word in text.split() if word.startswith("LEAD-"))


def test_a_prospect_on_rest_is_answered_quoted_and_contacted_only_with_consent(
    channel_stack: Stack,
) -> None:
    chat = Conversation(channel_stack)
    assert "quote" in chat.say("hello")
    assert "The Orbit 12 Lite smartphone costs €449.00" in chat.say(
        "how much is the Orbit 12 Lite?"
    )
    plus = chat.say("what does the plus plan cover?")
    assert "covers screen damage, malfunction, water damage and theft" in plus
    assert "excess is €29.00" in plus
    quote = chat.say("how much would it cost a month to protect the Slate 10 tablet?")
    assert "Basic plan on the Slate 10 tablet: 0.9% of €529.00 = €4.76 a month" in quote
    assert "Plus plan on the Slate 10 tablet: 1.4% of €529.00 = €7.41 a month" in quote
    assert "nothing has been bought" in quote
    assert "What name" in chat.say("I'd like an adviser to contact me about the AirX 14")
    assert "e-mail address or phone number" in chat.say("Sam Lee")
    consent = chat.say("sam.lee@example.com")
    assert "by e-mail at sam.lee@example.com about AirX 14 laptop?" in consent
    kept = chat.say("yes")
    assert "an adviser will contact you by e-mail" in kept
    stored = lead(channel_stack, lead_id(kept))
    assert stored["email"] == "sam.lee@example.com" and stored["interest"] == "AirX 14 laptop"
    assert stored["consent_channel"] == "email" and stored["consent_text_version"] == "2026-11"
    assert stored["consent_given_at"] and stored["customer_id"] is None
    assert outcomes(channel_stack, chat.sender) == [
        ("ask_product_price", "answered"),
        ("ask_protection_plans", "answered"),
        ("get_plan_quote", "answered"),
        ("request_sales_contact", "done"),
    ]


def test_a_prospect_who_says_no_to_the_consent_leaves_nothing_behind(channel_stack: Stack) -> None:
    chat = Conversation(channel_stack)
    chat.say("can someone from sales get in touch with me")
    chat.say("Alex Kim")
    assert "by phone at +447700900777" in chat.say("+44 7700 900777")
    assert "I haven't kept your details" in chat.say("no")
    path = channel_stack.config.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        assert db.execute(
            "SELECT count(*) FROM leads WHERE phone = '+447700900777'"
        ).fetchone() == (0,)
    assert outcomes(channel_stack, chat.sender)[-1] == ("request_sales_contact", "declined")


def test_an_account_not_activated_hears_what_it_can_do_on_rest(channel_stack: Stack) -> None:
    owner = customer("C-1012")  # onboarding; POL-50009 pending activation
    chat = Conversation(channel_stack)
    assert "order number" in chat.say("my account isn't activated yet, what can I do?")
    assert "postcode" in chat.say("BW-100028")
    help_text = chat.say(owner["postcode"])
    assert "Your account isn't activated yet" in help_text
    assert "activate the protection for your Orbit 12 Lite smartphone (policy POL-50009)" in (
        help_text
    )
    assert ("ask_account_activation", "answered") in outcomes(channel_stack, chat.sender)


def test_a_prospect_on_whatsapp_is_quoted_books_advice_and_leaves_a_lead(
    channel_stack: Stack, twilio_api: TwilioApi
) -> None:
    """The device to quote for, the store, the slot and each yes are numbered options; a
    plan question while verifying is answered and the verification goes on."""
    prospect = customer("C-1019")  # a prospect: no orders, no policies
    chat = WhatsAppChat(channel_stack, twilio_api, prospect["whatsapp"])
    devices = " ".join(chat.say("can I get a quote for device protection?"))
    assert "Which device would you like a quote for?" in devices and "1. " in devices
    quote = " ".join(chat.say("1"))  # the first protected device: the Orbit 12 smartphone
    assert "Plus plan on the Orbit 12 smartphone: 1.4% of €799.00 = €11.19 a month" in quote
    asked = " ".join(chat.say("I'd like to book an advice session in a store before I buy"))
    assert "postcode" in asked
    basic = " ".join(chat.say("before that, what's the excess on the basic plan?"))
    assert "excess is €49.00" in basic and "postcode" in basic  # answered, then asked again
    assert "Which store suits you" in " ".join(chat.say(prospect["postcode"]))
    assert "free at Brightwave Manchester" in " ".join(chat.say("2"))
    assert "an advice session at Brightwave Manchester" in " ".join(chat.say("1"))
    assert "You're booked" in " ".join(chat.say("1"))
    assert "What name" in " ".join(chat.say("please have an adviser contact me"))
    chat.say("Noah Patel")
    consent = " ".join(chat.say(prospect["phone"]))
    assert f"by phone at {prospect['phone']}" in consent and "1. Yes, you may contact me" in consent
    kept = " ".join(chat.say("1"))
    stored = lead(channel_stack, lead_id(kept))
    assert stored["phone"] == prospect["phone"] and stored["consent_channel"] == "phone"
    assert stored["customer_id"] == "C-1019"  # verified for the booking
    assert outcomes(channel_stack, chat.conversation) == [
        ("get_plan_quote", "answered"),
        ("ask_protection_plans", "answered"),
        ("verify_identity", "verified"),
        ("book_appointment", "done"),
        ("request_sales_contact", "done"),
    ]


def test_an_account_not_activated_hears_what_it_can_do_on_whatsapp(
    channel_stack: Stack, twilio_api: TwilioApi
) -> None:
    owner = customer("C-1032")  # onboarding; POL-50024 pending activation
    chat = WhatsAppChat(channel_stack, twilio_api, owner["whatsapp"])
    assert "postcode" in " ".join(chat.say("how do I activate my account?"))
    help_text = " ".join(chat.say(owner["postcode"]))
    assert "Your account isn't activated yet" in help_text and "POL-50024" in help_text
    assert "welcome e-mail" in help_text
