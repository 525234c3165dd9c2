"""Starting a return against the real backend: the return form's reading of each
answer (orders from the backend, the one named while verifying, one that cannot be
returned), then action_start_return: authorised once for a doubled yes, not started
on a no, outside the window (a backend whose today is later) explained with the
policy and a person offered, the backend failing mid-journey."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker

from actions.journey import BACKEND, OTHER_GOAL, STOPPED
from actions.return_form import (
    CONFIRMED,
    NO_ORDER,
    NOT_RETURNABLE,
    ORDER_CHOSEN,
    ORDERS,
    REASON,
    STOP,
    ActionAskReturnConfirmed,
    ActionAskReturnOrder,
    ValidateReturnForm,
    chosen_order,
    return_reason,
)
from actions.slots import HUMAN_OFFERED, VERIFIED_CUSTOMER_ID
from actions.start_return import ActionStartReturn
from tests.backend.support import start_backend
from tests.support.services import Service
from tests.unit.actions.conftest import (
    CACHES,
    backend_down,
    outcomes,
    recorded,
    responses,
    slots_set,
    tracker,
)
from tests.unit.actions.journeys import form_turn as journey_turn
from tests.unit.actions.journeys import in_form, run

GOAL = ("action_start_return", "start_return")
THREE_ORDERS = "C-1011"  # BW-100025, BW-100026, BW-100027: delivered, returnable
ONE_ORDER = "C-1008"  # BW-100019
NOT_RETURNABLE_ONLY = "C-1016"  # BW-100036: delivered, not returnable


def returning(slots: dict[str, Any], text: str, intent: str = "inform") -> Tracker:
    return in_form("return_form", "start_return", "I want to return something", slots, text, intent)


def form_turn(slots: dict[str, Any], text: str, **kwargs: Any) -> dict[str, Any]:
    return journey_turn(ValidateReturnForm(), returning(slots, text, **kwargs))


def started(customer: str) -> dict[str, Any]:
    """The form's first turn for a verified customer: their orders read."""
    return form_turn({VERIFIED_CUSTOMER_ID: customer}, "98096")


def test_several_returnable_orders_are_asked_about_and_one_is_chosen_without_asking() -> None:
    several = started(THREE_ORDERS)
    assert [o["id"] for o in several[ORDERS]] == ["BW-100027", "BW-100026", "BW-100025"]
    assert ORDER_CHOSEN not in several and STOP not in several
    assert started(ONE_ORDER)[ORDER_CHOSEN] == "BW-100019"
    assert started(NOT_RETURNABLE_ONLY)[STOP] == NO_ORDER


def test_the_order_named_while_verifying_is_the_one_and_a_non_returnable_one_stops() -> None:
    named = form_turn({VERIFIED_CUSTOMER_ID: THREE_ORDERS, "order_id": "BW-100026"}, "66721")
    assert named[ORDER_CHOSEN] == "BW-100026" and STOP not in named
    refused = form_turn({VERIFIED_CUSTOMER_ID: NOT_RETURNABLE_ONLY, "order_id": "BW-100036"}, "x")
    assert refused[ORDER_CHOSEN] == "BW-100036" and refused[STOP] == NOT_RETURNABLE


def test_answers_are_read_and_a_no_mid_form_stops() -> None:
    orders = started(THREE_ORDERS)[ORDERS]
    known = {VERIFIED_CUSTOMER_ID: THREE_ORDERS, ORDERS: orders}
    assert form_turn({**known, "requested_slot": ORDER_CHOSEN}, "the second one")[ORDER_CHOSEN] == (
        "BW-100026"
    )
    assert form_turn({**known, "requested_slot": ORDER_CHOSEN}, "BW-100019")[ORDER_CHOSEN] is None
    assert form_turn({**known, "requested_slot": REASON}, "it arrived damaged")[REASON] == (
        "damaged_in_delivery"
    )
    yes = form_turn({**known, "requested_slot": CONFIRMED}, "yes", intent="affirm")
    assert yes[CONFIRMED] == "yes"
    assert form_turn({**known, "requested_slot": REASON}, "stop", intent="deny")[STOP] == STOPPED
    # An answer the NLU reads as a no is still an answer.
    wrong = form_turn({**known, "requested_slot": REASON}, "it's the wrong item", intent="deny")
    assert wrong == {REASON: "wrong_item"}
    no = form_turn({**known, "requested_slot": CONFIRMED}, "no", intent="deny")
    assert no == {CONFIRMED: "no"}
    damaged = {**known, "requested_slot": REASON}
    assert form_turn(damaged, "it arrived damaged", intent="check_order_status") == {
        REASON: "damaged_in_delivery"
    }
    # A question that answers nothing leaves the form for it.
    asked = form_turn(damaged, "where is my other parcel", intent="check_order_status")
    assert asked[STOP] == OTHER_GOAL and asked["requested_slot"] is None  # the form ends


def test_the_words_name_the_reason_and_the_order() -> None:
    assert return_reason("it's the wrong colour, not what I ordered") == "wrong_item"
    assert return_reason("It stopped charging") == "faulty"
    assert return_reason("it keeps switching itself off") == "faulty"
    assert return_reason("I changed my mind") == "changed_mind"
    assert return_reason("just because") == "other"
    orders = [{"id": "BW-100027"}, {"id": "BW-100026"}]
    assert chosen_order("bw 100026", orders) == "BW-100026"
    assert chosen_order("1", orders) == "BW-100027"


def confirmed(customer: str, order: str, **slots: Any) -> dict[str, Any]:
    orders = started(customer)[ORDERS]
    return {
        VERIFIED_CUSTOMER_ID: customer,
        ORDERS: orders,
        ORDER_CHOSEN: order,
        REASON: "faulty",
        CONFIRMED: "yes",
        "return_starting": True,
        **slots,
    }


def test_a_confirmed_return_is_authorised_once_however_often_the_yes_comes() -> None:
    slots = confirmed(THREE_ORDERS, "BW-100027")
    first_events, first = run(ActionStartReturn(), tracker(slots, "yes", "affirm"))
    again_events, again = run(ActionStartReturn(), tracker(slots, "yes", "affirm"))
    assert responses(first) == ["utter_return_authorised"] == responses(again)
    words = first[0][1]
    assert words["return_id"].startswith("RMA-") and words["return_id"] == again[0][1]["return_id"]
    assert words["items"] == "Orbit 12 protective case" and words["reason"] == "it's faulty"
    assert words["refund"].startswith("€") and words["return_by"] == "14 December 2026"
    assert outcomes(first_events) == [(*GOAL, "done")]
    assert recorded(first_events)[0]["record"] == words["return_id"]
    assert slots_set(again_events)["return_starting"] is None
    # Another conversation asking again hears it is authorised already.
    other = run(ActionStartReturn(), tracker(slots, "yes", "affirm", sender="another"))[1]
    assert responses(other) == ["utter_return_exists"]


def test_a_no_starts_nothing_and_a_non_returnable_order_is_explained() -> None:
    slots = confirmed(ONE_ORDER, "BW-100019", **{CONFIRMED: "no"})
    events, said = run(ActionStartReturn(), tracker(slots, "no", "deny"))
    assert responses(said) == ["utter_return_not_started"]
    assert outcomes(events) == [(*GOAL, "declined")]
    slots = confirmed(NOT_RETURNABLE_ONLY, "BW-100036", **{STOP: NOT_RETURNABLE})
    events, said = run(ActionStartReturn(), tracker(slots, "x", "inform"))
    assert responses(said) == ["utter_return_not_returnable"]
    assert said[0][1]["order_id"] == "BW-100036"
    assert slots_set(events)[HUMAN_OFFERED] is True
    assert outcomes(events) == [(*GOAL, "refused")]


def test_the_backend_failing_mid_journey_starts_nothing_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slots = confirmed(ONE_ORDER, "BW-100019")
    backend_down(monkeypatch)
    assert started(ONE_ORDER)[STOP] == BACKEND
    events, said = run(ActionStartReturn(), tracker(slots, "yes", "affirm"))
    assert responses(said) == ["utter_backend_down"]
    assert outcomes(events) == [(*GOAL, "unavailable")]


@pytest.fixture
def later_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Service]:
    """A backend whose today is past every fixture order's return window."""
    service = start_backend(
        "later-backend",
        tmp_path,
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}", "BACKEND_TODAY": "2027-03-01"},
    )
    monkeypatch.setenv("BACKEND_URL", service.url)
    for cache in CACHES:
        cache.cache_clear()
    yield service
    service.stop()


def test_outside_the_window_the_policy_is_explained_and_a_person_offered(
    later_backend: Service, backend: Service
) -> None:
    slots = confirmed(ONE_ORDER, "BW-100019")
    events, said = run(ActionStartReturn(), tracker(slots, "yes", "affirm"))
    [(response, words)] = said
    assert response == "utter_return_outside_window"
    assert words["window_days"] == "30" and words["delivered_on"] == "1 November 2026"
    assert slots_set(events)[HUMAN_OFFERED] is True
    assert outcomes(events) == [(*GOAL, "refused")]


def test_the_questions_list_the_orders_and_restate_the_return() -> None:
    slots = confirmed(THREE_ORDERS, "BW-100025")
    _, which = run(ActionAskReturnOrder(), tracker(slots))
    assert (
        "BW-100025 (Hush 3 noise-cancelling headphones, 65W fast charger, delivered"
        in (which[0][1]["orders"])
    )
    _, restated = run(ActionAskReturnConfirmed(), tracker(slots))
    assert restated[0][1]["order_id"] == "BW-100025" and restated[0][1]["reason"] == "it's faulty"
