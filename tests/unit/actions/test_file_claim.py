"""Filing a device claim against the real backend: the claim form's reading of each
answer (policies from the backend, the plan's cover, lifecycle.yml's limit), then
action_file_claim: filed once for a doubled yes, not filed on a no, an uncovered
incident explained, a theft handed to a person, the backend failing mid-journey."""

from typing import Any

import pytest
import requests
from rasa_sdk import Tracker

from actions.claim_form import (
    CONFIRMED,
    DATE,
    DESCRIPTION,
    HAND_OVER,
    INCIDENT,
    NOT_COVERED,
    POLICIES,
    POLICY,
    STOP,
    ActionAskClaimConfirmed,
    ActionAskClaimIncident,
    ActionAskClaimPolicy,
    ValidateClaimForm,
)
from actions.file_claim import LIMIT_RULE, ActionFileClaim
from actions.journey import BACKEND, OTHER_GOAL, STOPPED
from actions.slots import BACKEND_FAILURES, HUMAN_OFFERED, VERIFIED_CUSTOMER_ID
from tests.support.services import Service
from tests.unit.actions.conftest import (
    backend_down,
    outcomes,
    recorded,
    responses,
    slots_set,
    tracker,
)
from tests.unit.actions.journeys import domain, in_form, run
from tests.unit.actions.journeys import form_turn as journey_turn

TWO_POLICIES = "C-1014"  # POL-50011 Orbit 12 smartphone (basic), POL-50012 Pulse 2 (plus)
ONE_POLICY = "C-1001"  # POL-50001 Pulse 2 smartwatch (basic)
GOAL = ("action_file_claim", "file_claim")


def claiming(
    slots: dict[str, Any], text: str, intent: str = "inform", opening: str = "I want to claim"
) -> Tracker:
    """The claim form running for a verified customer who opened with `opening`."""
    return in_form("claim_form", "file_claim", opening, slots, text, intent)


def form_turn(slots: dict[str, Any], text: str, **kwargs: Any) -> dict[str, Any]:
    return journey_turn(ValidateClaimForm(), claiming(slots, text, **kwargs))


def policies_of(backend: Service, customer: str) -> list[dict[str, Any]]:
    reply = requests.get(f"{backend.url}/customers/{customer}/device_policies", timeout=5)
    return [
        {
            "id": p["id"],
            "device": p["device"],
            "plan": p["plan"],
            "covers": p["covers"],
            "excess": p["excess"],
            "currency": "EUR",
        }
        for p in reply.json()["items"]
    ]


def claims_of(backend: Service, customer: str) -> list[str]:
    reply = requests.get(f"{backend.url}/customers/{customer}/claims", timeout=5)
    return [c["id"] for c in reply.json()["items"]]


def test_at_the_start_the_policies_come_from_the_backend_and_the_opening_names_the_incident() -> (
    None
):
    slots = form_turn(
        {VERIFIED_CUSTOMER_ID: TWO_POLICIES}, "72609", opening="my screen is cracked, can I claim"
    )
    assert [p["id"] for p in slots[POLICIES]] == ["POL-50012", "POL-50011"]  # newest first
    assert slots[INCIDENT] == "screen_damage"
    assert POLICY not in slots and STOP not in slots


def test_one_policy_is_chosen_without_asking(backend: Service) -> None:
    slots = form_turn({VERIFIED_CUSTOMER_ID: ONE_POLICY}, "hi", opening="I need to make a claim")
    assert slots[POLICY] == "POL-50001"
    assert slots[INCIDENT] is None


def test_the_device_named_picks_the_policy_and_an_uncovered_incident_stops_the_form(
    backend: Service,
) -> None:
    known = {
        VERIFIED_CUSTOMER_ID: TWO_POLICIES,
        POLICIES: policies_of(backend, TWO_POLICIES),
        "requested_slot": POLICY,
        INCIDENT: "water_damage",
    }
    slots = form_turn(known, "the Orbit 12 phone")
    assert slots[POLICY] == "POL-50011" and slots[STOP] == NOT_COVERED  # basic: no water
    slots = form_turn(known, "my smartwatch")
    assert slots[POLICY] == "POL-50012" and STOP not in slots  # plus covers water


def test_a_theft_is_kept_from_the_assistant_by_lifecycle_yml(backend: Service) -> None:
    known = {
        VERIFIED_CUSTOMER_ID: TWO_POLICIES,
        POLICIES: policies_of(backend, TWO_POLICIES),
        POLICY: "POL-50012",
        "requested_slot": INCIDENT,
    }
    # The form's mapping put the raw answer in the slot: it is read, not kept.
    said = "it was stolen on the train"
    assert form_turn({**known, INCIDENT: said}, said)[STOP] == HAND_OVER
    said = "it just stopped working"
    slots = form_turn({**known, INCIDENT: said}, said)
    assert slots[INCIDENT] == "malfunction" and STOP not in slots
    said = "I don't know"
    assert form_turn({**known, INCIDENT: said}, said)[INCIDENT] is None


def test_dates_descriptions_and_the_yes_are_read_and_a_no_mid_form_stops(backend: Service) -> None:
    known = {
        VERIFIED_CUSTOMER_ID: ONE_POLICY,
        POLICIES: policies_of(backend, ONE_POLICY),
        POLICY: "POL-50001",
        INCIDENT: "malfunction",
    }
    on_day = {**known, "requested_slot": DATE, DATE: "on 20 November"}
    assert form_turn(on_day, "on 20 November")[DATE].endswith("-11-20")
    assert form_turn({**known, "requested_slot": DATE}, "no idea")[DATE] is None
    said = "  It  stopped\ncharging. "
    assert form_turn({**known, "requested_slot": DESCRIPTION}, said)[DESCRIPTION] == (
        "It stopped charging."
    )
    yes = form_turn({**known, "requested_slot": CONFIRMED}, "yes", intent="affirm")
    assert yes[CONFIRMED] == "yes"
    assert form_turn({**known, "requested_slot": CONFIRMED}, "hmm")[CONFIRMED] is None
    assert form_turn({**known, "requested_slot": DATE}, "no, forget it", intent="deny")[STOP] == (
        STOPPED
    )
    said = "No, it wasn't dropped, it just died overnight."
    described = form_turn({**known, "requested_slot": DESCRIPTION}, said, intent="deny")
    assert described == {DESCRIPTION: said}


def test_relative_days_are_read_against_the_backends_today_not_the_clock(
    backend: Service,
) -> None:
    """The backend's today is the fixture's 2026-11-24 (a Tuesday), whatever the clock
    says: "yesterday" is the day before it, so the backend never sees a future date."""
    today = requests.get(f"{backend.url}/today", timeout=5).json()["today"]
    assert today == "2026-11-24"
    known = {
        VERIFIED_CUSTOMER_ID: ONE_POLICY,
        POLICIES: policies_of(backend, ONE_POLICY),
        POLICY: "POL-50001",
        INCIDENT: "malfunction",
        "requested_slot": DATE,
    }
    for said, meant in (
        ("yesterday", "2026-11-23"),
        ("last Friday", "2026-11-20"),
        ("3 days ago", "2026-11-21"),
        ("today", "2026-11-24"),
    ):
        assert form_turn({**known, DATE: said}, said)[DATE] == meant, said
    assert form_turn({**known, DATE: "on 28 November"}, "on 28 November")[DATE] == "2025-11-28"


def test_the_backend_down_when_the_day_is_read_ends_the_form_truthfully(
    backend: Service, monkeypatch: Any
) -> None:
    known = {
        VERIFIED_CUSTOMER_ID: ONE_POLICY,
        POLICIES: policies_of(backend, ONE_POLICY),
        POLICY: "POL-50001",
        INCIDENT: "malfunction",
        "requested_slot": DATE,
    }
    backend_down(monkeypatch)
    assert form_turn({**known, DATE: "yesterday"}, "yesterday")[STOP] == BACKEND


def test_another_request_since_ends_the_form_for_it() -> None:
    track = tracker(
        {VERIFIED_CUSTOMER_ID: ONE_POLICY},
        text="where is my order",
        intent="check_order_status",
        active_loop="claim_form",
    )
    events, _ = run(ValidateClaimForm(), track, domain())
    assert slots_set(events)[STOP] == OTHER_GOAL


def test_the_backend_down_at_the_start_ends_the_form_truthfully(monkeypatch: Any) -> None:
    backend_down(monkeypatch)
    assert form_turn({VERIFIED_CUSTOMER_ID: ONE_POLICY}, "hi")[STOP] == BACKEND
    events, said = run(
        ActionFileClaim(),
        tracker({VERIFIED_CUSTOMER_ID: ONE_POLICY, STOP: BACKEND}, "hi", "inform"),
    )
    assert responses(said) == ["utter_backend_down"]
    assert slots_set(events)[BACKEND_FAILURES] == 1
    assert outcomes(events) == [(*GOAL, "unavailable")]


def confirmed(backend: Service, customer: str = ONE_POLICY, **slots: Any) -> dict[str, Any]:
    return {
        VERIFIED_CUSTOMER_ID: customer,
        POLICIES: policies_of(backend, customer),
        POLICY: "POL-50001",
        INCIDENT: "screen_damage",
        DATE: "2026-11-20",
        DESCRIPTION: "Dropped it on the pavement; the glass is cracked.",
        CONFIRMED: "yes",
        "claim_filing": True,
        **slots,
    }


def test_a_confirmed_claim_is_filed_once_however_often_the_yes_comes(backend: Service) -> None:
    before = claims_of(backend, ONE_POLICY)
    first_events, first = run(ActionFileClaim(), tracker(confirmed(backend), "yes", "affirm"))
    again_events, again = run(ActionFileClaim(), tracker(confirmed(backend), "yes", "affirm"))
    assert responses(first) == ["utter_new_claim_filed"] == responses(again)
    words = first[0][1]
    assert words["claim_id"].startswith("CLM-") and words["claim_id"] == again[0][1]["claim_id"]
    assert words["excess"] == "€49.00" and words["incident_date"] == "20 November 2026"
    assert "business days" in words["next_step"]
    assert claims_of(backend, ONE_POLICY) == [words["claim_id"], *before]
    assert outcomes(first_events) == [(*GOAL, "done")]
    assert recorded(first_events)[0]["record"] == words["claim_id"]
    cleared = slots_set(again_events)
    assert cleared["claim_filing"] is None and cleared[CONFIRMED] is None


def test_a_no_files_nothing(backend: Service) -> None:
    before = claims_of(backend, ONE_POLICY)
    events, said = run(
        ActionFileClaim(), tracker(confirmed(backend, **{CONFIRMED: "no"}), "no", "deny")
    )
    assert responses(said) == ["utter_new_claim_not_filed"]
    assert outcomes(events) == [(*GOAL, "declined")]
    assert claims_of(backend, ONE_POLICY) == before


def test_an_uncovered_incident_is_explained_with_what_the_plan_covers(backend: Service) -> None:
    slots = confirmed(backend, **{INCIDENT: "water_damage", STOP: NOT_COVERED, CONFIRMED: None})
    events, said = run(ActionFileClaim(), tracker(slots, "water", "inform"))
    [(response, words)] = said
    assert response == "utter_new_claim_not_covered"
    assert words["incident"] == "water damage" and words["plan"] == "basic"
    assert words["covered"] == "screen damage or malfunction"
    assert slots_set(events)[HUMAN_OFFERED] is True
    assert outcomes(events) == [(*GOAL, "refused")]


def test_a_theft_goes_to_a_person_with_the_limit_as_the_reason(backend: Service) -> None:
    slots = confirmed(
        backend, TWO_POLICIES, **{POLICY: "POL-50012", INCIDENT: "theft", STOP: HAND_OVER}
    )
    slots[POLICIES] = policies_of(backend, TWO_POLICIES)
    before = claims_of(backend, TWO_POLICIES)
    events, said = run(ActionFileClaim(), tracker(slots, "stolen", "inform"))
    assert responses(said) == ["utter_new_claim_to_person"]
    assert {"event": "followup", "name": "action_escalate", "timestamp": None} in events
    decision = slots_set(events)["escalation_decision"]
    assert decision["escalate"] is True and decision["rule"] == LIMIT_RULE
    assert decision["values"] == {"incident_type": "theft"}
    assert outcomes(events) == [(*GOAL, "handed_over")]
    assert claims_of(backend, TWO_POLICIES) == before


def test_the_backend_failing_at_the_filing_files_nothing_and_says_so(
    backend: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    slots = confirmed(backend, **{DESCRIPTION: "It fell off the table and the screen split."})
    before = claims_of(backend, ONE_POLICY)
    backend_down(monkeypatch)
    events, said = run(ActionFileClaim(), tracker(slots, "yes", "affirm"))
    assert responses(said) == ["utter_backend_down"]
    assert outcomes(events) == [(*GOAL, "unavailable")]
    assert claims_of(backend, ONE_POLICY) == before


def test_a_claim_the_backend_refuses_is_not_told_as_filed(backend: Service) -> None:
    slots = confirmed(backend, **{DATE: "2026-01-02"})  # before the policy started
    events, said = run(ActionFileClaim(), tracker(slots, "yes", "affirm"))
    assert responses(said) == ["utter_new_claim_refused"]
    assert outcomes(events) == [(*GOAL, "failed")]


def test_the_questions_name_the_policies_the_cover_and_restate_the_claim(
    backend: Service,
) -> None:
    slots = confirmed(backend)
    _, which = run(ActionAskClaimPolicy(), tracker({POLICIES: policies_of(backend, TWO_POLICIES)}))
    assert which[0][1]["policies"] == (
        "Pulse 2 smartwatch (POL-50012) or Orbit 12 smartphone (POL-50011)"
    )
    _, what = run(ActionAskClaimIncident(), tracker(slots))
    assert what[0][1]["covered"] == "screen damage or malfunction"
    _, restated = run(ActionAskClaimConfirmed(), tracker(slots))
    assert restated[0][1]["incident"] == "screen damage"
    assert restated[0][1]["excess"] == "€49.00"
    assert restated[0][1]["description"] == slots[DESCRIPTION]
