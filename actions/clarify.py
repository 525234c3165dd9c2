"""A first miss: instead of guessing, offer the customer the likeliest meanings.

The escalation policy predicts this after one message the NLU is unsure of; a
second miss in a row hands over. The options are buttons whose payloads are the
intents themselves, so a tap is understood with certainty; channels without
buttons render them as they render every button (numbered or spoken options).
A message that named goals as alternatives ("my order or my claim?") is offered
exactly those. For a verified customer, what is open on their records comes first
(an overdue invoice before a delivered order), as the backend has them now.
"""

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client as backend
from actions.language import conversation_language
from actions.outcomes import CLARIFIED, UNKNOWN_GOAL, record
from actions.responses import render, responses
from actions.slots import VERIFIED_CUSTOMER_ID
from escalation.names import NAMED_GOALS_KEY

ACTION = "action_clarify"
MAX_OPTIONS = 3
MIN_OPTION_CONFIDENCE = 0.05  # below this a candidate is noise, not a meaning

# A goal is offered when the domain has its title (utter_option_<intent>).
OPTION_PREFIX = "utter_option_"
# What is open on a customer's records, most pressing first: (goal, collection, the
# states in which a record of it is open at that rank).
OPEN_RECORDS: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("check_invoice", "invoices", frozenset({"overdue", "failed"})),
    ("check_order_status", "orders", frozenset({"delayed"})),
    ("check_claim_status", "claims", frozenset({"submitted", "under_review", "repair_scheduled"})),
    ("check_order_status", "orders", frozenset({"processing", "shipped", "out_for_delivery"})),
    ("check_invoice", "invoices", frozenset({"due"})),
)


def option_titles(language: str | None = None) -> dict[str, str]:
    """Each goal that may be offered and its title, from domain.yml (in the language's
    words when its locale has them)."""
    return {
        name.removeprefix(OPTION_PREFIX): render(name, {}, language=language)
        for name in responses()
        if name.startswith(OPTION_PREFIX)
    }


def options(parse_data: dict[str, Any], language: str | None = None) -> list[dict[str, str]]:
    """Buttons for the goals the message named as alternatives, in its order; else up
    to MAX_OPTIONS for the likeliest goals, likeliest first."""
    titles = option_titles(language)
    named = [name for name in parse_data.get(NAMED_GOALS_KEY) or [] if name in titles]
    if len(named) > 1:
        return [{"title": titles[name], "payload": f"/{name}"} for name in named]
    ranking = parse_data.get("intent_ranking") or []
    names = [
        entry.get("name")
        for entry in ranking
        if entry.get("name") in titles
        and float(entry.get("confidence") or 0.0) >= MIN_OPTION_CONFIDENCE
    ]
    return [{"title": titles[name], "payload": f"/{name}"} for name in names[:MAX_OPTIONS]]


def _goal(button: dict[str, str]) -> str:
    return button["payload"].lstrip("/")


async def open_first(buttons: list[dict[str, str]], customer_id: str) -> list[dict[str, str]]:
    """The options with what is open on the customer's records first, most pressing
    first; the order as it was when the backend cannot say."""
    goals = {_goal(button) for button in buttons}
    records: dict[str, list[dict[str, Any]]] = {}
    for collection in dict.fromkeys(c for goal, c, _ in OPEN_RECORDS if goal in goals):
        try:
            records[collection] = await backend.call(
                backend.client().customer_records, customer_id, collection
            )
        except backend.BackendError:
            return buttons

    def rank(button: dict[str, str]) -> int:
        return next(
            (
                index
                for index, (goal, collection, states) in enumerate(OPEN_RECORDS)
                if goal == _goal(button)
                and any(r.get("status") in states for r in records.get(collection, []))
            ),
            len(OPEN_RECORDS),
        )

    return sorted(buttons, key=rank)


class ActionClarify(Action):
    """Asks which of the likeliest goals the customer meant."""

    def name(self) -> str:
        return ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        buttons = options(tracker.latest_message, conversation_language(tracker.slots))
        customer_id = tracker.get_slot(VERIFIED_CUSTOMER_ID)
        if len(buttons) > 1 and customer_id:
            buttons = await open_first(buttons, str(customer_id))
        if buttons:
            dispatcher.utter_message(response="utter_clarify", buttons=buttons)
        else:
            dispatcher.utter_message(response="utter_ask_rephrase")
        offered = [button["payload"].lstrip("/") for button in buttons]
        return [record(tracker, ACTION, UNKNOWN_GOAL, CLARIFIED, detail={"options": offered})]
