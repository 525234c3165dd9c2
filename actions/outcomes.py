"""The record of what happened: each action that does something appends one outcome
to the `outcomes` slot, saying what it did for which goal and how it ended.

The record is read, never reconstructed: the hand-over packet formats it
(actions/packet/), memory summarises it, metrics count goal completion from it.
One outcome is a plain JSON dict:

    {"action": "action_answer_request", "goal": "check_order_status",
     "result": "answered", "record": "BW-100002", "detail": {...}, "at": 1764471234.5}

`detail` is small and holds no personal data beyond record ids (no names, e-mail
addresses, postcodes or message text).
"""

import time
from collections.abc import Mapping
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions.records import RecordKind

OUTCOMES = "outcomes"

# How an outcome ended.
ANSWERED = "answered"  # the customer got the answer they asked for
DONE = "done"  # something was done for them
NOT_FOUND = "not_found"  # no such record on the verified customer's account
FAILED = "failed"  # tried and did not succeed (a wrong answer, an unknown question)
DECLINED = "declined"  # the customer said no to an offer
HANDED_OVER = "handed_over"  # queued for a person
VERIFIED = "verified"  # the customer proved who they are
REFUSED = "refused"  # not done on purpose: identity not proven, record locked
CLARIFIED = "clarified"  # asked which goal the customer meant
UNAVAILABLE = "unavailable"  # a system the action needed did not answer
RESULTS = frozenset(
    {
        ANSWERED,
        DONE,
        NOT_FOUND,
        FAILED,
        DECLINED,
        HANDED_OVER,
        VERIFIED,
        REFUSED,
        CLARIFIED,
        UNAVAILABLE,
    }
)
# The results that settle what the customer came for (goal completion).
COMPLETED = frozenset({ANSWERED, DONE, VERIFIED, HANDED_OVER})

# Goals that are not one of the NLU's intents.
VERIFY_IDENTITY = "verify_identity"
HAND_OVER = "hand_over"
UNKNOWN_GOAL = "unknown"
# The goal of a request about a kind of record, by the request topic.
TOPIC_GOALS = {
    "order": "check_order_status",
    "claim": "check_claim_status",
    "invoice": "check_invoice",
}

Outcome = dict[str, Any]


def topic_goal(kind: RecordKind | None) -> str:
    """'check_order_status' for an order request; 'unknown' when the topic is not known."""
    return TOPIC_GOALS.get(kind.topic, UNKNOWN_GOAL) if kind else UNKNOWN_GOAL


def outcome(
    action: str,
    goal: str,
    result: str,
    record: str | None = None,
    detail: Mapping[str, Any] | None = None,
    at: float | None = None,
) -> Outcome:
    """One outcome as the slot keeps it; a result outside RESULTS is a programming error."""
    if result not in RESULTS:
        raise ValueError(f"unknown outcome result {result!r}")
    return {
        "action": action,
        "goal": goal,
        "result": result,
        "record": record,
        "detail": dict(detail or {}),
        "at": time.time() if at is None else at,
    }


def record(
    tracker: Tracker,
    action: str,
    goal: str,
    result: str,
    record: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> SlotSet:
    """The slot event appending this outcome to the conversation's record.

    The tracker's copy of the slot is updated too, so an action recording twice in
    one run keeps both outcomes."""
    outcomes: list[Outcome] = [
        *recorded(tracker.slots),
        outcome(action, goal, result, record, detail),
    ]
    tracker.slots[OUTCOMES] = outcomes
    return SlotSet(OUTCOMES, outcomes)


def recorded(slots: Mapping[str, Any]) -> list[Outcome]:
    """The outcomes recorded so far, oldest first."""
    found = slots.get(OUTCOMES)
    return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []
