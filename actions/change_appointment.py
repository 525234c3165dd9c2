"""Move or cancel a booked appointment once the customer said yes to exactly what
will change (actions/change_form.py asked). Idempotency keys come from (conversation,
action, appointment, and the new time for a move): a doubled yes changes it once.
A new time taken since it was offered is refused by the backend (409): the customer
hears so, with the nearest free times, and the form asks again among them."""

from datetime import datetime
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client as backend
from actions.appointment_form import NO_SLOTS, free_slots, when
from actions.backend_writes import idempotency_key
from actions.book_appointment import nearest
from actions.change_form import (
    APPOINTMENT,
    CANCEL,
    CONFIRMED,
    FORM,
    GOAL,
    KIND,
    NO_APPOINTMENT,
    OFFERED,
    SLOT,
    SLOTS,
    STOP,
    change_words,
    the_appointment,
)
from actions.failures import backend_trouble
from actions.journey import BACKEND, YES, Ending, JourneyEnd, unproven
from actions.language import conversation_language
from actions.outcomes import DECLINED, DONE, FAILED, NOT_FOUND, UNAVAILABLE, record
from actions.render import join_words
from actions.slots import HUMAN_OFFERED, request_finished

ACTION = "action_change_appointment"


class ActionChangeAppointment(JourneyEnd):
    """Moves or cancels the confirmed appointment, or says truthfully why not."""

    action, slots, stop_slot = ACTION, SLOTS, STOP

    async def finish(self, ending: Ending) -> list[EventType]:
        dispatcher, tracker, events, stop = ending
        appointment_id = tracker.get_slot(APPOINTMENT)
        kind = tracker.get_slot(KIND)

        def outcome(result: str, **detail: Any) -> EventType:
            return record(tracker, ACTION, GOAL, result, appointment_id, {"kind": kind, **detail})

        refusal = unproven(dispatcher, tracker, outcome)
        if refusal is not None:
            return events + refusal
        if stop == BACKEND:
            return events + backend_trouble(dispatcher, tracker) + [outcome(UNAVAILABLE)]
        words = change_words(tracker)
        if stop == NO_APPOINTMENT:
            dispatcher.utter_message(response="utter_no_appointment")
            return events + [outcome(NOT_FOUND, reason="no_booked_appointment")]
        if stop == NO_SLOTS:
            dispatcher.utter_message(response="utter_appointment_no_slots", store=words["store"])
            return events + [outcome(NOT_FOUND, reason="no_free_slot")]
        if tracker.get_slot(CONFIRMED) != YES:
            dispatcher.utter_message(response="utter_appointment_not_changed")
            return events + [outcome(DECLINED)]
        client = backend.client()
        new = str(tracker.get_slot(SLOT) or "")
        key = idempotency_key(tracker.sender_id, ACTION, str(appointment_id), str(kind), new)
        try:
            if kind == CANCEL:
                await backend.call(client.cancel_appointment, key, str(appointment_id))
            else:
                moved = datetime.fromisoformat(new)
                await backend.call(client.move_appointment, key, str(appointment_id), moved)
        except backend.BackendConflict:
            if kind == CANCEL:  # e.g. cancelled meanwhile by a person
                dispatcher.utter_message(response="utter_appointment_change_refused", **words)
                return events + [SlotSet(HUMAN_OFFERED, True), outcome(FAILED, reason="conflict")]
            return await self._taken(dispatcher, tracker, new, words, outcome)
        except (backend.BackendRejected, backend.RecordNotFound):
            dispatcher.utter_message(response="utter_appointment_change_refused", **words)
            return events + [SlotSet(HUMAN_OFFERED, True), outcome(FAILED, reason="rejected")]
        except backend.BackendError:
            return (
                events
                + backend_trouble(dispatcher, tracker)
                + [outcome(UNAVAILABLE, reason="backend")]
            )
        if kind == CANCEL:
            words.pop("new_start")
            dispatcher.utter_message(response="utter_appointment_cancelled", **words)
        else:
            dispatcher.utter_message(response="utter_appointment_moved", **words)
        return events + [outcome(DONE)]

    @staticmethod
    async def _taken(
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        new: str,
        words: dict[str, str],
        outcome: Any,
    ) -> list[EventType]:
        """The new time went meanwhile: the nearest free ones offered, asked again."""
        try:
            store_id = str(the_appointment(tracker).get("store_id"))
            alternatives = nearest(await free_slots(store_id), new)
        except backend.BackendError:
            return backend_trouble(dispatcher, tracker) + [outcome(UNAVAILABLE, reason="backend")]
        if not alternatives:
            dispatcher.utter_message(response="utter_appointment_no_slots", store=words["store"])
            return [*request_finished(), *(SlotSet(n, None) for n in SLOTS), outcome(FAILED)]
        language = conversation_language(tracker.slots)
        dispatcher.utter_message(
            response="utter_appointment_slot_taken",
            taken=when(new, language),
            alternatives=join_words([when(iso, language) for iso in alternatives], "or", language),
        )
        return [
            SlotSet(SLOT, None),
            SlotSet(CONFIRMED, None),
            SlotSet(OFFERED, alternatives),
            outcome(FAILED, reason="slot_taken"),
            FollowupAction(FORM),
        ]
