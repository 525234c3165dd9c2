"""Booking a repair or advice appointment over REST against the running stack: what
for, which store and which free slot (from the sample backend), a confirmation
restating it, and the booking with its number. A doubled yes books once; a slot
taken between the offer and the yes is refused with the nearest free ones and the
customer picks again; the backend failing at the yes books nothing and says so."""

import requests

from actions.appointment_form import when
from tests.support.stack import Stack, vouched

CONFIRMATION = "Shall I book this appointment?"
APOLOGY = "can't reach our systems"


def free(stack: Stack, store: str) -> list[str]:
    reply = requests.get(
        f"{stack.config.backend_url}/appointment_slots", params={"store_id": store}, timeout=10
    )
    reply.raise_for_status()
    return [item["start"] for item in reply.json()["items"]]


def outcomes(stack: Stack, sender: str) -> list[tuple[str, str]]:
    slots = stack.tracker(sender)["slots"]
    return [(o["goal"], o["result"]) for o in slots.get("outcomes") or []]


def test_a_repair_is_booked_once_however_often_the_yes_comes(stack: Stack) -> None:
    chat = vouched(stack, "C-1013")
    assert "Which store suits you" in chat.say("I need an appointment to get my screen repaired")
    first = free(stack, "ST-MAN")[0]
    offered = chat.say("Manchester")
    assert "free at Brightwave Manchester" in offered and when(first) in offered
    confirmation = chat.say("the first one")
    assert CONFIRMATION in confirmation
    assert f"a repair at Brightwave Manchester, {when(first)}" in confirmation
    booked = chat.say("yes")
    assert "You're booked" in booked and "APT-" in booked
    assert first not in free(stack, "ST-MAN")
    again = chat.say("yes")
    assert "You're booked" not in again
    assert [r for g, r in outcomes(stack, chat.sender) if g == "book_appointment"] == ["done"]


def test_a_slot_taken_between_offer_and_yes_is_refused_with_alternatives(stack: Stack) -> None:
    chat = vouched(stack, "C-1026")
    assert "Which store suits you" in chat.say("I'd like an advice appointment in a store")
    chat.say("Berlin")
    wanted = free(stack, "ST-BER")[0]
    assert when(wanted) in chat.say("the first one")
    taken = requests.post(
        f"{stack.config.backend_url}/appointments",
        json={"customer_id": "C-1002", "store_id": "ST-BER", "start": wanted, "purpose": "advice"},
        timeout=10,
    )
    assert taken.status_code == 201, taken.text
    refused = chat.say("yes")
    assert f"{when(wanted)} was booked by someone else" in refused
    assert "You're booked" not in refused
    alternative = free(stack, "ST-BER")[0]
    assert when(alternative) in refused and "Which one would you like?" in refused
    assert f"an advice session at Brightwave Berlin Mitte, {when(alternative)}" in chat.say(
        alternative
    )
    assert "You're booked" in chat.say("yes")
    assert alternative not in free(stack, "ST-BER")
    assert [r for g, r in outcomes(stack, chat.sender) if g == "book_appointment"] == [
        "failed",
        "done",
    ]


def test_the_backend_failing_at_the_yes_books_nothing_and_says_so(stack: Stack) -> None:
    chat = vouched(stack, "C-1027")
    assert "Which store suits you" in chat.say("book me a repair appointment")
    chat.say("Paris")
    wanted = free(stack, "ST-PAR")[0]
    assert CONFIRMATION in chat.say("the first one")
    stack.stop_backend()
    try:
        answer = chat.say("yes")
    finally:
        stack.start_backend()
    assert APOLOGY in answer and "You're booked" not in answer
    assert wanted in free(stack, "ST-PAR")
    assert ("book_appointment", "unavailable") in outcomes(stack, chat.sender)
