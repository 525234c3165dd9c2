"""The backend's values in the customer's language (common/locale_values.py): a locale's
`values` checked when the assistant loads, and the words an order's, claim's or
invoice's answer is filled with in German, English when a locale has none."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions.appointment_form import when
from actions.cancel_form import cancel_reason
from actions.memory_words import event_message, last_contact
from actions.render import (
    claim_answer,
    day,
    invoice_answer,
    join_words,
    order_answer,
    value_text,
)
from common.languages import languages
from common.locale_values import KINDS, LocaleValuesError, read_values, value_words
from components.localised_nlg import LocaleError, localised
from stack.processes import ROOT
from tests.support.crm import first_with

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]


def locale(folder: Path, language: str, values: Any) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / f"{language}.yml").write_text(
        yaml.safe_dump({"responses": {}, "values": values}, allow_unicode=True)
    )
    return folder


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"order_state": {"shipped": "expédiée"}}, "values.order_state: not a kind of value"),
        ({"plan": {"gold": "Or"}}, "values.plan.gold: not a plan (basic, plus)"),
        ({"incident": {"theft": ""}}, "values.incident.theft: a text is needed"),
        ({"claim_status": ["approved"]}, "values.claim_status: a mapping of values to words"),
        (["plan"], "values: a mapping of kinds of value is needed"),
    ],
)
def test_a_bad_value_stops_the_load_naming_the_key(tmp_path: Path, values: Any, named: str) -> None:
    folder = locale(tmp_path / "locales", "fr", values)
    with pytest.raises(LocaleError, match=r"fr\.yml") as raised:
        localised(DOMAIN, languages(), folder)
    assert named in str(raised.value)
    with pytest.raises(LocaleValuesError, match=r"fr\.yml"):
        read_values(folder / "fr.yml")


def test_the_backends_own_texts_and_new_statuses_are_keyed_as_sent(tmp_path: Path) -> None:
    values = {
        "order_status": {"on_hold": "en attente"},
        "delay_reason": {"customs inspection": "un contrôle douanier"},
    }
    folder = locale(tmp_path / "locales", "fr", values)
    assert read_values(folder / "fr.yml") == values


def test_a_value_a_locale_does_not_word_is_said_in_english(tmp_path: Path) -> None:
    folder = locale(tmp_path / "locales", "fr", {"claim_status": {"approved": "acceptée"}})
    assert value_words("claim_status", "approved", "fr", "approved", folder) == "acceptée"
    assert value_words("claim_status", "paid", "fr", "paid", folder) == "paid"
    # As the default language's locale (locales/en.yml) words it, before the code.
    assert value_words("channel", "rest", "fr", None, folder) == "our app"
    assert value_words("claim_status", "under_review", "fr", None, folder) == "under review"
    assert value_words("plan", "plus", "it", "plus", folder) == "plus"  # no locale file


def test_german_words_every_closed_kind_completely() -> None:
    german = read_values(ROOT / "locales" / "de.yml")
    for kind, codes in KINDS.items():
        assert kind in german, kind
        if codes is not None:
            assert set(german[kind]) == codes, kind


def test_an_english_conversation_keeps_the_backends_words() -> None:
    assert value_text("claim_status", "under_review") == "under review"
    assert value_text("delay_reason", "customs inspection", "en") == "customs inspection"


def test_a_german_order_answer_says_the_delay_and_a_new_status_in_german() -> None:
    order = first_with("orders", status="delayed", delay_reason="customs inspection")
    name, variables = order_answer(order, "de")
    assert name.startswith("utter_order_delayed")
    assert variables["delay_reason"] == "einer Zollkontrolle"
    name, variables = order_answer({**order, "status": "on_hold"}, "de")
    assert (name, variables["status"]) == ("utter_order_other_status", "angehalten")
    assert order_answer({**order, "status": "on_hold"}, "en")[1]["status"] == "on hold"


def test_a_german_claim_answer_says_its_status_type_and_next_step_in_german() -> None:
    claim = first_with("claims", status="under_review")
    _, variables = claim_answer(claim, "de")
    assert variables["status"] == "in Prüfung"
    assert variables["claim_type"] in {"Displayschaden", "Defekt", "Wasserschaden", "Diebstahl"}
    assert variables["next_step"] == "Wir warten auf die Einschätzung unseres Reparaturpartners."


def test_a_german_invoice_answer_says_the_failure_and_a_new_status_in_german() -> None:
    invoice = first_with("invoices", status="failed", failure_reason="card expired")
    _, variables = invoice_answer(invoice, None, "de")
    assert variables["failure_reason"] == "Karte abgelaufen"
    _, variables = invoice_answer({**invoice, "status": "refunded"}, None, "de")
    assert variables["status"] == "erstattet"


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("zu teuer", "too_expensive"),
        ("ich brauche es nicht mehr", "no_longer_needed"),
        ("ich wechsle zu einem anderen Anbieter", "switching_provider"),
    ],
)
def test_a_reason_the_nlu_found_in_another_language_is_read(typed: str, reason: str) -> None:
    found = [{"entity": f"cancel_reason_{reason}", "value": typed}]
    assert cancel_reason(typed, found) == reason
    assert cancel_reason(typed, [{"entity": "language", "value": "de"}]) is None
    assert cancel_reason("It's too expensive") == "too_expensive"


def test_lists_and_appointment_times_are_worded_by_babel_in_the_conversations_language() -> None:
    covers = ["Displayschaden", "Defekt", "Wasserschaden"]
    assert join_words(covers, "or", "de") == "Displayschaden, Defekt oder Wasserschaden"
    assert join_words(covers[:2], "and", "de") == "Displayschaden und Defekt"
    assert join_words(["screen damage", "malfunction"], "or") == "screen damage or malfunction"
    assert when("2026-12-02T10:30:00", "de") == "Mittwoch, 2. Dezember 2026, 10:30"
    assert when("2026-12-02T10:30:00") == "Wednesday 2 December at 10:30"


def test_a_german_voice_variant_says_dates_and_amounts_as_babel_writes_them() -> None:
    order = first_with("orders", id="BW-100055")
    _, german = order_answer(order, "de")
    _, english = order_answer(order)
    assert german["eta_spoken"] == german["eta"] == day(order["eta"], "de")
    assert english["eta_spoken"].endswith("of November")  # actions/spoken.py's words
    invoice = first_with("invoices", status="failed")
    _, german = invoice_answer(invoice, None, "de")
    assert german["amount_spoken"] == german["amount"] and german["amount"].endswith("€")


def test_a_business_event_is_told_with_its_detail_in_the_conversations_language() -> None:
    event = {"type": "payment_failed", "record": "INV-900085", "data": {"detail": "card expired"}}
    assert event_message(event, "de") == (
        "utter_memory_event_payment_failed",
        {
            "invoice_id": "INV-900085",
            "invoice_id_spoken": "I N V 9 0 0 0 8 5",
            "detail": "Karte abgelaufen",
        },
    )
    claim = {"type": "claim_updated", "record": "CLM-70007", "data": {"status": "under_review"}}
    assert event_message(claim)[1]["detail"] == "under review"  # type: ignore[index]
    assert event_message(claim, "de")[1]["detail"] == "in Prüfung"  # type: ignore[index]


def test_the_last_contact_is_recalled_in_the_conversations_language() -> None:
    now = datetime(2026, 11, 30, 12, tzinfo=UTC).timestamp()
    contact = {"records": ["BW-100002"], "channel": "twilio_voice", "outcome": "resolved"}
    for days, english, german in (
        (0, "earlier today", "heute"),
        (1, "yesterday", "gestern"),
        (3, "on Friday", "am Freitag"),
        (9, "on 21 November", "am 21. November"),
    ):
        at = {**contact, "started_at": now - days * 86400}
        recalled = last_contact(at, "Jonas", now)
        assert recalled is not None and recalled[1]["last_when"] == english
        recalled = last_contact(at, "Jonas", now, "de")
        assert recalled is not None
        assert (recalled[1]["last_when"], recalled[1]["last_channel"]) == (german, "Telefon")
        assert recalled[1]["last_subject"] == "Bestellung BW-100002"


@pytest.mark.parametrize("code", sorted(set(languages().languages) - {languages().default}))
def test_each_language_words_every_value_whose_codes_are_known(code: str) -> None:
    values = yaml.safe_load((ROOT / "locales" / f"{code}.yml").read_text(encoding="utf-8"))
    worded = values.get("values") or {}
    for kind, codes in KINDS.items():
        if codes is not None:
            assert set(worded.get(kind) or {}) == codes, (code, kind)
