"""Service journeys on the phone and by e-mail against the real backend, sharing the
channels' one stack: an appointment booked in a call (the caller's number names the
customer, the postcode keyed in, the store said, every turn shaped for speech), and a
return started by e-mail over a thread of replies (the reason, the restatement, the
yes, the authorisation in writing)."""

import uuid
from typing import Any

import requests

from tests.channels.mailbox import Mailbox
from tests.channels.test_email import body, message_id, post
from tests.channels.test_voice import Call, assert_voice_shaped
from tests.support.crm import customer
from tests.support.stack import Stack


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
    for turn in (asked, stores, offered, confirmation, booked):
        assert_voice_shaped(turn)


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
    assert "Shall I start this return?" in confirmation
    assert "order BW-100019 (Orbit 12 Lite smartphone, delivered 1 November 2026)" in confirmation
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
