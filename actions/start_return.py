"""Start a return once the customer said yes to exactly what will be returned
(actions/return_form.py asked): a return authorisation from the backend with its id,
refund and the day to send it back by. The idempotency key comes from (conversation,
action, order, reason): a doubled yes gets the same authorisation. Outside the return
window (the backend's answer), the policy is explained and a person offered; a
failure at the backend is told as it is, with nothing authorised."""

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client as backend
from actions.backend_writes import idempotency_key
from actions.failures import backend_trouble
from actions.journey import BACKEND, YES, Ending, JourneyEnd, unproven
from actions.language import conversation_language
from actions.outcomes import DECLINED, DONE, FAILED, NOT_FOUND, REFUSED, UNAVAILABLE, record
from actions.render import day, money
from actions.return_form import (
    CONFIRMED,
    GOAL,
    NO_ORDER,
    NOT_RETURNABLE,
    ORDER_CHOSEN,
    REASON,
    SLOTS,
    STOP,
    return_words,
)
from actions.slots import HUMAN_OFFERED
from actions.verification import verified_customer

ACTION = "action_start_return"
WINDOW = "return window"  # the backend's refusal outside the window names it


class ActionStartReturn(JourneyEnd):
    """Asks the backend for the confirmed return, or says truthfully why not."""

    action, slots, stop_slot = ACTION, SLOTS, STOP

    async def finish(self, ending: Ending) -> list[EventType]:
        dispatcher, tracker, events, stop = ending
        order_id = tracker.get_slot(ORDER_CHOSEN)

        def outcome(result: str, record_id: str | None = None, **detail: Any) -> EventType:
            return record(tracker, ACTION, GOAL, result, record_id or order_id, detail)

        refusal = unproven(dispatcher, tracker, outcome)
        if refusal is not None:
            return events + refusal
        if stop == BACKEND:
            return events + backend_trouble(dispatcher, tracker) + [outcome(UNAVAILABLE)]
        words = return_words(tracker)
        if stop == NO_ORDER:
            dispatcher.utter_message(response="utter_return_no_order")
            return events + [outcome(NOT_FOUND, reason="no_returnable_order")]
        if stop == NOT_RETURNABLE:
            dispatcher.utter_message(response="utter_return_not_returnable", **words)
            return events + [
                SlotSet(HUMAN_OFFERED, True),
                outcome(REFUSED, reason="not_returnable"),
            ]
        if tracker.get_slot(CONFIRMED) != YES:
            dispatcher.utter_message(response="utter_return_not_started")
            return events + [outcome(DECLINED)]
        return events + await self._authorise(dispatcher, tracker, words, outcome)

    @staticmethod
    async def _authorise(
        dispatcher: CollectingDispatcher, tracker: Tracker, words: dict[str, str], outcome: Any
    ) -> list[EventType]:
        order_id, reason = str(tracker.get_slot(ORDER_CHOSEN)), str(tracker.get_slot(REASON))
        key = idempotency_key(tracker.sender_id, ACTION, order_id, reason)
        client = backend.client()
        try:
            authorised = await backend.call(
                client.start_return, key, str(verified_customer(tracker)), order_id, reason
            )
        except backend.BackendConflict:  # authorised before, in another conversation
            dispatcher.utter_message(response="utter_return_exists", **words)
            return [outcome(DECLINED, reason="already_authorised")]
        except (backend.BackendRejected, backend.RecordNotFound) as refused:
            if WINDOW not in str(getattr(refused, "reason", "")):
                dispatcher.utter_message(response="utter_return_refused_by_backend", **words)
                return [SlotSet(HUMAN_OFFERED, True), outcome(FAILED, reason="rejected")]
            try:
                policies = await backend.call(client.policies)
            except backend.BackendError:
                policies = {}
            dispatcher.utter_message(
                response="utter_return_outside_window",
                window_days=str(policies.get("return_window_days", "")),
                **words,
            )
            return [SlotSet(HUMAN_OFFERED, True), outcome(REFUSED, reason="outside_window")]
        except backend.BackendError:
            return backend_trouble(dispatcher, tracker) + [outcome(UNAVAILABLE, reason="backend")]
        return_id = str(authorised["id"])
        language = conversation_language(tracker.slots)
        dispatcher.utter_message(
            response="utter_return_authorised",
            return_id=return_id,
            refund=money(
                authorised.get("refund", 0), str(authorised.get("currency") or "EUR"), language
            ),
            return_by=day(str(authorised.get("return_by") or ""), language),
            **words,
        )
        return [outcome(DONE, return_id)]
