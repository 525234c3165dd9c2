"""The appointment form: repair or advice, which store, which free slot, and the
customer's yes to exactly what will be booked (actions/book_appointment.py books it).

Stores and free slots come from the backend only; the slots offered are kept in
`appointment_offered`, so the answer picks one of them (by its place, its time or
the button's value). A slot taken between the offer and the yes is refused by the
backend, and the booking action offers the nearest free ones instead."""

import re
from datetime import datetime
from typing import Any

from babel.dates import format_date, format_time
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client as backend
from actions.journey import BACKEND, JourneyForm, Reply, leaving, opening_text
from actions.language import conversation_language
from actions.render import DEFAULT_LOCALE, join_words, value_text

GOAL = "book_appointment"
FORM = "appointment_form"
STORES = "appointment_stores"
OFFERED = "appointment_offered"  # the free slots offered, ISO local times
PURPOSE = "appointment_purpose"
STORE = "appointment_store"
SLOT = "appointment_slot"
CONFIRMED = "appointment_confirmed"
STOP = "appointment_stop"
ASKED = [PURPOSE, STORE, SLOT, CONFIRMED]
SLOTS = [STORES, OFFERED, *ASKED, STOP, "appointment_booking"]
NO_SLOTS = "no_slots"
SPOKEN = "twilio_voice"  # the channel whose questions are heard, not read
OFFER_COUNT = 5
PURPOSE_WORDS: dict[str, tuple[str, ...]] = {
    "repair": ("repair", "fix", "broken", "damaged", "cracked", "screen", "claim", "faulty"),
    "advice": ("advice", "advise", "choose", "choosing", "buy", "set up", "setup", "help with"),
}


def purpose_words(purpose: object, language: str) -> str:
    """An appointment's purpose as the restatement says it: 'a repair' (locales'
    `appointment_purpose`; 'an appointment' for one it does not know)."""
    code = purpose if purpose in PURPOSE_WORDS else "other"
    return value_text("appointment_purpose", code, language)


PLACES = ("first", "second", "third", "fourth", "fifth")
CLOCK = re.compile(r"\b([01]?\d|2[0-3])[:.h]([0-5]\d)\b")
STORE_ID = re.compile(r"\bst[-\s]?([a-z]{3})\b", re.IGNORECASE)


def purpose_of(text: str) -> str | None:
    said = text.lower()
    return next((p for p, words in PURPOSE_WORDS.items() if any(w in said for w in words)), None)


def when(iso: str, language: str = DEFAULT_LOCALE) -> str:
    """'2026-11-25T14:00:00' → 'Wednesday 25 November at 14:00' (the store's local time;
    'Mittwoch, 25. November 2026, 14:00' in German, by Babel)."""
    start = datetime.fromisoformat(iso)
    if language != DEFAULT_LOCALE:
        weekday = format_date(start, "full", locale=language)
        return f"{weekday}, {format_time(start, 'short', locale=language)}"
    return f"{start:%A} {start.day} {start:%B} at {start:%H:%M}"


def chosen_store(text: str, stores: list[dict[str, Any]]) -> str | None:
    """The store the answer names: its id, its city, or its place in the list."""
    said = text.lower()
    if match := STORE_ID.search(said):
        wanted = f"ST-{match[1].upper()}"
        return wanted if any(s["id"] == wanted for s in stores) else None
    by_city = [s["id"] for s in stores if str(s.get("city", "")).lower() in said]
    if len(by_city) == 1:
        return str(by_city[0])
    return _by_place(said, [str(s["id"]) for s in stores])


def chosen_slot(text: str, offered: list[str]) -> str | None:
    """The offered slot the answer names: its ISO time, its clock time, or its place."""
    said = text.strip()
    if said in offered:
        return said
    if match := CLOCK.search(said):
        at = f"{int(match[1]):02d}:{match[2]}"
        same = [iso for iso in offered if iso[11:16] == at]
        if len(same) == 1:
            return same[0]
    return _by_place(said.lower(), offered)


def _by_place(said: str, choices: list[str]) -> str | None:
    for index, choice in enumerate(choices[: len(PLACES)]):
        if re.search(rf"\b({PLACES[index]}|{index + 1})\b", said):
            return choice
    return None


def appointment_words(tracker: Tracker) -> dict[str, str]:
    """The variables that restate the booking."""
    store_id = tracker.get_slot(STORE)
    stores: list[dict[str, Any]] = tracker.get_slot(STORES) or []
    store: dict[str, Any] = next((s for s in stores if s["id"] == store_id), {})
    start = tracker.get_slot(SLOT)
    language = conversation_language(tracker.slots)
    return {
        "purpose": purpose_words(tracker.get_slot(PURPOSE), language),
        "store": str(store.get("name", "")),
        "store_hours": str(store.get("hours", "")),
        "start": when(start, language) if start else "",
    }


async def free_slots(store_id: str) -> list[str]:
    """The store's free slots, earliest first, as ISO local times."""
    found = await backend.call(backend.client().get, "/appointment_slots", {"store_id": store_id})
    items = found.get("items") if isinstance(found, dict) else None
    return [str(item["start"]) for item in items or [] if isinstance(item, dict)]


def offer_slots(
    dispatcher: CollectingDispatcher, store: str, offered: list[str] | None, language: str
) -> None:
    """Ask which of the free slots offered at the store (booking or moving)."""
    dispatcher.utter_message(
        response="utter_ask_appointment_slot",
        store=store,
        slots=join_words([when(iso, language) for iso in offered or []], "or", language),
        buttons=[{"title": when(iso, language), "payload": iso} for iso in offered or []],
    )


async def offered_at(store_id: str, offer: str = OFFERED, stop: str = STOP) -> dict[str, Any]:
    """The store's earliest free slots in the offer slot; the journey stopped (the stop
    slot set) when there are none. Booking and moving each name their own slots."""
    offered = (await free_slots(store_id))[:OFFER_COUNT]
    return {offer: offered} if offered else {offer: offered, stop: NO_SLOTS}


class ValidateAppointmentForm(JourneyForm):
    """Reads each answer and checks it against the stores' free slots."""

    goal, form, stop, asked = GOAL, FORM, STOP, ASKED
    kept = [PURPOSE, STORE]

    def given(self, tracker: Tracker, answers: dict[str, str]) -> list[str]:
        store = next(
            (s for s in tracker.get_slot(STORES) or [] if s["id"] == answers.get(STORE)), None
        )
        return [
            *(
                [purpose_words(answers[PURPOSE], conversation_language(tracker.slots))]
                if answers.get(PURPOSE) in PURPOSE_WORDS
                else []
            ),
            *([str(store["name"])] if store else []),
        ]

    async def restored(self, tracker: Tracker, answers: dict[str, Any]) -> dict[str, Any]:
        """A store no longer listed is asked again; the free slots are the ones free now."""
        answers = {k: v for k, v in answers.items() if k != PURPOSE or v in PURPOSE_WORDS}
        if not any(s["id"] == answers.get(STORE) for s in tracker.get_slot(STORES) or []):
            return {k: v for k, v in answers.items() if k != STORE}
        try:
            return {**answers, **(await offered_at(answers[STORE]))}
        except backend.BackendError:
            return {STOP: BACKEND}

    async def answers(self, tracker: Tracker, reply: Reply) -> dict[str, Any]:
        asking, text = reply.asking, reply.text
        updates: dict[str, Any] = {}
        try:
            if tracker.get_slot(STORES) is None:
                found = await backend.call(backend.client().get, "/stores")
                updates[STORES] = [
                    {k: s.get(k) for k in ("id", "name", "city", "hours")}
                    for s in (found.get("items") or [])
                ]
            if asking is None and not tracker.get_slot(PURPOSE):
                updates[PURPOSE] = purpose_of(opening_text(tracker, GOAL))
            if asking == PURPOSE:
                updates[PURPOSE] = purpose_of(text)
            if asking == STORE:
                store = chosen_store(text, updates.get(STORES) or tracker.get_slot(STORES) or [])
                updates[STORE] = store
                if store:
                    updates |= await offered_at(store)
            if asking == SLOT:
                updates[SLOT] = chosen_slot(text, tracker.get_slot(OFFERED) or [])
            if asking == CONFIRMED:
                updates[CONFIRMED] = reply.confirmation
        except backend.BackendError:
            return {STOP: BACKEND}
        left = leaving(asking, reply.intent, GOAL, updates.get(asking or "") is not None, text)
        return {STOP: left} if left else updates


class ActionAskAppointmentStore(Action):
    """Which store: the stores from the backend, with their hours (on the phone the
    names alone: four stores' hours make a sentence no caller can follow)."""

    def name(self) -> str:
        return "action_ask_appointment_store"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        stores = tracker.get_slot(STORES) or []
        spoken = tracker.get_latest_input_channel() == SPOKEN
        named = [s["name"] if spoken else f"{s['name']} ({s['hours']})" for s in stores]
        dispatcher.utter_message(
            response="utter_ask_appointment_store",
            stores=join_words(named, "or", conversation_language(tracker.slots)),
            buttons=[{"title": str(s["name"]), "payload": str(s["id"])} for s in stores],
        )
        return []


class ActionAskAppointmentSlot(Action):
    """Which slot: the free slots offered, earliest (or nearest) first."""

    def name(self) -> str:
        return "action_ask_appointment_slot"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        offer_slots(
            dispatcher,
            appointment_words(tracker)["store"],
            tracker.get_slot(OFFERED),
            conversation_language(tracker.slots),
        )
        return []


class ActionAskAppointmentConfirmed(Action):
    """The booking restated exactly before anything is booked."""

    def name(self) -> str:
        return "action_ask_appointment_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        words = appointment_words(tracker)
        dispatcher.utter_message(response="utter_ask_appointment_confirmed", **words)
        return []
