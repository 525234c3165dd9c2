"""What every journey that changes something checks first: that it is still the
journey the customer asked for last, and that the customer is proven, with the
truthful answer (and the outcome) when not."""

from collections.abc import Callable

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.failures import backend_trouble
from actions.outcomes import REFUSED, UNAVAILABLE
from actions.slots import BACKEND_ERROR, HUMAN_OFFERED, VERIFICATION_FAILED, VERIFICATION_LOCKED
from actions.verification import verified_customer

# The intents that start a journey: the last one asked for is the one under way.
GOAL_INTENTS = frozenset(
    {
        "update_payment_method",
        "check_order_status",
        "check_claim_status",
        "check_invoice",
        "file_claim",
        "start_return",
    }
)
Outcome = Callable[..., EventType]


def latest_goal(tracker: Tracker) -> str | None:
    """The goal intent the customer asked for last in this conversation."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            name = (event.get("parse_data") or {}).get("intent", {}).get("name")
            if name in GOAL_INTENTS:
                return str(name)
    return None


def unproven(
    dispatcher: CollectingDispatcher, tracker: Tracker, outcome: Outcome
) -> list[EventType] | None:
    """The answer to a customer the journey cannot serve (record locked, identity not
    proven, backend down while verifying), or None when the customer is verified."""
    if tracker.get_slot(VERIFICATION_LOCKED):
        dispatcher.utter_message(response="utter_account_locked")
        return [SlotSet(HUMAN_OFFERED, True), outcome(REFUSED, reason="locked")]
    customer_id = verified_customer(tracker)
    if tracker.get_slot(VERIFICATION_FAILED) or (
        customer_id is None and not tracker.get_slot(BACKEND_ERROR)
    ):
        dispatcher.utter_message(response="utter_verification_failed")
        return [SlotSet(HUMAN_OFFERED, True), outcome(REFUSED, reason="not_verified")]
    if tracker.get_slot(BACKEND_ERROR) or customer_id is None:
        return [
            *backend_trouble(dispatcher, tracker, counted=True),
            outcome(UNAVAILABLE, reason="backend"),
        ]
    return None


def serving(tracker: Tracker) -> str | None:
    """The verified customer a journey may act for: None when the record is locked,
    verification failed or the backend could not be asked."""
    if any(
        tracker.get_slot(name) for name in (VERIFICATION_LOCKED, VERIFICATION_FAILED, BACKEND_ERROR)
    ):
        return None
    return verified_customer(tracker)
