"""Acquisition and onboarding help against the real backend: catalog and plan answers,
the quote with its working (the form reading the device from the question or the
answer), the lead with consent (stored once, not on a no, the backend's refusal and
failure told as they are), and the help for an account not yet activated."""

from typing import Any

import pytest

from actions.account_help import ActionHelpAccountActivation, what_they_can_do
from actions.capture_lead import ActionCaptureLead
from actions.catalog import monthly, named_plan, named_product, quote_words
from actions.catalog_answers import (
    DEVICE,
    NOT_PROTECTED,
    PLAN,
    STOP,
    UNKNOWN_DEVICE,
    ActionAnswerCatalog,
    ActionAskQuoteDevice,
    ActionGiveQuote,
    ValidateQuoteForm,
)
from actions.journey import BACKEND, OTHER_GOAL, STOPPED
from actions.lead_form import (
    CONFIRMED,
    CONTACT,
    INTEREST,
    NAME,
    ActionAskLeadConsent,
    ValidateLeadForm,
    contact_of,
    name_of,
)
from actions.lifecycle_config import LifecycleConfigError, load_config, parse_config
from actions.slots import VERIFIED_CUSTOMER_ID
from tests.support.catalog import PLANS
from tests.unit.actions.conftest import backend_down, outcomes, responses, slots_set, tracker
from tests.unit.actions.journeys import domain, form_turn, in_form, run

CATALOG = [
    {"sku": "PH-ORB-12", "name": "Orbit 12 smartphone", "category": "phone", "price": 799.0},
    {"sku": "PH-ORB-12L", "name": "Orbit 12 Lite smartphone", "category": "phone", "price": 449.0},
    {"sku": "TB-SLT-10", "name": "Slate 10 tablet", "category": "tablet", "price": 529.0},
    {"sku": "AC-CASE-12", "name": "Orbit 12 protective case", "category": "accessory", "price": 29},
]


@pytest.mark.parametrize(
    ("text", "sku"),
    [
        ("how much is the Orbit 12", "PH-ORB-12"),
        ("what about the orbit 12 lite?", "PH-ORB-12L"),
        ("the tablet", "TB-SLT-10"),
        ("a protective case for my phone", "AC-CASE-12"),
        ("a phone", None),
        ("what do you sell", None),
    ],
)
def test_the_product_named_is_the_best_match_of_its_name(text: str, sku: str | None) -> None:
    found = named_product(text, CATALOG)
    assert (found["sku"] if found else None) == sku


def test_a_quote_shows_its_working_rounded_to_the_cent_half_up() -> None:
    assert named_plan("what does PLUS cover", PLANS) == PLANS[1]
    assert named_plan("plusses", PLANS) is None
    # The fixture's POL-50002 is plus on a Slate 10 tablet at 7.41 a month.
    assert str(monthly(529.0, 1.4)) == "7.41"
    assert str(monthly(250, 0.9)) == "2.25"  # 2.250 exactly, half up
    words = quote_words(CATALOG[2], PLANS[1])
    assert words == {
        "plan": "Plus",
        "covers": "screen damage, malfunction, water damage and theft",
        "excess": "€29.00",
        "rate": "1.4%",
        "device": "Slate 10 tablet",
        "price": "€529.00",
        "monthly": "€7.41",
    }


def test_products_and_plans_are_answered_from_the_backend() -> None:
    events, said = run(
        ActionAnswerCatalog(),
        tracker(text="how much is the Orbit 12 Lite", intent="ask_product_price"),
    )
    assert said == [
        ("utter_product_price", {"product": "Orbit 12 Lite smartphone", "price": "€449.00"})
    ]
    assert outcomes(events) == [("action_answer_catalog", "ask_product_price", "answered")]
    _, said = run(
        ActionAnswerCatalog(), tracker(text="what do you sell", intent="ask_product_price")
    )
    assert (
        responses(said) == ["utter_catalog"]
        and "AirX 14 laptop (€1299.00)" in said[0][1]["products"]
    )
    _, said = run(ActionAnswerCatalog(), tracker(text="plans?", intent="ask_protection_plans"))
    assert [w["plan"] for _, w in said] == ["Basic", "Plus"]
    _, said = run(
        ActionAnswerCatalog(), tracker(text="excess on basic?", intent="ask_protection_plans")
    )
    assert said == [
        (
            "utter_protection_plan",
            {"plan": "Basic", "covers": "screen damage and malfunction", "excess": "€49.00",
             "rate": "0.9%"},
        )
    ]  # fmt: skip


def test_the_backend_down_is_said_and_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    backend_down(monkeypatch)
    events, said = run(ActionAnswerCatalog(), tracker(text="plans?", intent="ask_protection_plans"))
    assert responses(said) == ["utter_backend_down"]
    assert outcomes(events) == [("action_answer_catalog", "ask_protection_plans", "unavailable")]


def quote_turn(opening: str, slots: dict[str, Any], text: str, intent: str = "inform") -> Any:
    """The slots the quote form's turn sets, but the form's own requested_slot."""
    track = in_form("quote_form", "get_plan_quote", opening, slots, text, intent)
    return {k: v for k, v in form_turn(ValidateQuoteForm(), track).items() if k != "requested_slot"}


def test_the_quote_form_reads_the_device_and_plan_from_the_question_or_the_answer() -> None:
    opening = "how much is plus on a Slate 10 a month"
    assert quote_turn(opening, {}, opening, "get_plan_quote") == {
        DEVICE: "TB-SLT-10",
        PLAN: "plus",
    }
    assert quote_turn("a quote please", {}, "a quote please") == {}
    asked = {"requested_slot": DEVICE}
    assert quote_turn("a quote", asked, "the AirX 14") == {DEVICE: "LP-AIRX-14"}
    assert quote_turn("a quote", asked, "the 65W charger") == {
        DEVICE: "AC-CHG-65",
        STOP: NOT_PROTECTED,
    }
    assert quote_turn("a quote", asked, "a toaster") == {STOP: UNKNOWN_DEVICE}
    assert quote_turn("a quote", asked, "no thanks", "deny") == {STOP: STOPPED}


def test_the_device_is_asked_among_the_protected_ones() -> None:
    _, said = run(ActionAskQuoteDevice(), tracker(), domain())
    [(response, words)] = said
    assert response == "utter_ask_quote_device" and "charger" not in words["devices"]
    assert "Slate 10 tablet" in words["devices"] and len(words["buttons"]) == 6


def test_without_the_catalog_the_form_ends_and_the_quote_action_apologises_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backend_down(monkeypatch)
    events, said = run(ActionAskQuoteDevice(), tracker(), domain())
    assert said == [] and slots_set(events) == {STOP: BACKEND, "requested_slot": None}
    events, said = run(ActionGiveQuote(), tracker({STOP: BACKEND}), domain())
    assert responses(said) == ["utter_backend_down"]
    assert outcomes(events) == [("action_give_quote", "get_plan_quote", "unavailable")]


def test_the_quote_is_given_per_plan_with_its_working_and_nothing_is_sold() -> None:
    events, said = run(ActionGiveQuote(), tracker({DEVICE: "TB-SLT-10"}), domain())
    assert responses(said) == ["utter_plan_quote", "utter_plan_quote", "utter_quote_next"]
    assert said[1][1]["monthly"] == "€7.41" and said[0][1]["monthly"] == "€4.76"  # 4.761
    assert outcomes(events) == [("action_give_quote", "get_plan_quote", "answered")]
    assert slots_set(events)[DEVICE] is None
    _, said = run(ActionGiveQuote(), tracker({DEVICE: "TB-SLT-10", PLAN: "basic"}), domain())
    assert [w.get("plan") for _, w in said] == ["Basic", None]
    events, said = run(
        ActionGiveQuote(), tracker({DEVICE: "AC-CHG-65", STOP: NOT_PROTECTED}), domain()
    )
    assert said[0][0] == "utter_quote_not_protected" and said[0][1]["device"] == "65W fast charger"
    assert outcomes(events) == [("action_give_quote", "get_plan_quote", "not_found")]


@pytest.mark.parametrize(
    ("text", "contact"),
    [
        ("sam.lee@example.com please", ("email", "sam.lee@example.com")),
        ("it's +44 7700 900123", ("phone", "+447700900123")),
        ("07700 900123", None),  # no country code: the backend cannot tell the country
        ("tomorrow", None),
    ],
)
def test_the_contact_is_an_address_or_an_international_number(
    text: str, contact: tuple[str, str] | None
) -> None:
    assert contact_of(text) == contact


def test_the_name_is_read_without_its_introduction() -> None:
    assert name_of("my name is Sam Lee") == "Sam Lee"
    assert name_of("Zoë") == "Zoë"
    assert name_of("sam@example.com") is None and name_of("12345") is None and name_of("") is None


def leading(slots: dict[str, Any], text: str, intent: str = "inform") -> Any:
    opening = "can an adviser contact me about the Slate 10"
    return in_form("lead_form", "request_sales_contact", opening, slots, text, intent)


def test_a_prospect_need_not_be_verified_and_each_answer_is_read() -> None:
    start = form_turn(
        ValidateLeadForm(),
        leading({}, "an adviser to contact me about the Slate 10?", "request_sales_contact"),
    )
    assert start == {INTEREST: "Slate 10 tablet"}
    named = form_turn(ValidateLeadForm(), leading({"requested_slot": NAME}, "I'm Sam Lee"))
    assert named == {NAME: "Sam Lee"}
    reached = form_turn(ValidateLeadForm(), leading({"requested_slot": CONTACT}, "sam@example.com"))
    assert reached == {CONTACT: ["email", "sam@example.com"]}
    consent = form_turn(ValidateLeadForm(), leading({"requested_slot": CONFIRMED}, "yes", "affirm"))
    assert consent == {CONFIRMED: "yes"}
    left = form_turn(
        ValidateLeadForm(),
        leading({"requested_slot": NAME}, "where is my order", "check_order_status"),
    )
    assert left == {"lead_stop": OTHER_GOAL, "requested_slot": None}


LEAD = {
    NAME: "Sam Lee",
    CONTACT: ["email", "sam.unit@example.com"],
    INTEREST: "Slate 10 tablet",
    CONFIRMED: "yes",
    "lead_capture": True,
}


def test_the_consent_is_restated_before_anything_is_kept() -> None:
    _, said = run(ActionAskLeadConsent(), tracker(LEAD), domain())
    assert said == [
        (
            "utter_ask_lead_consent",
            {"name": "Sam Lee", "contact": "sam.unit@example.com", "contact_how": "by e-mail",
             "interest": "Slate 10 tablet"},
        )
    ]  # fmt: skip


def test_a_consented_lead_is_stored_once_however_often_the_action_runs() -> None:
    first_events, first = run(ActionCaptureLead(), tracker(LEAD, "yes", "affirm", sender="lead-1"))
    _, again = run(ActionCaptureLead(), tracker(LEAD, "yes", "affirm", sender="lead-1"))
    assert responses(first) == ["utter_lead_kept"] == responses(again)
    assert first[0][1]["lead_id"].startswith("LEAD-")
    assert first[0][1]["lead_id"] == again[0][1]["lead_id"]
    assert outcomes(first_events) == [("action_capture_lead", "request_sales_contact", "done")]
    [outcome] = next(e["value"] for e in first_events if e.get("name") == "outcomes")
    assert outcome["detail"] == {"channel": "email"}  # no name, no address
    assert all(slots_set(first_events)[name] is None for name in (NAME, CONTACT, INTEREST))


def test_no_consent_keeps_nothing_and_a_refusal_or_failure_is_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events, said = run(ActionCaptureLead(), tracker({**LEAD, CONFIRMED: "no"}, "no", "deny"))
    assert responses(said) == ["utter_lead_not_kept"]
    assert outcomes(events) == [("action_capture_lead", "request_sales_contact", "declined")]
    bad = {**LEAD, CONTACT: ["phone", "+0"]}  # the backend refuses the number
    events, said = run(ActionCaptureLead(), tracker(bad, "yes", "affirm", sender="lead-2"))
    assert responses(said) == ["utter_lead_refused_by_backend"]
    assert outcomes(events) == [("action_capture_lead", "request_sales_contact", "failed")]
    backend_down(monkeypatch)
    events, said = run(ActionCaptureLead(), tracker(LEAD, "yes", "affirm", sender="lead-3"))
    assert responses(said) == ["utter_backend_down"]
    assert outcomes(events) == [("action_capture_lead", "request_sales_contact", "unavailable")]


def test_an_account_not_activated_hears_what_it_can_do_from_its_record() -> None:
    # C-1011: onboarding, not activated, POL-50008 pending on an Orbit 12 smartphone.
    events, said = run(ActionHelpAccountActivation(), tracker({VERIFIED_CUSTOMER_ID: "C-1011"}))
    [(response, words)] = said
    assert response == "utter_account_not_activated"
    assert words["can_do"].startswith("activate the protection for your Orbit 12 smartphone")
    assert outcomes(events) == [
        ("action_help_account_activation", "ask_account_activation", "answered")
    ]
    _, said = run(ActionHelpAccountActivation(), tracker({VERIFIED_CUSTOMER_ID: "C-1002"}))
    assert responses(said) == ["utter_account_already_activated"]
    events, said = run(ActionHelpAccountActivation(), tracker({"verification_failed": True}))
    assert responses(said) == ["utter_verification_failed"]
    assert outcomes(events)[-1][2] == "refused"


def test_what_a_new_customer_can_do_lists_pending_policies_and_the_newest_order() -> None:
    policies = [{"id": "POL-1", "device": "Slate 10 tablet", "status": "pending_activation"},
                {"id": "POL-2", "device": "Pulse 2 smartwatch", "status": "active"}]  # fmt: skip
    assert what_they_can_do(policies, [{"id": "BW-1"}, {"id": "BW-0"}]) == [
        "activate the protection for your Slate 10 tablet (policy POL-1)",
        "follow your order BW-1",
        "book an advice appointment at one of our stores",
    ]


def test_the_shipped_acquisition_settings_and_a_bad_one() -> None:
    shipped = load_config().acquisition
    assert shipped.consent_text_version == "2026-11" and "accessory" not in (
        shipped.protected_categories
    )
    raw = {"claims": {}, "activation": {}, "retention": {"max_cancellations_per_year": 2}}
    for bad, problem in [
        ({"protected_categories": []}, "acquisition.protected_categories: "),
        ({"consent_text_version": "v 1"}, "acquisition.consent_text_version: "),
    ]:
        with pytest.raises(LifecycleConfigError, match=problem):
            parse_config({**raw, "acquisition": bad})
