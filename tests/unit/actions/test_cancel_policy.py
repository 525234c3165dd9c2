"""Cancelling a device policy with retention against the real backend: the cancel
form's reading of each answer (policies, tier, tenure and notice period from the
backend, the reason, lifecycle.yml's offer), then action_cancel_policy: cancelled once
for a doubled yes with the notice period's end date, an accepted offer carried out
once and confirmed in writing (a dear month free handed to a person unchanged), a no, the yearly limit, the backend failing mid-journey."""

from functools import lru_cache
from typing import Any

import pytest
import requests
from rasa.shared.core.domain import Domain
from rasa_sdk import Tracker

from actions import lifecycle_config as config_module
from actions.cancel_form import (
    CONFIRMED,
    FACTS,
    NO_OFFER,
    NO_POLICY,
    OFFER,
    OFFER_ANSWER,
    OVER_LIMIT,
    POLICIES,
    POLICY,
    REASON,
    STOP,
    ActionAskCancelConfirmed,
    ActionAskCancelOfferAnswer,
    ValidateCancelForm,
    cancel_reason,
)
from actions.cancel_policy import LIMIT_RULE, OFFER_LIMIT_RULE, ActionCancelPolicy
from actions.journey import BACKEND, STOPPED
from actions.responses import placeholders
from actions.responses import responses as domain_responses
from actions.slots import BACKEND_FAILURES, HUMAN_OFFERED, VERIFIED_CUSTOMER_ID
from common.config_files import read_yaml
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

SHORT_PLUS = "C-1006"  # standard tier since 2026-09, POL-50004 plus plan
LONG_BASIC = "C-1001"  # plus tier since 2024-04, POL-50001 basic plan
LONG_PLUS = "C-1005"  # premium tier since 2025-04, POL-50003 plus plan
TWO_POLICIES = "C-1028"  # POL-50019 plus, POL-50020 basic (no other test uses them)
CANCELLED_ONLY = "C-1025"
DEAR_PLUS = "C-1024"  # POL-50017 plus plan on an AirX 14 laptop, €18.19 a month
GOAL = ("action_cancel_policy", "cancel_policy")


def run(action: Any, track: Tracker, domain: dict[str, Any] | None = None) -> Any:
    """run() that also checks every response said exists with all its variables."""
    events, said = run_in(action, track, domain)
    for name, words in said:
        assert name in domain_responses() and placeholders(str(name)) <= set(words), name
    return events, said


@lru_cache(maxsize=1)
def domain() -> dict[str, Any]:
    return Domain.load(str(ROOT / "domain.yml")).as_dict()


def cancelling(slots: dict[str, Any], text: str, intent: str = "inform") -> Tracker:
    """The cancel form running for a verified customer who asked to cancel."""
    track = tracker(slots, text=text, intent=intent, active_loop="cancel_form")
    opening = "I want to cancel my protection plan"
    track.events.insert(
        3,
        {
            "event": "user",
            "text": opening,
            "timestamp": 1.5,
            "parse_data": {"text": opening, "intent": {"name": "cancel_policy", "confidence": 0.9}},
        },
    )
    return track


def form_turn(slots: dict[str, Any], text: str, **kwargs: Any) -> dict[str, Any]:
    events, said = run(ValidateCancelForm(), cancelling(slots, text, **kwargs), domain())
    assert said == []
    return slots_set(events)


def started(customer: str) -> dict[str, Any]:
    """The slots the form's first turn sets for this customer."""
    return {VERIFIED_CUSTOMER_ID: customer, **form_turn({VERIFIED_CUSTOMER_ID: customer}, "hi")}


def status(backend: Service, customer: str, policy: str) -> str:
    reply = requests.get(f"{backend.url}/customers/{customer}/device_policies", timeout=5)
    return str(next(p["status"] for p in reply.json()["items"] if p["id"] == policy))


def test_reasons_are_read_from_the_customers_words() -> None:
    assert cancel_reason("it's just too expensive for me") == "too_expensive"
    assert cancel_reason("I sold the phone") == "no_longer_needed"
    assert cancel_reason("I'm switching to another provider") == "switching_provider"
    assert cancel_reason("Something else") == "other"
    assert cancel_reason("hmm") is None


def test_the_policies_tier_tenure_and_notice_come_from_the_backend() -> None:
    slots = started(LONG_PLUS)
    assert [p["id"] for p in slots[POLICIES]] == ["POL-50003"] and slots[POLICY] == "POL-50003"
    assert slots[FACTS]["tier"] == "premium" and slots[FACTS]["tenure_months"] >= 19
    assert slots[FACTS]["notice_days"] == 30 and slots[FACTS]["cancelled"] == 0
    assert form_turn({VERIFIED_CUSTOMER_ID: CANCELLED_ONLY}, "hi")[STOP] == NO_POLICY


def test_the_offer_comes_from_lifecycle_yml_by_reason_plan_and_tenure() -> None:
    for customer, said, offer in (
        (SHORT_PLUS, "too expensive", "switch_to_basic"),  # plus plan
        (LONG_BASIC, "too expensive", "month_free"),  # basic plan, 31 months
        (SHORT_PLUS, "switching to another provider", NO_OFFER),  # 2 months
        (LONG_BASIC, "I sold my watch", NO_OFFER),  # no rule for it
    ):
        known = {**started(customer), "requested_slot": REASON}
        slots = form_turn({**known, REASON: said}, said)
        assert slots[OFFER] == offer, (customer, said)


def test_the_form_asks_the_offer_only_when_there_is_one() -> None:
    form = ValidateCancelForm()
    assert form.still_asked(tracker({OFFER: NO_OFFER})) == [POLICY, REASON, CONFIRMED]
    accepted = tracker({OFFER: "month_free", OFFER_ANSWER: "yes"})
    assert form.still_asked(accepted) == [POLICY, REASON, OFFER_ANSWER]
    declined = tracker({OFFER: "month_free", OFFER_ANSWER: "no"})
    assert form.still_asked(declined) == [POLICY, REASON, OFFER_ANSWER, CONFIRMED]


def test_a_goodbye_at_the_reason_stops() -> None:
    known = {**started(LONG_BASIC), "requested_slot": REASON}
    assert form_turn(known, "bye", intent="goodbye")[STOP] == STOPPED


def test_the_offer_and_the_cancellation_are_restated() -> None:
    slots = {**started(SHORT_PLUS), OFFER: "switch_to_basic"}
    _, offered = run(ActionAskCancelOfferAnswer(), tracker(slots))
    assert offered[0][0] == "utter_ask_cancel_offer_switch_to_basic"
    assert offered[0][1]["plan"] == "plus" and offered[0][1]["device"] == "Orbit 12 smartphone"
    _, restated = run(ActionAskCancelConfirmed(), tracker(slots))
    assert restated[0][1]["notice_days"] == "30" and restated[0][1]["policy_id"] == "POL-50004"


def test_a_confirmed_cancellation_happens_once_with_the_notice_periods_end(
    backend: Service,
) -> None:
    slots = {
        **started(LONG_PLUS),
        REASON: "no_longer_needed",
        OFFER: NO_OFFER,
        CONFIRMED: "yes",
        "cancel_starting": True,
    }
    first_events, first = run(ActionCancelPolicy(), tracker(slots, "yes", "affirm"))
    again_events, again = run(ActionCancelPolicy(), tracker(slots, "yes", "affirm"))
    assert responses(first) == ["utter_cancel_done"] == responses(again)
    assert first[0][1]["end_date"] == "24 December 2026" == again[0][1]["end_date"]
    assert first[0][1]["notice_days"] == "30"
    assert status(backend, LONG_PLUS, "POL-50003") == "cancelled"
    assert outcomes(first_events) == [(*GOAL, "done")]
    detail = recorded(first_events)[0]["detail"]
    assert detail["steps"] == [
        "verified",
        "policy_chosen",
        "reason_given",
        "cancellation_confirmed",
    ]
    assert detail["effective_date"] == "2026-12-24"
    assert slots_set(again_events)["cancel_starting"] is None


def policy(backend: Service, customer: str, policy_id: str) -> dict[str, Any]:
    reply = requests.get(f"{backend.url}/customers/{customer}/device_policies", timeout=5)
    return dict(next(p for p in reply.json()["items"] if p["id"] == policy_id))


def test_an_accepted_switch_to_basic_is_carried_out_once_and_confirmed_in_writing(
    backend: Service,
) -> None:
    slots = {
        **started(SHORT_PLUS),
        REASON: "too_expensive",
        OFFER: "switch_to_basic",
        OFFER_ANSWER: "yes",
    }
    events, said = run(ActionCancelPolicy(), tracker(slots, "yes", "affirm"))
    again_events, again = run(ActionCancelPolicy(), tracker(slots, "yes", "affirm"))
    assert responses(said) == ["utter_cancel_offer_done_switch_to_basic"] == responses(again)
    words = said[0][1]
    assert (words["previous_plan"], words["plan"], words["excess"]) == ("plus", "basic", "€49.00")
    assert words["premium"] == "€7.19" and words["covered"] == "screen damage and malfunction"
    assert words["applied_on"] == "24 November 2026" and again[0][1] == words
    kept = policy(backend, SHORT_PLUS, "POL-50004")
    assert (kept["status"], kept["plan"], kept["premium_monthly"]) == ("active", "basic", 7.19)
    assert outcomes(events) == [(*GOAL, "done")] == outcomes(again_events)
    detail = recorded(events)[0]["detail"]
    assert detail["kept"] == "switch_to_basic" and detail["retention_id"].startswith("RET-")
    assert "offer_accepted" in detail["steps"]
    assert "escalation_decision" not in slots_set(events)


def test_an_accepted_month_free_is_credited_and_a_second_one_refused_truthfully(
    backend: Service,
) -> None:
    slots = {**started(LONG_BASIC), REASON: "too_expensive", OFFER: "month_free"}
    slots[OFFER_ANSWER] = "yes"
    events, said = run(ActionCancelPolicy(), tracker(slots, "yes", "affirm"))
    assert responses(said) == ["utter_cancel_offer_done_month_free"]
    assert (said[0][1]["credit"], said[0][1]["free_month"]) == ("€2.24", "December 2026")
    assert said[0][1]["plan"] == "basic" and outcomes(events) == [(*GOAL, "done")]
    # Another conversation asks again: the backend refuses, and the customer hears so.
    other = tracker(slots, "yes", "affirm", sender="actions-test-other")
    refused_events, refused = run(ActionCancelPolicy(), other)
    assert responses(refused) == ["utter_cancel_offer_refused"]
    assert slots_set(refused_events)[HUMAN_OFFERED] is True
    assert outcomes(refused_events) == [(*GOAL, "failed")]
    assert status(backend, LONG_BASIC, "POL-50001") == "active"


def test_a_month_free_above_lifecycle_yml_limit_goes_to_a_person_unchanged(
    backend: Service,
) -> None:
    """lifecycle.yml credits at most €15.00 alone; the laptop's month is €18.19."""
    slots = {**started(DEAR_PLUS), REASON: "too_expensive", OFFER: "month_free"}
    slots[OFFER_ANSWER] = "yes"
    before = policy(backend, DEAR_PLUS, "POL-50017")
    events, said = run(ActionCancelPolicy(), tracker(slots, "yes", "affirm"))
    assert responses(said) == ["utter_cancel_offer_accepted_month_free"]
    assert {"event": "followup", "name": "action_escalate", "timestamp": None} in events
    decision = slots_set(events)["escalation_decision"]
    assert decision["rule"] == OFFER_LIMIT_RULE
    assert decision["values"] == {"offer": "month_free", "credit": 18.19}
    assert outcomes(events) == [(*GOAL, "handed_over")]
    assert policy(backend, DEAR_PLUS, "POL-50017") == before


def test_a_declined_offer_and_a_no_cancel_nothing(backend: Service) -> None:
    slots = {
        **started(LONG_BASIC),
        REASON: "too_expensive",
        OFFER: "month_free",
        OFFER_ANSWER: "no",
        CONFIRMED: "no",
    }
    events, said = run(ActionCancelPolicy(), tracker(slots, "no", "deny"))
    assert responses(said) == ["utter_cancel_not_done"]
    assert outcomes(events) == [(*GOAL, "declined")]
    assert "offer_declined" in recorded(events)[0]["detail"]["steps"]
    assert status(backend, LONG_BASIC, "POL-50001") == "active"


def test_a_cancellation_over_the_yearly_limit_goes_to_a_person(
    backend: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    requests.post(
        f"{backend.url}/device_policies/POL-50020/cancellation",
        json={"customer_id": TWO_POLICIES, "reason": "other"},
        headers={"Idempotency-Key": "unit-test-limit-0001"},
        timeout=5,
    ).raise_for_status()
    raw = read_yaml(config_module.DEFAULT_PATH, ValueError)
    raw["retention"]["max_cancellations_per_year"] = 1
    monkeypatch.setattr(
        "actions.cancel_form.lifecycle_config", lambda: config_module.parse_config(raw)
    )
    slots = form_turn({VERIFIED_CUSTOMER_ID: TWO_POLICIES}, "hi")
    assert slots[STOP] == OVER_LIMIT
    events, said = run(
        ActionCancelPolicy(), tracker({VERIFIED_CUSTOMER_ID: TWO_POLICIES, **slots}, "hi")
    )
    assert responses(said) == ["utter_cancel_to_person"]
    assert slots_set(events)["escalation_decision"]["rule"] == LIMIT_RULE
    assert outcomes(events) == [(*GOAL, "handed_over")]
    assert status(backend, TWO_POLICIES, "POL-50019") == "active"


def test_the_backend_failing_cancels_nothing_and_says_so(
    backend: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    slots = {**started(LONG_BASIC), REASON: "other", OFFER: NO_OFFER, CONFIRMED: "yes"}
    backend_down(monkeypatch)
    assert form_turn({VERIFIED_CUSTOMER_ID: LONG_BASIC}, "hi")[STOP] == BACKEND
    events, said = run(ActionCancelPolicy(), tracker(slots, "yes", "affirm"))
    assert responses(said) == ["utter_backend_down"]
    assert slots_set(events)[BACKEND_FAILURES] == 1 and slots_set(events)[HUMAN_OFFERED]
    assert outcomes(events) == [(*GOAL, "unavailable")]
    monkeypatch.undo()
    assert status(backend, LONG_BASIC, "POL-50001") == "active"
