"""action_escalate against the real backend and a real agent desk: the hand-over is
queued with a valid packet, the customer is told what happens next and the
conversation paused; with the desk unreachable, the customer is told so, the
conversation is not paused and the note on their file is kept for delivery."""

import uuid
from typing import Any

import pytest

from actions import outbox
from actions.escalate import ActionEscalate
from actions.slots import HUMAN_OFFERED, VERIFIED_CUSTOMER_ID
from escalation.decision import Decision, decision_record
from escalation.names import DECISION_SLOT
from tests.desk.support import agent
from tests.support.crm import crm
from tests.support.services import free_port
from tests.unit.actions.conftest import outcomes, recorded, responses, run, slots_set, tracker

ASKED = Decision(
    True, False, "human_requested", "human_request", {"intent": "request_human"}, 0.0, False
)


def asked_for_a_person(sender: str, **slots: Any) -> Any:
    return tracker(
        {DECISION_SLOT: decision_record(ASKED, "rest"), **slots},
        text="I want to talk to a person",
        intent="request_human",
        sender=sender,
    )


def queued(desk_url: str, sender: str) -> list[dict[str, Any]]:
    """The desk's open hand-overs of this conversation, as an agent sees them."""
    listing = agent(desk_url).get("/api/handoffs")
    assert listing.status_code == 200, listing.text
    return [h for h in listing.json() if h["conversation_id"] == sender]


def test_a_request_for_a_person_is_queued_told_and_paused(desk_url: str) -> None:
    sender = f"escalate-{uuid.uuid4().hex[:8]}"
    events, said = run(ActionEscalate(), asked_for_a_person(sender))
    [handoff] = queued(desk_url, sender)
    slots = slots_set(events)
    assert outcomes(events) == [("action_escalate", "hand_over", "handed_over")]
    assert recorded(events)[-1]["record"] == handoff["id"]
    assert slots[HUMAN_OFFERED] is False
    assert slots[VERIFIED_CUSTOMER_ID] is None  # nobody verified: no customer in the packet
    assert events[-1]["event"] == "pause"
    assert said and all(
        response and response.startswith("utter_handoff") for response in responses(said)
    )
    assert outbox.store().pending() == 1  # the note on the customer's file, kept for delivery


def test_a_verified_customers_hand_over_carries_who_they_are(desk_url: str) -> None:
    sender = f"escalate-{uuid.uuid4().hex[:8]}"
    events, _ = run(
        ActionEscalate(), asked_for_a_person(sender, **{VERIFIED_CUSTOMER_ID: "C-1001"})
    )
    [handoff] = queued(desk_url, sender)
    detail = agent(desk_url).get(f"/api/handoffs/{handoff['id']}")
    assert detail.status_code == 200, detail.text
    packet = detail.json()["packet"]
    customer = next(c for c in crm()["customers"] if c["id"] == "C-1001")
    assert packet["customer"] == {
        "verified": True,
        "customer_id": "C-1001",
        "name": f"{customer['first_name']} {customer['last_name']}",
        "tier": customer["tier"],
    }
    assert packet["escalation"]["reason_code"] == "human_requested"
    assert slots_set(events)[VERIFIED_CUSTOMER_ID] == "C-1001"


def test_a_form_in_progress_is_ended_by_the_hand_over(desk_url: str) -> None:
    sender = f"escalate-{uuid.uuid4().hex[:8]}"
    track = asked_for_a_person(sender)
    track.active_loop = {"name": "verification_form"}
    events, _ = run(ActionEscalate(), track)
    assert {"event": "active_loop", "name": None} in [
        {"event": e["event"], "name": e.get("name")} for e in events
    ]
    assert slots_set(events)["requested_slot"] is None


def test_with_the_desk_unreachable_the_customer_is_told_and_not_paused(
    configured: pytest.MonkeyPatch,
) -> None:
    configured.setenv("DESK_URL", f"http://127.0.0.1:{free_port()}")
    events, said = run(ActionEscalate(), asked_for_a_person(f"escalate-{uuid.uuid4().hex[:8]}"))
    assert said == [("utter_handoff_unavailable", {})]  # the hours are the desk's: unknown
    assert all(e["event"] != "pause" for e in events)
    assert outcomes(events) == [("action_escalate", "hand_over", "unavailable")]
    assert outbox.store().pending() == 1  # the request stays on the customer's file
