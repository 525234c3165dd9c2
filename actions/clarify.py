"""A first miss: instead of guessing, offer the customer the likeliest meanings.

The escalation policy predicts this after one message the NLU is unsure of; a
second miss in a row hands over. The options are buttons whose payloads are the
intents themselves, so a tap is understood with certainty; channels without
buttons render them as they render every button (numbered or spoken options).
A message that named goals as alternatives ("my order or my claim?") is offered
exactly those.
"""

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.outcomes import CLARIFIED, UNKNOWN_GOAL, record
from escalation.names import NAMED_GOALS_KEY

ACTION = "action_clarify"
MAX_OPTIONS = 3
MIN_OPTION_CONFIDENCE = 0.05  # below this a candidate is noise, not a meaning

# What each goal reads as on a button; small talk is never offered.
INTENT_LABELS: dict[str, str] = {
    "check_order_status": "Where is my order?",
    "check_claim_status": "How is my claim going?",
    "check_invoice": "A question about an invoice",
    "ask_return_policy": "Returning something",
    "ask_shipping_time": "Delivery times",
    "ask_free_shipping": "Free delivery",
    "ask_warranty": "Warranty",
    "ask_payment_methods": "Ways to pay",
    "ask_support_hours": "When your team is available",
    "ask_claim_decision_time": "How long a claim decision takes",
    "request_human": "Talk to a person",
}


def options(parse_data: dict[str, Any]) -> list[dict[str, str]]:
    """Buttons for the goals the message named as alternatives, in its order; else up
    to MAX_OPTIONS for the likeliest goals, likeliest first."""
    named = [name for name in parse_data.get(NAMED_GOALS_KEY) or [] if name in INTENT_LABELS]
    if len(named) > 1:
        return [{"title": INTENT_LABELS[name], "payload": f"/{name}"} for name in named]
    ranking = parse_data.get("intent_ranking") or []
    names = [
        entry.get("name")
        for entry in ranking
        if entry.get("name") in INTENT_LABELS
        and float(entry.get("confidence") or 0.0) >= MIN_OPTION_CONFIDENCE
    ]
    return [{"title": INTENT_LABELS[name], "payload": f"/{name}"} for name in names[:MAX_OPTIONS]]


class ActionClarify(Action):
    """Asks which of the likeliest goals the customer meant."""

    def name(self) -> str:
        return ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        buttons = options(tracker.latest_message)
        if buttons:
            dispatcher.utter_message(response="utter_clarify", buttons=buttons)
        else:
            dispatcher.utter_message(response="utter_ask_rephrase")
        offered = [button["payload"].lstrip("/") for button in buttons]
        return [record(tracker, ACTION, UNKNOWN_GOAL, CLARIFIED, detail={"options": offered})]
