"""Help for a verified customer whose account is not activated yet (onboarding): what
they can already do here, read from their record (a device policy waiting for
activation, an order to follow, an advice appointment), and how the account itself is
activated. The sample backend has no write for activating an account, so a person is
offered for a lost activation e-mail; the assistant never claims to activate it."""

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client as backend
from actions.failures import backend_trouble
from actions.journey import unproven
from actions.language import conversation_language
from actions.outcomes import ANSWERED, UNAVAILABLE, record
from actions.render import DEFAULT_LOCALE, join_words
from actions.slots import HUMAN_OFFERED, request_finished
from actions.verification import verified_customer
from common.locale_values import phrase

ACTION = "action_help_account_activation"
GOAL = "ask_account_activation"
STARTING = "account_help"
PENDING = "pending_activation"


def what_they_can_do(
    policies: list[dict[str, Any]], orders: list[dict[str, Any]], language: str = DEFAULT_LOCALE
) -> list[str]:
    """What a customer whose account is not activated can already do with the assistant."""
    can = [
        phrase("can_activate", language, device=p["device"], policy_id=p["id"])
        for p in policies
        if p.get("status") == PENDING
    ]
    if orders:
        can.append(phrase("can_follow_order", language, order_id=orders[0]["id"]))
    can.append(phrase("can_book_advice", language))
    return can


class ActionHelpAccountActivation(Action):
    """Says whether the account is activated and, when not, what the customer can do."""

    def name(self) -> str:
        return ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        events = [*request_finished(), SlotSet(STARTING, None)]

        def outcome(result: str, **detail: Any) -> EventType:
            return record(tracker, ACTION, GOAL, result, verified_customer(tracker), detail)

        refusal = unproven(dispatcher, tracker, outcome)
        if refusal is not None:
            return events + refusal
        customer_id = str(verified_customer(tracker))
        client = backend.client()
        try:
            customer, policies, orders = await asyncio.gather(
                backend.call(client.record, "customers", customer_id),
                backend.call(client.customer_records, customer_id, "device_policies"),
                backend.call(client.customer_records, customer_id, "orders"),
            )
        except backend.BackendError:
            return events + backend_trouble(dispatcher, tracker) + [outcome(UNAVAILABLE)]
        if customer.get("account_activated"):
            dispatcher.utter_message(response="utter_account_already_activated")
            return events + [outcome(ANSWERED, activated=True)]
        language = conversation_language(tracker.slots)
        dispatcher.utter_message(
            response="utter_account_not_activated",
            can_do=join_words(what_they_can_do(policies, orders, language), "and", language),
        )
        return events + [SlotSet(HUMAN_OFFERED, True), outcome(ANSWERED, activated=False)]
