"""The form for moving or cancelling a booked appointment: which appointment, move
or cancel, for a move which free slot at its store, and the customer's yes to exactly
what will change (actions/change_appointment.py changes it). The customer's booked
appointments and the store's free slots come from the backend."""

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client as backend
from actions.appointment_form import chosen_slot, offer_slots, offered_at, purpose_words, when
from actions.journey import BACKEND, JourneyForm, Reply, leaving, opening_text
from actions.language import conversation_language
from actions.render import join_words, value_text
from common.locale_values import codes

GOAL = "change_appointment"
FORM = "change_form"
BOOKED_LIST = "change_appointments"  # the customer's booked appointments
OFFERED = "change_offered"
APPOINTMENT = "change_appointment_id"
KIND = "change_kind"
SLOT = "change_slot"
CONFIRMED = "change_confirmed"
STOP = "change_stop"
SLOTS = [BOOKED_LIST, OFFERED, APPOINTMENT, KIND, SLOT, CONFIRMED, STOP, "appointment_changing"]
NO_APPOINTMENT = "no_appointment"
MOVE = "move"
CANCEL = "cancel"
BOOKED = "booked"
KIND_WORDS: dict[str, tuple[str, ...]] = {
    CANCEL: ("cancel", "call off", "can't make it", "cannot make it", "don't need it"),
    MOVE: ("move", "reschedule", "another time", "different time", "change the time", "later"),
}
APPOINTMENT_ID = re.compile(r"\bapt[\s-]?(\d{4})\b", re.IGNORECASE)
PLACES = ("first", "second", "third", "fourth", "fifth")


def kind_of(text: str) -> str | None:
    said = text.lower()
    return next((k for k, words in KIND_WORDS.items() if any(w in said for w in words)), None)


def chosen_appointment(text: str, booked: list[dict[str, Any]]) -> str | None:
    """The appointment the answer names: its number or its place in the list."""
    if match := APPOINTMENT_ID.search(text):
        wanted = f"APT-{match[1]}"
        return wanted if any(a["id"] == wanted for a in booked) else None
    for index, appointment in enumerate(booked[: len(PLACES)]):
        if re.search(rf"\b({PLACES[index]}|{index + 1})\b", text.lower()):
            return str(appointment["id"])
    return None


def the_appointment(tracker: Tracker) -> dict[str, Any]:
    wanted = tracker.get_slot(APPOINTMENT)
    return next((a for a in tracker.get_slot(BOOKED_LIST) or [] if a["id"] == wanted), {})


def change_words(tracker: Tracker) -> dict[str, str]:
    """The variables that name the appointment and, for a move, its new time."""
    appointment = the_appointment(tracker)
    new = tracker.get_slot(SLOT)
    language = conversation_language(tracker.slots)
    return {
        "appointment_id": str(appointment.get("id", "")),
        "purpose": purpose_words(appointment.get("purpose"), language),
        "store": str(appointment.get("store", "")),
        "start": when(appointment["start"], language) if appointment.get("start") else "",
        "new_start": when(new, language) if new else "",
    }


class ValidateChangeForm(JourneyForm):
    """Reads each answer and checks it against the customer's appointments."""

    goal, form, stop = GOAL, FORM, STOP
    asked = [APPOINTMENT, KIND, SLOT, CONFIRMED]
    kept = [APPOINTMENT, KIND]

    def given(self, tracker: Tracker, answers: dict[str, str]) -> list[str]:
        booked = tracker.get_slot(BOOKED_LIST) or []
        chosen = next((a for a in booked if a["id"] == answers.get(APPOINTMENT)), None)
        language = conversation_language(tracker.slots)
        return [
            *(
                [f"{chosen['id']} ({chosen['store']}, {when(chosen['start'], language)})"]
                if chosen
                else []
            ),
            *(
                [value_text("change_kind", answers[KIND], language)]
                if answers.get(KIND) in codes("change_kind")
                else []
            ),
        ]

    async def restored(self, tracker: Tracker, answers: dict[str, Any]) -> dict[str, Any]:
        """An appointment no longer booked is asked again; a move offers the times free now."""
        booked = tracker.get_slot(BOOKED_LIST) or []
        answers = {
            k: v
            for k, v in answers.items()
            if (k != APPOINTMENT or any(a["id"] == v for a in booked))
            and (k != KIND or v in codes("change_kind"))
        }
        try:
            offer = await self._offer(booked, {**tracker.slots, OFFERED: None, **answers})
        except backend.BackendError:
            return {STOP: BACKEND}
        return {**answers, **offer}

    def still_asked(self, tracker: Tracker) -> list[str]:
        """A cancellation asks for no new time."""
        if tracker.get_slot(KIND) == CANCEL:
            return [APPOINTMENT, KIND, CONFIRMED]
        return self.asked

    async def answers(self, tracker: Tracker, reply: Reply) -> dict[str, Any]:
        asking, text = reply.asking, reply.text
        updates: dict[str, Any] = {}
        try:
            booked = tracker.get_slot(BOOKED_LIST)
            if booked is None:
                booked = await self._booked(reply.customer_id)
                updates[BOOKED_LIST] = booked
                if not booked:
                    return {**updates, STOP: NO_APPOINTMENT}
                if len(booked) == 1:
                    updates[APPOINTMENT] = booked[0]["id"]
                updates[KIND] = kind_of(opening_text(tracker, GOAL))
            if asking == APPOINTMENT:
                updates[APPOINTMENT] = chosen_appointment(text, booked)
            if asking == KIND:
                updates[KIND] = kind_of(text)
            if asking == SLOT:
                updates[SLOT] = chosen_slot(text, tracker.get_slot(OFFERED) or [])
            if asking == CONFIRMED:
                updates[CONFIRMED] = reply.confirmation
            left = leaving(asking, reply.intent, GOAL, updates.get(asking or "") is not None, text)
            if left:
                return {STOP: left}
            updates |= await self._offer(booked, {**tracker.slots, **updates})
        except backend.BackendError:
            return {STOP: BACKEND}
        return updates

    @staticmethod
    async def _offer(booked: list[dict[str, Any]], known: dict[str, Any]) -> dict[str, Any]:
        """For a move of a chosen appointment, the free times at its store (once)."""
        if known.get(KIND) != MOVE or not known.get(APPOINTMENT) or known.get(OFFERED) is not None:
            return {}
        appointment = next(a for a in booked if a["id"] == known[APPOINTMENT])
        return await offered_at(appointment["store_id"], OFFERED, STOP)

    @staticmethod
    async def _booked(customer_id: str) -> list[dict[str, Any]]:
        client = backend.client()
        found = await backend.call(client.customer_records, customer_id, "appointments")
        stores = await backend.call(client.get, "/stores")
        names = {s.get("id"): s.get("name") for s in stores.get("items") or []}
        return sorted(
            (
                {
                    "id": str(a["id"]),
                    "store_id": str(a["store_id"]),
                    "store": str(names.get(a["store_id"], a["store_id"])),
                    "purpose": str(a.get("purpose")),
                    "start": str(a["start"]),
                }
                for a in found
                if a.get("status") == BOOKED
            ),
            key=lambda a: a["start"],
        )


class ActionAskChangeAppointmentId(Action):
    """Which appointment: the customer's booked ones."""

    def name(self) -> str:
        return "action_ask_change_appointment_id"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        booked = tracker.get_slot(BOOKED_LIST) or []
        language = conversation_language(tracker.slots)
        listed = [f"{a['id']} ({a['store']}, {when(a['start'], language)})" for a in booked]
        dispatcher.utter_message(
            response="utter_ask_change_appointment_id",
            appointments=join_words(listed, "or", language),
            buttons=[{"title": a["id"], "payload": a["id"]} for a in booked],
        )
        return []


class ActionAskChangeSlot(Action):
    """Which new time: the free slots at the appointment's store."""

    def name(self) -> str:
        return "action_ask_change_slot"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        offer_slots(
            dispatcher,
            change_words(tracker)["store"],
            tracker.get_slot(OFFERED),
            conversation_language(tracker.slots),
        )
        return []


class ActionAskChangeConfirmed(Action):
    """The change restated exactly before anything changes."""

    def name(self) -> str:
        return "action_ask_change_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        words = change_words(tracker)
        if tracker.get_slot(KIND) == CANCEL:
            words.pop("new_start")
            dispatcher.utter_message(response="utter_ask_change_confirmed_cancel", **words)
        else:
            dispatcher.utter_message(response="utter_ask_change_confirmed", **words)
        return []
