"""Moving or cancelling a booked appointment over REST against the running stack:
the appointment (the customer's only one), move or cancel, for a move a free time at
its store, a confirmation restating the change, and the change made in the sample
backend. A doubled yes changes it once; a new time taken between the offer and the
yes is refused with the nearest free ones; the backend failing at the yes changes
nothing and the customer hears so."""

import requests

from actions.appointment_form import when
from tests.support.stack import Stack, vouched

APOLOGY = "can't reach our systems"


def free(stack: Stack, store: str) -> list[str]:
    reply = requests.get(
        f"{stack.config.backend_url}/appointment_slots", params={"store_id": store}, timeout=10
    )
    reply.raise_for_status()
    return [item["start"] for item in reply.json()["items"]]


def book(stack: Stack, customer: str, store: str, start: str) -> str:
    reply = requests.post(
        f"{stack.config.backend_url}/appointments",
        json={"customer_id": customer, "store_id": store, "start": start, "purpose": "repair"},
        timeout=10,
    )
    assert reply.status_code == 201, reply.text
    appointment_id: str = reply.json()["id"]
    return appointment_id


def outcomes(stack: Stack, sender: str) -> list[tuple[str, str]]:
    slots = stack.tracker(sender)["slots"]
    return [(o["goal"], o["result"]) for o in slots.get("outcomes") or []]


def test_an_appointment_is_moved_and_a_new_time_taken_meanwhile_is_refused(stack: Stack) -> None:
    start = free(stack, "ST-MAN")[-1]
    appointment = book(stack, "C-1032", "ST-MAN", start)
    chat = vouched(stack, "C-1032")
    offered = chat.say("I need to move my appointment")
    assert "free at Brightwave Manchester" in offered
    wanted = free(stack, "ST-MAN")[0]
    confirmation = chat.say("the first one")
    assert f"move a repair at Brightwave Manchester from {when(start)} to {when(wanted)}" in (
        confirmation
    )
    book(stack, "C-1002", "ST-MAN", wanted)  # someone else takes it meanwhile
    refused = chat.say("yes")
    assert f"{when(wanted)} was booked by someone else" in refused
    alternative = free(stack, "ST-MAN")[0]
    assert "Shall I move it?" in chat.say(alternative)
    moved = chat.say("yes")
    assert f"is now {when(alternative)} (appointment {appointment})" in moved
    assert start in free(stack, "ST-MAN") and alternative not in free(stack, "ST-MAN")
    assert [r for g, r in outcomes(stack, chat.sender) if g == "change_appointment"] == [
        "failed",
        "done",
    ]


def test_an_appointment_is_cancelled_once_however_often_the_yes_comes(stack: Stack) -> None:
    start = free(stack, "ST-LON")[-1]
    appointment = book(stack, "C-1033", "ST-LON", start)
    chat = vouched(stack, "C-1033")
    confirmation = chat.say("please cancel my appointment")
    assert f"cancel a repair at Brightwave London Soho, {when(start)}" in confirmation
    cancelled = chat.say("yes")
    assert f"is cancelled (appointment {appointment})" in cancelled
    assert "is cancelled" not in chat.say("yes")
    assert start in free(stack, "ST-LON")
    assert [r for g, r in outcomes(stack, chat.sender) if g == "change_appointment"] == ["done"]


def test_the_backend_failing_at_the_yes_changes_nothing_and_says_so(stack: Stack) -> None:
    start = free(stack, "ST-PAR")[-1]
    book(stack, "C-1035", "ST-PAR", start)
    chat = vouched(stack, "C-1035")
    assert "Shall I cancel it?" in chat.say("I have to cancel my appointment")
    stack.stop_backend()
    try:
        answer = chat.say("yes")
    finally:
        stack.start_backend()
    assert APOLOGY in answer and "is cancelled" not in answer
    assert start not in free(stack, "ST-PAR")  # still booked
    assert ("change_appointment", "unavailable") in outcomes(stack, chat.sender)
