"""The words around the backend's values in the conversation's language (issue #18,
"answering in it"): an order's items and quantities, how an invoice is paid, the
payment methods, a plan's name, covers, excess and rate, how a record is named, a
policy answer's spoken numbers, a payment link's expiry and a call's listing. Each is
checked to hold no English word in German, French or Spanish, and to be unchanged in
English; the locale's phrases must fill the same placeholders as the default's."""

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk.executor import CollectingDispatcher

from actions.account_help import what_they_can_do
from actions.cancel_policy import month_words
from actions.catalog import named_plan, plan_words, quote_words
from actions.handoff_notice import handoff_notice
from actions.one_at_a_time import first_of_many
from actions.payment_link import link_words
from actions.records import CLAIM, INVOICE, ORDER
from actions.render import (
    POLICY_ANSWERS,
    invoice_answer,
    items,
    method_words,
    not_on_account,
    order_answer,
    payment_methods,
    record_label,
    spoken_items,
)
from actions.support_hours import WEEK, hours_words, moment_words
from common.locale_values import PHRASES, LocaleValuesError, phrase, read_values
from components.localised_nlg import LocalisedNLG
from stack.processes import ROOT
from tests.support.catalog import PLANS
from tests.support.crm import crm

OTHERS = ("de", "fr", "es")
# English words that must not be met inside a translated answer's values.
ENGLISH = frozenset(
    {"and", "or", "times", "card", "ending", "your", "items", "payment", "method", "to"}
    | {"the", "of", "delivered", "bank", "transfer", "order", "orders", "claims", "second"}
    | {"activate", "follow", "book", "policy", "screen", "damage", "theft", "unknown", "date"}
)
ORDER_OF_TWO = {
    "id": "BW-100001",
    "status": "shipped",
    "eta": "2026-12-03",
    "items": [{"name": "Slate 10 tablet", "qty": 1}, {"name": "65W charger", "qty": 2}],
}
PHONE = {"sku": "PH-ORB-12", "name": "Orbit 12 smartphone", "category": "phone", "price": 799.0}


def english_in(text: Any) -> set[str]:
    return set(re.findall(r"[a-z]+", str(text).lower())) & ENGLISH


def test_english_keeps_its_words() -> None:
    assert items(ORDER_OF_TWO) == "Slate 10 tablet, 2 x 65W charger"
    assert spoken_items(ORDER_OF_TWO) == "Slate 10 tablet and two times 65W charger"
    assert method_words("card ending 8648") == "card ending 8648"
    assert method_words(None) == "payment method"
    assert payment_methods({"payment_methods": ["card", "PayPal", "bank transfer"]}) == (
        "card, PayPal or bank transfer"
    )
    assert plan_words(PLANS[1]) == {
        "plan": "Plus",
        "covers": "screen damage, malfunction, water damage and theft",
        "excess": "€29.00",
        "rate": "1.4%",
    }
    assert record_label(CLAIM) == "claim"


def test_an_orders_items_and_quantities_are_in_the_language() -> None:
    assert items(ORDER_OF_TWO, "de") == "Slate 10 tablet, 2× 65W charger"
    assert spoken_items(ORDER_OF_TWO, "de") == "Slate 10 tablet und 65W charger, zwei Stück"
    assert spoken_items(ORDER_OF_TWO, "fr") == "Slate 10 tablet et 65W charger en deux exemplaires"
    assert spoken_items(ORDER_OF_TWO, "es") == "Slate 10 tablet y dos unidades de 65W charger"
    assert items({"items": []}, "fr") == "vos articles"
    for language in OTHERS:
        _, variables = order_answer(ORDER_OF_TWO, language)
        assert english_in(variables["items"]) == set(), language
        assert english_in(variables["items_spoken"]) == set(), language


@pytest.mark.parametrize("language", OTHERS)
def test_every_invoice_of_the_fixture_is_paid_and_offered_in_the_language(language: str) -> None:
    policies = crm()["policies"]
    for invoice in crm()["invoices"]:
        _, variables = invoice_answer(invoice, policies, language)
        assert english_in(variables["method"]) == set(), (language, variables["method"])
        assert english_in(variables["alternatives"]) == set(), language


def test_a_card_and_the_methods_are_named_as_the_language_names_them() -> None:
    assert method_words("card ending 8648", "de") == "Karte mit der Endung 8648"
    assert method_words("card ending 8648", "fr") == "carte se terminant par 8648"
    assert method_words("Card ending 8648", "es") == "tarjeta terminada en 8648"
    assert method_words("PayPal", "de") == "PayPal"  # a name is a name
    assert method_words("", "es") == "método de pago"
    methods = {"payment_methods": ["card", "PayPal", "bank transfer", "Klarna"]}
    assert payment_methods(methods, "or", "de") == "Karte, PayPal, Überweisung oder Klarna"
    assert payment_methods(methods, "and", "fr") == (
        "carte bancaire, PayPal, virement bancaire et Klarna"
    )


@pytest.mark.parametrize("language", OTHERS)
def test_a_policy_answer_holds_no_english(language: str) -> None:
    policies = crm()["policies"]
    for intent, answer in POLICY_ANSWERS.items():
        _, variables = answer(policies, language)
        for name, value in variables.items():
            assert english_in(value) == set(), (language, intent, name, value)


def test_a_policys_spoken_numbers_are_the_languages() -> None:
    policies = crm()["policies"]
    _, german = POLICY_ANSWERS["ask_shipping_time"](policies, "de")
    assert german["standard_days_spoken"] == "zwei bis vier"
    _, spanish = POLICY_ANSWERS["ask_return_policy"](policies, "es")
    assert spanish["return_window_days_spoken"] == "treinta"
    _, french = POLICY_ANSWERS["ask_free_shipping"](policies, "fr")
    assert french["threshold"] == french["threshold_spoken"] == "50,00\xa0€"


def test_a_plan_is_described_and_quoted_in_the_language() -> None:
    assert plan_words(PLANS[0], "de") == {
        "plan": "Basis",
        "covers": "Displayschaden und Defekt",
        "excess": "49,00\xa0€",
        "rate": "0,9\xa0%",
    }
    quote = quote_words(PHONE, PLANS[1], "es")
    assert quote["monthly"] == "11,19\xa0€"
    assert quote["price"] == "799,00\xa0€"
    for language in OTHERS:
        for plan in PLANS:
            described = quote_words(PHONE, plan, language)
            assert english_in(" ".join(described.values())) == set(), language


def test_a_plan_is_named_by_its_code_or_its_name_in_the_language() -> None:
    assert named_plan("was kostet der Basis-Tarif?", PLANS, "de") == PLANS[0]
    assert named_plan("et le plan plus ?", PLANS, "fr") == PLANS[1]
    assert named_plan("what does the basic plan cover", PLANS) == PLANS[0]
    assert named_plan("was deckt der Schutz ab?", PLANS, "de") is None


def test_a_record_is_named_in_the_language() -> None:
    assert record_label(ORDER, "de") == "Bestellung"
    assert record_label(INVOICE, "fr") == "la facture"
    assert not_on_account(CLAIM, "CLM-70001", "es")["record_label"] == "el siniestro"
    assert not_on_account(CLAIM, "CLM-70001")["record_label"] == "claim"


def test_what_a_customer_can_do_is_said_in_the_language() -> None:
    policies = [{"id": "POL-1234", "device": "Orbit 12", "status": "pending_activation"}]
    can = what_they_can_do(policies, [{"id": "BW-100002"}], "de")
    assert can[-2:] == [
        "Ihre Bestellung BW-100002 zu verfolgen",
        "einen Beratungstermin in einer unserer Filialen zu buchen",
    ]
    for language in OTHERS:
        assert english_in(" ".join(what_they_can_do(policies, [{"id": "BW-1"}], language))) == set()


def test_a_payment_links_amount_and_expiry_are_in_the_language() -> None:
    link = {"url": "https://pay.example/x", "amount": 49.99, "expires_at": "2026-12-02T15:30:00Z"}
    german = link_words("INV-300001", link, "de")
    assert german["amount"] == german["amount_spoken"] == "49,99\xa0€"
    assert german["expires_at"] == german["expires_at_spoken"] == "2. Dezember 2026, 15:30 UTC"
    assert link_words("INV-300001", link)["expires_at"] == "2 December 2026, 15:30 UTC"


def test_a_month_is_named_in_the_language() -> None:
    assert month_words("2026-12-01") == "December 2026"
    assert month_words("2026-12-01", "es") == "diciembre de 2026"


@pytest.mark.parametrize(
    ("language", "kind", "heard"),
    [
        (
            "fr",
            "claim",
            ["Vous avez deux sinistres en cours. Voici le premier.", "du sinistre suivant"],
        ),
        (
            "fr",
            "order",
            ["Vous avez deux commandes en cours. Voici la première.", "de la commande"],
        ),
        (
            "es",
            "invoice",
            ["Tiene dos facturas pendientes. Empiezo por la primera.", "la siguiente"],
        ),
        ("es", "order", ["Tiene dos pedidos en curso. Empiezo por el primero.", "el siguiente"]),
        ("de", "claim", ["Sie haben zwei offene Schadensmeldungen.", "zur nächsten"]),
        ("en", "invoice", ["You have two open invoices. Here's the first.", "the next invoice?"]),
    ],
)
def test_a_calls_listing_is_worded_for_the_kind_of_record(
    language: str, kind: str, heard: list[str]
) -> None:
    """Each kind of record has its own listing sentences, so a language words them with
    the kind's grammatical gender (French sinistres are masculine, commandes feminine)."""
    nlg = LocalisedNLG(
        EndpointConfig(type="components.localised_nlg.LocalisedNLG", locales=str(ROOT / "locales")),
        Domain.load(str(ROOT / "domain.yml")),
    )
    dispatcher = CollectingDispatcher()
    answers = [("utter_order_shipped", {"order_id": "BW-1"}), ("utter_order_shipped", {})]
    first_of_many(dispatcher, kind, answers, language)
    # rasa-sdk keeps a response's variables beside its name in the message
    intro, _, more = (
        nlg.generate_from_slots(m.pop("response"), {"language": language}, "twilio_voice", **m)
        for m in dispatcher.messages
    )
    assert intro and more
    assert heard[0] in intro["text"]
    assert heard[1] in more["text"]


def locale(folder: Path, values: Any) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / "fr.yml"
    path.write_text(yaml.safe_dump({"responses": {}, "values": values}, allow_unicode=True))
    return path


@pytest.mark.parametrize(
    ("phrases", "named"),
    [
        ({"card_ending": "carte"}, "values.phrase.card_ending: the placeholders must be digits"),
        ({"no_items": "vos {items}"}, "values.phrase.no_items: the placeholders must be none"),
        ({"item_count": "{n} × {item}"}, "values.phrase.item_count: the placeholders must be"),
        ({"goodbye": "au revoir"}, "values.phrase.goodbye: not a phrase"),
    ],
)
def test_a_phrase_must_fill_the_defaults_placeholders(
    tmp_path: Path, phrases: dict[str, str], named: str
) -> None:
    with pytest.raises(LocaleValuesError) as raised:
        read_values(locale(tmp_path / "locales", {"phrase": phrases}))
    assert named in str(raised.value)


def test_a_phrase_a_locale_does_not_word_is_the_default_languages(tmp_path: Path) -> None:
    folder = locale(tmp_path / "locales", {"phrase": {"no_items": "vos articles"}}).parent
    assert phrase("no_items", "fr", folder) == "vos articles"
    assert phrase("card_ending", "fr", folder, digits="1234") == "card ending 1234"


@pytest.mark.parametrize("code", ("en", *OTHERS))
def test_each_language_words_every_phrase_with_its_placeholders(code: str) -> None:
    worded = read_values(ROOT / "locales" / f"{code}.yml")["phrase"]
    assert set(worded) == set(PHRASES)


HOURS = {"time_zone": "Europe/Berlin", "days": ["mon", "tue", "wed", "thu", "fri"]}
DECEMBER = datetime(2026, 12, 1, 3, tzinfo=UTC)


def test_the_support_hours_and_the_next_opening_are_in_the_language() -> None:
    hours = {**HOURS, "open": "08:00", "close": "20:00"}
    assert hours_words(hours, DECEMBER)["support_hours"] == "Monday to Friday, 08:00 to 20:00 CET"
    german = hours_words(hours, DECEMBER, "de")
    assert (
        german["support_hours"]
        == german["support_hours_spoken"]
        == ("Montag bis Freitag von 08:00 bis 20:00 Uhr (CET)")
    )
    always = {**HOURS, "days": ["mon", "wed"], "open": "00:00", "close": "24:00"}
    assert (
        hours_words(always, DECEMBER, "fr")["support_hours"]
        == "lundi et mercredi, 24 heures sur 24"
    )
    opening = datetime(2026, 12, 2, 8, tzinfo=ZoneInfo("Europe/Berlin"))
    assert moment_words(opening) == (
        "Wednesday 2 December at 08:00 CET",
        "Wednesday the second of December at eight a m",
    )
    assert moment_words(opening, "es")[1] == "miércoles, 2 de diciembre de 2026, 8:00 CET"
    for language in OTHERS:
        every = hours_words({**HOURS, "days": list(WEEK), "open": "09:00", "close": "17:00"},
                            DECEMBER, language)  # fmt: skip
        assert english_in(" ".join(every.values())) == set(), language


def test_a_hand_over_after_hours_is_told_in_the_language() -> None:
    receipt = {
        "id": "H-1",
        "reference": "HO-1234",
        "open_now": False,
        "hours": {**HOURS, "open": "08:00", "close": "20:00"},
        "next_open": "2026-12-01T08:00:00+01:00",
    }
    notice = handoff_notice("human_requested", receipt, "rest", False, DECEMBER, language="de")
    after = next(m for m in notice.messages if m["response"] == "utter_handoff_after_hours")
    assert after["variables"]["available_at"] == "Dienstag, 1. Dezember 2026, 08:00 CET"
    assert "Montag bis Freitag" in notice.packet_part["text"]
