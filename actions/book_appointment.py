"""Book a repair or advice appointment once the customer said yes to exactly what
will be booked (actions/appointment_form.py asked). The idempotency key comes from
(conversation, action, store, start, purpose): a doubled yes books once. A slot taken
since it was offered is refused by the backend (409): the customer hears so, with the
nearest free slots, and the form asks again among them."""

from datetime import datetime
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client as backend
from actions.appointment_form import (
    CONFIRMED,
    FORM,
    GOAL,
    NO_SLOTS,
    OFFER_COUNT,
    OFFERED,
    PURPOSE,
    SLOT,
    SLOTS,
    STOP,
    STORE,
    appointment_words,
    free_slots,
    when,
)
from actions.backend_writes import idempotency_key
from actions.failures import backend_trouble
from actions.journey import BACKEND, YES, Ending, JourneyEnd, unproven
from actions.language import conversation_language
from actions.outcomes import DECLINED, DONE, FAILED, NOT_FOUND, UNAVAILABLE, record
from actions.render import join_words
from actions.slots import HUMAN_OFFERED, request_finished
from actions.verification import verified_customer

ACTION = "action_book_appointment"


def nearest(free: list[str], wanted: str, count: int = 3) -> list[str]:
    """The free slots nearest to the one wanted, in time order."""
    target = datetime.fromisoformat(wanted)
    close = sorted(free, key=lambda iso: abs(datetime.fromisoformat(iso) - target))[:count]
    return sorted(close)


class ActionBookAppointment(JourneyEnd):
    """Books the confirmed slot, or says truthfully why not."""

    action, slots, stop_slot = ACTION, SLOTS, STOP

    async def finish(self, ending: Ending) -> list[EventType]:
        dispatcher, tracker, events, stop = ending
        start = tracker.get_slot(SLOT)

        def outcome(result: str, record_id: str | None = None, **detail: Any) -> EventType:
            detail = {"store": tracker.get_slot(STORE), "start": start, **detail}
            return record(tracker, ACTION, GOAL, result, record_id, detail)

        refusal = unproven(dispatcher, tracker, outcome)
        if refusal is not None:
            return events + refusal
        if stop == BACKEND:
            return events + backend_trouble(dispatcher, tracker) + [outcome(UNAVAILABLE)]
        words = appointment_words(tracker)
        if stop == NO_SLOTS:
            dispatcher.utter_message(response="utter_appointment_no_slots", **words)
            return events + [outcome(NOT_FOUND, reason="no_free_slot")]
        if tracker.get_slot(CONFIRMED) != YES:
            dispatcher.utter_message(response="utter_appointment_not_booked")
            return events + [outcome(DECLINED)]
        store, purpose = str(tracker.get_slot(STORE)), str(tracker.get_slot(PURPOSE))
        key = idempotency_key(tracker.sender_id, ACTION, store, str(start), purpose)
        try:
            booked = await backend.call(
                backend.client().book_appointment,
                key,
                str(verified_customer(tracker)),
                store,
                datetime.fromisoformat(str(start)),
                purpose,
            )
        except backend.BackendConflict:  # taken since it was offered
            return await self._taken(dispatcher, tracker, str(start), words, outcome)
        except (backend.BackendRejected, backend.RecordNotFound):
            dispatcher.utter_message(response="utter_appointment_refused_by_backend", **words)
            return events + [SlotSet(HUMAN_OFFERED, True), outcome(FAILED, reason="rejected")]
        except backend.BackendError:
            return (
                events
                + backend_trouble(dispatcher, tracker)
                + [outcome(UNAVAILABLE, reason="backend")]
            )
        appointment_id = str(booked["id"])
        dispatcher.utter_message(
            response="utter_appointment_booked", appointment_id=appointment_id, **words
        )
        return events + [outcome(DONE, appointment_id)]

    @staticmethod
    async def _taken(
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        start: str,
        words: dict[str, str],
        outcome: Any,
    ) -> list[EventType]:
        """The slot went meanwhile: the nearest free ones offered, the form asks again."""
        try:
            alternatives = nearest(await free_slots(str(tracker.get_slot(STORE))), start)
        except backend.BackendError:
            return backend_trouble(dispatcher, tracker) + [outcome(UNAVAILABLE, reason="backend")]
        if not alternatives:
            dispatcher.utter_message(response="utter_appointment_no_slots", **words)
            return [*request_finished(), *(SlotSet(n, None) for n in SLOTS), outcome(FAILED)]
        language = conversation_language(tracker.slots)
        dispatcher.utter_message(
            response="utter_appointment_slot_taken",
            taken=words["start"],
            alternatives=join_words([when(iso, language) for iso in alternatives], "or", language),
        )
        return [
            SlotSet(SLOT, None),
            SlotSet(CONFIRMED, None),
            SlotSet(OFFERED, alternatives[:OFFER_COUNT]),
            outcome(FAILED, reason="slot_taken"),
            FollowupAction(FORM),
        ]
