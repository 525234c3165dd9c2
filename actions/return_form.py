"""The return form: which delivered order, why, and the customer's yes to exactly
what will be returned and refunded (actions/start_return.py asks the backend).

The orders come from the backend: a delivered, returnable order of the verified
customer's, the one named while verifying or chosen from a list. Whether the return
window is still open is the backend's answer at the write (it keeps the company's
today); an order that cannot be returned at all is said so before anything is asked.
The form ends early, with the reason in `return_stop`, as the claim form does."""

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client as backend
from actions.journey import BACKEND, JourneyForm, Reply, leaving
from actions.language import conversation_language
from actions.records import ORDER
from actions.render import DEFAULT_LOCALE, day, items, join_words, money, value_text
from common.locale_values import codes, phrase

GOAL = "start_return"
FORM = "return_form"
ORDERS = "return_orders"  # the customer's delivered orders, as the backend has them
ORDER_CHOSEN = "return_order"
REASON = "return_reason"
CONFIRMED = "return_confirmed"
STOP = "return_stop"
ASKED = [ORDER_CHOSEN, REASON, CONFIRMED]
SLOTS = [ORDERS, *ASKED, STOP, "return_starting"]
NO_ORDER = "no_order"
NOT_RETURNABLE = "not_returnable"
DELIVERED = "delivered"
OTHER_REASON = "other"
# The backend's return reasons and their usual words, checked in this order.
REASON_WORDS: dict[str, tuple[str, ...]] = {
    "damaged_in_delivery": ("arrived damaged", "arrived broken", "damaged in", "dented", "box"),
    "wrong_item": ("wrong", "not what i ordered", "different", "mistake"),
    "faulty": (
        "faulty",
        "broken",
        "defective",
        "doesn't work",
        "not working",
        "stopped",
        "dead",
        "switching itself off",
        "switches off",
        "turns off",
        "won't",
        "crash",
    ),
    "changed_mind": ("changed my mind", "don't need", "don't want", "don't like", "no longer"),
}
# The reasons as the confirmation says them (locales' `return_reason`): "... because it
# arrived damaged".
REASONS = codes("return_reason")


def reason_words(reason: object, language: str) -> str:
    """The reason as the confirmation says it."""
    return value_text("return_reason", reason if reason in REASONS else OTHER_REASON, language)


def order_summary(order: dict[str, Any], language: str = DEFAULT_LOCALE) -> dict[str, Any]:
    """What the journey keeps of an order, its items and total in the conversation's
    language: no personal data."""
    return {
        "id": str(order["id"]),
        "status": str(order.get("status") or ""),
        "returnable": bool(order.get("returnable")),
        "delivered_at": order.get("delivered_at"),
        "items": items(order, language),
        "total": money(order.get("total", 0), str(order.get("currency") or "EUR"), language),
    }


def return_reason(text: str) -> str:
    """The backend's reason code for the customer's words; 'other' when none fits."""
    said = " ".join(text.lower().replace("’", "'").split())
    for reason, words in REASON_WORDS.items():
        if any(word in said for word in words):
            return reason
    return OTHER_REASON


def chosen_order(text: str, orders: list[dict[str, Any]]) -> str | None:
    """The order the answer names by number or by place in the list."""
    named = ORDER.normalize(text)
    if named:
        return named if any(o["id"] == named for o in orders) else None
    said = text.lower()
    for index, order in enumerate(orders[:5]):
        place = ("first", "second", "third", "fourth", "fifth")[index]
        if re.search(rf"\b({place}|{index + 1})\b", said):
            return str(order["id"])
    return None


def the_order(tracker: Tracker) -> dict[str, Any]:
    wanted = tracker.get_slot(ORDER_CHOSEN)
    return next((o for o in tracker.get_slot(ORDERS) or [] if o["id"] == wanted), {})


def return_words(tracker: Tracker) -> dict[str, str]:
    """The variables that restate the return."""
    order = the_order(tracker)
    language = conversation_language(tracker.slots)
    return {
        "order_id": str(order.get("id", "")),
        "items": str(order.get("items", "")),
        "total": str(order.get("total", "")),
        "delivered_on": day(order.get("delivered_at"), language),
        "reason": reason_words(tracker.get_slot(REASON), language),
    }


def returnable(orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o for o in orders if o["status"] == DELIVERED and o["returnable"]]


class ValidateReturnForm(JourneyForm):
    """Reads each answer and checks it against the customer's orders."""

    goal, form, stop, asked = GOAL, FORM, STOP, ASKED
    kept = [ORDER_CHOSEN, REASON]

    def given(self, tracker: Tracker, answers: dict[str, str]) -> list[str]:
        order = next(
            (o for o in tracker.get_slot(ORDERS) or [] if o["id"] == answers.get(ORDER_CHOSEN)),
            None,
        )
        return [
            *([f"{order['id']} ({order['items']})"] if order else []),
            *(
                [reason_words(answers[REASON], conversation_language(tracker.slots))]
                if answers.get(REASON) in REASONS
                else []
            ),
        ]

    async def restored(self, tracker: Tracker, answers: dict[str, Any]) -> dict[str, Any]:
        """An order no longer returnable is asked again; a reason kept as it was."""
        orders = returnable(tracker.get_slot(ORDERS) or [])
        if not any(o["id"] == answers.get(ORDER_CHOSEN) for o in orders):
            answers = {k: v for k, v in answers.items() if k != ORDER_CHOSEN}
        if answers.get(REASON) not in REASONS:
            answers = {k: v for k, v in answers.items() if k != REASON}
        return answers

    async def answers(self, tracker: Tracker, reply: Reply) -> dict[str, Any]:
        if tracker.get_slot(ORDERS) is None:
            return await self._start(tracker, reply.customer_id)
        asking, text = reply.asking, reply.text
        answer: dict[str, Any] = {}
        if asking == ORDER_CHOSEN:
            answer[ORDER_CHOSEN] = chosen_order(text, returnable(tracker.get_slot(ORDERS)))
        if asking == REASON:
            answer[REASON] = return_reason(text)
        if asking == CONFIRMED:
            answer[CONFIRMED] = reply.confirmation
        read = answer.get(asking or "") not in (None, OTHER_REASON)
        left = leaving(asking, reply.intent, GOAL, read, text)
        return {STOP: left} if left else answer

    @staticmethod
    async def _start(tracker: Tracker, customer_id: str) -> dict[str, Any]:
        """The customer's orders; the one named while verifying, or the only one."""
        try:
            found = await backend.call(backend.client().customer_records, customer_id, "orders")
        except backend.BackendError:
            return {STOP: BACKEND}
        orders = [order_summary(o, conversation_language(tracker.slots)) for o in found]
        updates: dict[str, Any] = {ORDERS: orders}
        named = ORDER.normalize(tracker.get_slot(ORDER.slot))
        if named:
            order = next((o for o in orders if o["id"] == named), None)
            if order is None:
                return {**updates, STOP: NO_ORDER}
            updates[ORDER_CHOSEN] = named
            if order not in returnable(orders):
                updates[STOP] = NOT_RETURNABLE
            return updates
        candidates = returnable(orders)
        if not candidates:
            return {**updates, STOP: NO_ORDER}
        if len(candidates) == 1:
            updates[ORDER_CHOSEN] = candidates[0]["id"]
        return updates


class ActionAskReturnOrder(Action):
    """Which order: the customer's delivered, returnable orders."""

    def name(self) -> str:
        return "action_ask_return_order"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        orders = returnable(tracker.get_slot(ORDERS) or [])
        language = conversation_language(tracker.slots)
        listed = [
            phrase(
                "order_delivered",
                language,
                order_id=o["id"],
                items=o["items"],
                date=day(o["delivered_at"], language),
            )
            for o in orders
        ]
        dispatcher.utter_message(
            response="utter_ask_return_order",
            orders=join_words(listed, "or", language),
            buttons=[{"title": o["id"], "payload": o["id"]} for o in orders],
        )
        return []


class ActionAskReturnConfirmed(Action):
    """The return restated exactly before anything is asked of the backend."""

    def name(self) -> str:
        return "action_ask_return_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_ask_return_confirmed", **return_words(tracker))
        return []
