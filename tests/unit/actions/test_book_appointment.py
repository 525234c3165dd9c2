"""Booking an appointment against the real backend: the form's reading of each
answer (stores and free slots from the backend), then action_book_appointment:
booked once for a doubled yes, not booked on a no, a slot taken between the offer
and the yes refused with the nearest free ones (and the form asked again), the
backend down."""

from typing import Any

import pytest
import requests
from rasa_sdk import Tracker

from actions.appointment_form import (
    CONFIRMED,
    OFFERED,
    PURPOSE,
    SLOT,
    STOP,
    STORE,
    STORES,
    ActionAskAppointmentConfirmed,
    ActionAskAppointmentSlot,
    ActionAskAppointmentStore,
    ValidateAppointmentForm,
    chosen_slot,
    chosen_store,
    purpose_of,
    when,
)
from actions.book_appointment import ActionBookAppointment, nearest
from actions.journey import BACKEND
from actions.slots import VERIFIED_CUSTOMER_ID
from tests.support.services import Service
from tests.unit.actions.conftest import (
    backend_down,
    outcomes,
    responses,
    slots_set,
    tracker,
)
from tests.unit.actions.journeys import form_turn as journey_turn
from tests.unit.actions.journeys import in_form, run

GOAL = ("action_book_appointment", "book_appointment")
CUSTOMER = "C-1013"


def booking(slots: dict[str, Any], text: str, intent: str = "inform") -> Tracker:
    opening = "I need my screen repaired in store"
    return in_form("appointment_form", "book_appointment", opening, slots, text, intent)


def form_turn(slots: dict[str, Any], text: str, **kwargs: Any) -> dict[str, Any]:
    return journey_turn(ValidateAppointmentForm(), booking(slots, text, **kwargs))


def free(backend: Service, store: str) -> list[str]:
    reply = requests.get(f"{backend.url}/appointment_slots", params={"store_id": store}, timeout=5)
    return [item["start"] for item in reply.json()["items"]]


def test_the_form_reads_stores_slots_and_the_purpose_from_the_backend(backend: Service) -> None:
    first = form_turn({VERIFIED_CUSTOMER_ID: CUSTOMER}, "64718")
    assert [s["id"] for s in first[STORES]] == ["ST-LON", "ST-MAN", "ST-BER", "ST-PAR"]
    assert first[PURPOSE] == "repair"  # from the opening message
    known = {VERIFIED_CUSTOMER_ID: CUSTOMER, STORES: first[STORES], PURPOSE: "repair"}
    store = form_turn({**known, "requested_slot": STORE, STORE: "Manchester"}, "Manchester")
    assert store[STORE] == "ST-MAN" and store[OFFERED] == free(backend, "ST-MAN")[:5]
    offered = store[OFFERED]
    picked = form_turn(
        {**known, STORE: "ST-MAN", OFFERED: offered, "requested_slot": SLOT, SLOT: "the second"},
        "the second",
    )
    assert picked[SLOT] == offered[1]


def test_answers_name_stores_slots_and_purposes() -> None:
    stores = [{"id": "ST-LON", "city": "London"}, {"id": "ST-MAN", "city": "Manchester"}]
    assert chosen_store("st-man", stores) == "ST-MAN"
    assert chosen_store("london please", stores) == "ST-LON"
    assert chosen_store("2", stores) == "ST-MAN"
    assert chosen_store("Paris", stores) is None
    offered = ["2026-11-25T09:30:00", "2026-11-25T14:00:00"]
    assert chosen_slot("2026-11-25T14:00:00", offered) == offered[1]
    assert chosen_slot("14:00 works", offered) == offered[1]
    assert chosen_slot("the first", offered) == offered[0]
    assert chosen_slot("next year", offered) is None
    assert purpose_of("my screen is broken") == "repair"
    assert purpose_of("help choosing a laptop") == "advice"
    assert when("2026-11-25T14:00:00") == "Wednesday 25 November at 14:00"
    assert nearest(
        ["2026-11-25T09:30:00", "2026-11-26T11:00:00", "2026-11-28T09:30:00"],
        "2026-11-26T14:00:00",
        2,
    ) == ["2026-11-25T09:30:00", "2026-11-26T11:00:00"]  # 28.5 h and 3 h away, in time order


def confirmed(backend: Service, store: str, start: str, **slots: Any) -> dict[str, Any]:
    stores = form_turn({VERIFIED_CUSTOMER_ID: CUSTOMER}, "hi")[STORES]
    return {
        VERIFIED_CUSTOMER_ID: CUSTOMER,
        STORES: stores,
        PURPOSE: "repair",
        STORE: store,
        OFFERED: [start],
        SLOT: start,
        CONFIRMED: "yes",
        "appointment_booking": True,
        **slots,
    }


def test_a_confirmed_slot_is_booked_once_however_often_the_yes_comes(backend: Service) -> None:
    start = free(backend, "ST-BER")[0]
    slots = confirmed(backend, "ST-BER", start)
    first_events, first = run(ActionBookAppointment(), tracker(slots, "yes", "affirm"))
    _, again = run(ActionBookAppointment(), tracker(slots, "yes", "affirm"))
    assert responses(first) == ["utter_appointment_booked"] == responses(again)
    words = first[0][1]
    assert words["appointment_id"].startswith("APT-")
    assert words["appointment_id"] == again[0][1]["appointment_id"]
    assert words["store"] == "Brightwave Berlin Mitte" and words["start"] == when(start)
    assert start not in free(backend, "ST-BER")
    assert outcomes(first_events) == [(*GOAL, "done")]


def test_a_slot_taken_since_the_offer_is_refused_with_the_nearest_free_ones(
    backend: Service,
) -> None:
    start = free(backend, "ST-PAR")[1]
    taken = requests.post(
        f"{backend.url}/appointments",
        json={"customer_id": "C-1002", "store_id": "ST-PAR", "start": start, "purpose": "advice"},
        timeout=5,
    )
    assert taken.status_code == 201, taken.text
    events, said = run(ActionBookAppointment(), tracker(confirmed(backend, "ST-PAR", start)))
    [(response, words)] = said
    assert response == "utter_appointment_slot_taken" and words["taken"] == when(start)
    alternatives = slots_set(events)[OFFERED]
    assert alternatives and start not in alternatives
    assert all(iso in free(backend, "ST-PAR") for iso in alternatives)
    assert slots_set(events)[SLOT] is None
    assert {"event": "followup", "name": "appointment_form", "timestamp": None} in events
    assert outcomes(events) == [(*GOAL, "failed")]


def test_a_no_books_nothing(backend: Service) -> None:
    start = free(backend, "ST-LON")[0]
    slots = confirmed(backend, "ST-LON", start, **{CONFIRMED: "no"})
    events, said = run(ActionBookAppointment(), tracker(slots, "no", "deny"))
    assert responses(said) == ["utter_appointment_not_booked"]
    assert start in free(backend, "ST-LON")
    assert outcomes(events) == [(*GOAL, "declined")]


def test_the_backend_down_books_nothing_and_says_so(
    backend: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = free(backend, "ST-LON")[2]
    slots = confirmed(backend, "ST-LON", start)
    backend_down(monkeypatch)
    assert form_turn({VERIFIED_CUSTOMER_ID: CUSTOMER}, "hi")[STOP] == BACKEND
    events, said = run(ActionBookAppointment(), tracker(slots, "yes", "affirm"))
    assert responses(said) == ["utter_backend_down"]
    assert outcomes(events) == [(*GOAL, "unavailable")]


def test_the_questions_list_stores_and_slots_and_restate_the_booking(backend: Service) -> None:
    start = free(backend, "ST-MAN")[0]
    slots = confirmed(backend, "ST-MAN", start)
    _, stores = run(ActionAskAppointmentStore(), tracker(slots))
    assert "Brightwave Manchester (Mon-Sat 09:00-18:00)" in stores[0][1]["stores"]
    _, heard = run(ActionAskAppointmentStore(), tracker(slots, channel="twilio_voice"))
    assert "Brightwave Manchester, " in heard[0][1]["stores"] and "09:00" not in str(heard)
    _, offered = run(ActionAskAppointmentSlot(), tracker(slots))
    assert offered[0][1]["slots"] == when(start)
    _, restated = run(ActionAskAppointmentConfirmed(), tracker(slots))
    assert restated[0][1]["purpose"] == "a repair" and restated[0][1]["start"] == when(start)
