"""Moving or cancelling an appointment against the real backend: the change form's
reading (the customer's booked appointments, move or cancel, the store's free
slots), then action_change_appointment: moved or cancelled once for a doubled yes, a
new time taken since the offer refused with the nearest free ones, a no, the backend
down."""

from typing import Any

import pytest
import requests
from rasa_sdk import Tracker

from actions.appointment_form import when
from actions.change_appointment import ActionChangeAppointment
from actions.change_form import (
    APPOINTMENT,
    BOOKED_LIST,
    CONFIRMED,
    KIND,
    OFFERED,
    SLOT,
    STOP,
    ActionAskChangeConfirmed,
    ValidateChangeForm,
    chosen_appointment,
    kind_of,
)
from actions.journey import BACKEND
from actions.slots import VERIFIED_CUSTOMER_ID
from tests.support.services import Service
from tests.unit.actions.conftest import backend_down, outcomes, responses, slots_set, tracker
from tests.unit.actions.journeys import form_turn as journey_turn
from tests.unit.actions.journeys import in_form, run

GOAL = ("action_change_appointment", "change_appointment")
CUSTOMER = "C-1030"  # no appointment in the fixture: each test books its own


def free(backend: Service, store: str) -> list[str]:
    reply = requests.get(f"{backend.url}/appointment_slots", params={"store_id": store}, timeout=5)
    return [item["start"] for item in reply.json()["items"]]


def booked(backend: Service, store: str, index: int) -> tuple[str, str]:
    """A new appointment of CUSTOMER's at the store's index-th free slot: (id, start)."""
    start = free(backend, store)[index]
    reply = requests.post(
        f"{backend.url}/appointments",
        json={"customer_id": CUSTOMER, "store_id": store, "start": start, "purpose": "repair"},
        timeout=5,
    )
    assert reply.status_code == 201, reply.text
    return reply.json()["id"], start


def changing(slots: dict[str, Any], text: str, opening: str, intent: str = "inform") -> Tracker:
    return in_form("change_form", "change_appointment", opening, slots, text, intent)


def form_turn(slots: dict[str, Any], text: str, opening: str, **kwargs: Any) -> dict[str, Any]:
    return journey_turn(ValidateChangeForm(), changing(slots, text, opening, **kwargs))


def ready(backend: Service, opening: str, appointment: str) -> dict[str, Any]:
    """The form after its first turn and the appointment chosen."""
    first = form_turn({VERIFIED_CUSTOMER_ID: CUSTOMER}, "hi", opening)
    slots = {VERIFIED_CUSTOMER_ID: CUSTOMER, **first, APPOINTMENT: appointment}
    if first.get(KIND) == "move" and OFFERED not in first:
        slots.update(form_turn(slots, appointment, opening))
    return slots


def test_the_form_reads_the_appointments_and_offers_free_times_for_a_move(
    backend: Service,
) -> None:
    appointment, start = booked(backend, "ST-MAN", 0)
    first = form_turn({VERIFIED_CUSTOMER_ID: CUSTOMER}, "hi", "I need to move my appointment")
    assert appointment in [a["id"] for a in first[BOOKED_LIST]]
    assert first[KIND] == "move"
    slots = ready(backend, "I need to move my appointment", appointment)
    assert slots[OFFERED] == free(backend, "ST-MAN")[:5] and start not in slots[OFFERED]
    cancel = form_turn({VERIFIED_CUSTOMER_ID: CUSTOMER}, "hi", "cancel my appointment please")
    assert cancel[KIND] == "cancel" and OFFERED not in cancel


def test_answers_name_the_appointment_and_the_change() -> None:
    listed = [{"id": "APT-3005"}, {"id": "APT-3009"}]
    assert chosen_appointment("apt 3009", listed) == "APT-3009"
    assert chosen_appointment("the first", listed) == "APT-3005"
    assert chosen_appointment("APT-1234", listed) is None
    assert kind_of("can we reschedule") == "move" and kind_of("call it off") is None
    assert kind_of("please call off the visit") == "cancel"


def test_a_move_is_made_once_however_often_the_yes_comes(backend: Service) -> None:
    appointment, start = booked(backend, "ST-BER", 3)
    slots = ready(backend, "move my appointment", appointment)
    new = slots[OFFERED][0]
    slots = {**slots, SLOT: new, CONFIRMED: "yes", "appointment_changing": True}
    _, asked = run(ActionAskChangeConfirmed(), tracker(slots))
    assert asked[0][1]["start"] == when(start) and asked[0][1]["new_start"] == when(new)
    events, said = run(ActionChangeAppointment(), tracker(slots, "yes", "affirm"))
    _, again = run(ActionChangeAppointment(), tracker(slots, "yes", "affirm"))
    assert responses(said) == ["utter_appointment_moved"] == responses(again)
    assert start in free(backend, "ST-BER") and new not in free(backend, "ST-BER")
    assert outcomes(events) == [(*GOAL, "done")]


def test_a_new_time_taken_since_the_offer_is_refused_with_the_nearest_free_ones(
    backend: Service,
) -> None:
    appointment, _ = booked(backend, "ST-PAR", 4)
    slots = ready(backend, "reschedule my appointment", appointment)
    new = slots[OFFERED][1]
    taken = requests.post(
        f"{backend.url}/appointments",
        json={"customer_id": "C-1002", "store_id": "ST-PAR", "start": new, "purpose": "advice"},
        timeout=5,
    )
    assert taken.status_code == 201
    slots = {**slots, SLOT: new, CONFIRMED: "yes", "appointment_changing": True}
    events, said = run(ActionChangeAppointment(), tracker(slots, "yes", "affirm"))
    assert responses(said) == ["utter_appointment_slot_taken"]
    alternatives = slots_set(events)[OFFERED]
    assert alternatives and new not in alternatives
    assert {"event": "followup", "name": "change_form", "timestamp": None} in events
    assert outcomes(events) == [(*GOAL, "failed")]


def test_a_cancellation_frees_the_slot_and_a_no_changes_nothing(backend: Service) -> None:
    appointment, start = booked(backend, "ST-LON", 5)
    slots = ready(backend, "cancel my appointment", appointment)
    no = {**slots, CONFIRMED: "no", "appointment_changing": True}
    events, said = run(ActionChangeAppointment(), tracker(no, "no", "deny"))
    assert responses(said) == ["utter_appointment_not_changed"]
    assert start not in free(backend, "ST-LON")
    yes = {**slots, CONFIRMED: "yes", "appointment_changing": True}
    events, said = run(ActionChangeAppointment(), tracker(yes, "yes", "affirm"))
    assert responses(said) == ["utter_appointment_cancelled"]
    assert said[0][1]["appointment_id"] == appointment
    assert start in free(backend, "ST-LON")
    assert outcomes(events) == [(*GOAL, "done")]


def test_the_backend_down_changes_nothing_and_says_so(
    backend: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    appointment, _ = booked(backend, "ST-MAN", 6)
    slots = ready(backend, "cancel my appointment", appointment)
    backend_down(monkeypatch)
    assert form_turn({VERIFIED_CUSTOMER_ID: CUSTOMER}, "hi", "cancel it")[STOP] == BACKEND
    yes = {**slots, CONFIRMED: "yes", "appointment_changing": True}
    events, said = run(ActionChangeAppointment(), tracker(yes, "yes", "affirm"))
    assert responses(said) == ["utter_backend_down"]
    assert outcomes(events) == [(*GOAL, "unavailable")]


@pytest.mark.parametrize(
    ("language", "kind", "said"),
    [
        ("en", "move", "to move it"),
        ("de", "move", "Verschieben"),
        ("fr", "cancel", "l'annuler"),
        ("es", "cancel", "cancelarla"),
    ],
)
def test_a_change_left_half_way_is_restated_in_the_conversations_language(
    language: str, kind: str, said: str
) -> None:
    booked = [
        {
            "id": "APT-0001",
            "store": "Berlin Mitte",
            "start": "2026-12-03T10:00:00",
            "purpose": "repair",
        }
    ]
    track = tracker({"language": language, BOOKED_LIST: booked})
    given = ValidateChangeForm().given(
        track, {"change_appointment_id": "APT-0001", "change_kind": kind}
    )
    assert given == [f"APT-0001 (Berlin Mitte, {when(booked[0]['start'], language)})", said]
