"""Activating a pending device policy against the real backend: the activation form's
reading of each answer (pending policies from the backend, the device, the serial or
IMEI, the yes to the terms), then action_activate_policy: activated once for a doubled
yes, nothing on a no, a serial already covered refused truthfully, none pending and
already active answered apart, the backend failing mid-journey."""

from functools import lru_cache
from typing import Any

import pytest
import requests
from rasa.shared.core.domain import Domain
from rasa_sdk import Tracker

from actions.activate_policy import ActionActivatePolicy
from actions.activation_form import (
    ALREADY_ACTIVE,
    CONFIRMED,
    DEVICE,
    NONE_PENDING,
    POLICIES,
    POLICY,
    SERIAL,
    STOP,
    WRONG_DEVICE,
    ActionAskActivationConfirmed,
    ActionAskActivationDevice,
    ActionAskActivationPolicy,
    ValidateActivationForm,
    device_serial,
)
from actions.journey import BACKEND, OTHER_GOAL, STOPPED
from actions.responses import placeholders
from actions.responses import responses as domain_responses
from actions.slots import BACKEND_FAILURES, HUMAN_OFFERED, VERIFIED_CUSTOMER_ID
from stack.processes import ROOT
from tests.support.services import Service
from tests.unit.actions.conftest import (
    backend_down,
    outcomes,
    recorded,
    responses,
    slots_set,
    tracker,
)
from tests.unit.actions.conftest import run as run_in

PENDING = "C-1011"  # POL-50008 Orbit 12 smartphone (basic), pending activation
OTHER_PENDING = "C-1012"  # POL-50009 Orbit 12 Lite smartphone (plus), pending activation
UNTOUCHED = "C-1018"  # POL-50013 Pulse 2 smartwatch (plus): never activated here
ACTIVE_ONLY = "C-1001"  # POL-50001, active
NO_POLICY = "C-1025"  # POL-50018, cancelled
IMEI = "352099001761481"  # a valid IMEI (its Luhn digit is right)
GOAL = ("action_activate_policy", "activate_policy")


def run(action: Any, track: Tracker, domain: dict[str, Any] | None = None) -> Any:
    """run() that also checks every response said exists with all its variables."""
    events, said = run_in(action, track, domain)
    for name, words in said:
        assert name in domain_responses() and placeholders(str(name)) <= set(words), name
    return events, said


@lru_cache(maxsize=1)
def domain() -> dict[str, Any]:
    return Domain.load(str(ROOT / "domain.yml")).as_dict()


def activating(slots: dict[str, Any], text: str, intent: str = "inform") -> Tracker:
    """The activation form running for a verified customer who asked to activate."""
    track = tracker(slots, text=text, intent=intent, active_loop="activation_form")
    opening = "I want to activate my protection plan"
    track.events.insert(
        3,
        {
            "event": "user",
            "text": opening,
            "timestamp": 1.5,
            "parse_data": {
                "text": opening,
                "intent": {"name": "activate_policy", "confidence": 0.9},
            },
        },
    )
    return track


def form_turn(slots: dict[str, Any], text: str, **kwargs: Any) -> dict[str, Any]:
    events, said = run(ValidateActivationForm(), activating(slots, text, **kwargs), domain())
    assert said == []
    return slots_set(events)


def policy_of(backend: Service, customer: str) -> dict[str, Any]:
    reply = requests.get(f"{backend.url}/customers/{customer}/device_policies", timeout=5)
    [policy] = reply.json()["items"]
    return dict(policy)


def pending(backend: Service, customer: str) -> list[dict[str, Any]]:
    policy = policy_of(backend, customer)
    keep = ("id", "device", "plan", "covers", "excess", "premium_monthly")
    return [{**{k: policy[k] for k in keep}, "currency": "EUR"}]


def confirmed(backend: Service, customer: str, **slots: Any) -> dict[str, Any]:
    policies = pending(backend, customer)
    return {
        VERIFIED_CUSTOMER_ID: customer,
        POLICIES: policies,
        POLICY: policies[0]["id"],
        DEVICE: "yes",
        SERIAL: IMEI,
        CONFIRMED: "yes",
        "activation_starting": True,
        **slots,
    }


def test_serials_and_imeis_are_read_and_a_wrong_check_digit_is_not() -> None:
    assert device_serial("it's 35 209900 176148 1") == IMEI
    assert device_serial("serial c02xk1abjg5h") == "C02XK1ABJG5H"
    assert device_serial("352099001761482") is None  # the Luhn digit is wrong
    assert device_serial("I don't know it") is None
    assert device_serial("1234") is None


def test_a_single_pending_policy_is_chosen_without_asking(backend: Service) -> None:
    slots = form_turn({VERIFIED_CUSTOMER_ID: PENDING}, "66721")
    assert [p["id"] for p in slots[POLICIES]] == ["POL-50008"]
    assert slots[POLICY] == "POL-50008" and STOP not in slots


def test_no_pending_policy_is_told_apart_from_an_active_one(backend: Service) -> None:
    assert form_turn({VERIFIED_CUSTOMER_ID: ACTIVE_ONLY}, "hi")[STOP] == ALREADY_ACTIVE
    assert form_turn({VERIFIED_CUSTOMER_ID: NO_POLICY}, "hi")[STOP] == NONE_PENDING
    for customer, stop, response in (
        (ACTIVE_ONLY, ALREADY_ACTIVE, "utter_activation_already_active"),
        (NO_POLICY, NONE_PENDING, "utter_activation_none_pending"),
    ):
        events, said = run(
            ActionActivatePolicy(), tracker({VERIFIED_CUSTOMER_ID: customer, STOP: stop})
        )
        assert responses(said) == [response]
        assert outcomes(events) == [(*GOAL, "not_found")]


def test_the_device_serial_and_terms_answers_are_read(backend: Service) -> None:
    known = {
        VERIFIED_CUSTOMER_ID: PENDING,
        POLICIES: pending(backend, PENDING),
        POLICY: "POL-50008",
    }
    assert form_turn({**known, "requested_slot": DEVICE}, "yes", intent="affirm")[DEVICE] == "yes"
    assert form_turn({**known, "requested_slot": DEVICE}, "no", intent="deny")[STOP] == (
        WRONG_DEVICE
    )
    assert form_turn({**known, "requested_slot": SERIAL}, f"it is {IMEI}")[SERIAL] == IMEI
    assert form_turn({**known, "requested_slot": SERIAL}, "no idea")[SERIAL] is None
    assert form_turn({**known, "requested_slot": SERIAL}, "bye", intent="goodbye")[STOP] == (
        STOPPED
    )
    no = form_turn({**known, "requested_slot": CONFIRMED}, "no", intent="deny")
    assert no == {CONFIRMED: "no"}


def test_another_request_since_ends_the_form_for_it() -> None:
    track = tracker(
        {VERIFIED_CUSTOMER_ID: PENDING},
        text="where is my order",
        intent="check_order_status",
        active_loop="activation_form",
    )
    events, _ = run(ValidateActivationForm(), track, domain())
    assert slots_set(events)[STOP] == OTHER_GOAL


def test_the_questions_name_the_device_and_restate_the_terms(backend: Service) -> None:
    slots = confirmed(backend, PENDING)
    _, which = run(ActionAskActivationPolicy(), tracker(slots))
    assert which[0][1]["policies"] == "Orbit 12 smartphone (POL-50008)"
    _, device = run(ActionAskActivationDevice(), tracker(slots))
    assert device[0][1]["device"] == "Orbit 12 smartphone"
    _, restated = run(ActionAskActivationConfirmed(), tracker(slots))
    words = restated[0][1]
    assert words["plan"] == "basic" and words["covered"] == "screen damage and malfunction"
    assert words["excess"] == "€49.00" and words["premium"] == "€7.19"
    assert words["serial_end"] == "1481"


def test_a_confirmed_activation_happens_once_however_often_the_yes_comes(
    backend: Service,
) -> None:
    first_events, first = run(ActionActivatePolicy(), tracker(confirmed(backend, PENDING), "yes"))
    again_events, again = run(ActionActivatePolicy(), tracker(confirmed(backend, PENDING), "yes"))
    assert responses(first) == ["utter_activation_done"] == responses(again)
    assert first[0][1]["start_date"] == "24 November 2026" == again[0][1]["start_date"]
    policy = policy_of(backend, PENDING)
    assert policy["status"] == "active" and policy["start_date"] == "2026-11-24"
    assert outcomes(first_events) == [(*GOAL, "done")]
    detail = recorded(first_events)[0]["detail"]
    assert detail["steps"] == [
        "verified",
        "policy_chosen",
        "device_confirmed",
        "serial_given",
        "terms_accepted",
    ]
    assert detail["terms_version"] == "2026-01"
    cleared = slots_set(again_events)
    assert cleared["activation_starting"] is None and cleared[SERIAL] is None


def test_a_serial_already_covered_is_refused_and_not_told_as_active(backend: Service) -> None:
    # Runs after the activation above: IMEI now covers POL-50008.
    slots = confirmed(backend, OTHER_PENDING)
    run(ActionActivatePolicy(), tracker(confirmed(backend, PENDING), "yes"))
    events, said = run(ActionActivatePolicy(), tracker(slots, "yes", sender="other"))
    assert responses(said) == ["utter_activation_refused"]
    assert slots_set(events)[HUMAN_OFFERED] is True
    assert outcomes(events) == [(*GOAL, "failed")]
    assert policy_of(backend, OTHER_PENDING)["status"] == "pending_activation"


def test_a_no_or_the_wrong_device_activates_nothing(backend: Service) -> None:
    events, said = run(
        ActionActivatePolicy(), tracker(confirmed(backend, UNTOUCHED, **{CONFIRMED: "no"}), "no")
    )
    assert responses(said) == ["utter_activation_not_done"]
    assert outcomes(events) == [(*GOAL, "declined")]
    slots = confirmed(backend, UNTOUCHED, **{DEVICE: None, STOP: WRONG_DEVICE, CONFIRMED: None})
    events, said = run(ActionActivatePolicy(), tracker(slots, "no"))
    assert responses(said) == ["utter_activation_wrong_device"]
    assert outcomes(events) == [(*GOAL, "refused")]
    assert policy_of(backend, UNTOUCHED)["status"] == "pending_activation"


def test_the_backend_failing_activates_nothing_and_says_so(
    backend: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    slots = confirmed(backend, UNTOUCHED)
    backend_down(monkeypatch)
    assert form_turn({VERIFIED_CUSTOMER_ID: UNTOUCHED}, "hi")[STOP] == BACKEND
    events, said = run(ActionActivatePolicy(), tracker(slots, "yes"))
    assert responses(said) == ["utter_backend_down"]
    assert slots_set(events)[BACKEND_FAILURES] == 1
    assert outcomes(events) == [(*GOAL, "unavailable")]
    monkeypatch.undo()
    assert policy_of(backend, UNTOUCHED)["status"] == "pending_activation"
