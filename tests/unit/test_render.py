"""Plain-language answers, checked against every record of the real fixture: each
record's response and variables (actions/render.py) rendered by Rasa's own response
generator from domain.yml, on the text channels and on voice."""

import asyncio
import calendar
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import pytest
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.trackers import DialogueStateTracker

from actions.render import (
    MAX_LISTED,
    NOTHING_OPEN,
    ORDER_RESPONSES,
    POLICY_ANSWERS,
    RECORD_ANSWERS,
    Answer,
    claim_answer,
    day,
    invoice_answer,
    join_words,
    money,
    open_records,
    order_answer,
    support_hours_answer,
)
from actions.responses import placeholders, responses
from desk.settings import DEFAULT_BEHAVIOUR, load_behaviour
from tests.support.crm import crm

NLG = TemplatedNaturalLanguageGenerator(responses())
VOICE = "twilio_voice"


def said(answer: Answer, channel: str | None = "rest") -> str:
    """What Rasa sends for the response and its variables on the channel."""
    name, variables = answer
    assert placeholders(name) <= set(variables), name  # every variant fully filled
    message = asyncio.run(
        NLG.generate(name, DialogueStateTracker("test", slots=[]), channel, **variables)
    )
    assert message is not None, name
    return str(message["text"])


def order_status(order: Mapping[str, Any], channel: str | None = "rest") -> str:
    return said(order_answer(order), channel)


def claim_status(claim: Mapping[str, Any], channel: str | None = "rest") -> str:
    return said(claim_answer(claim), channel)


def invoice_status(
    invoice: Mapping[str, Any],
    policies: Mapping[str, Any] | None = None,
    channel: str | None = "rest",
) -> str:
    return said(invoice_answer(invoice, policies), channel)


def policy_answer(key: str, policies: Mapping[str, Any], channel: str | None = "rest") -> str:
    if key == "ask_support_hours":  # the team's hours are the desk's
        return said(support_hours_answer(DESK_HOURS, policies, WEDNESDAY), channel)
    return said(POLICY_ANSWERS[key](policies, "en"), channel)


# The desk's shipped hours (desk/settings.yml), as its receipts and queue give them.
DESK_HOURS = {
    "time_zone": "Europe/Berlin",
    "days": ["mon", "tue", "wed", "thu", "fri"],
    "open": "08:00",
    "close": "20:00",
}
WEDNESDAY = datetime(2026, 11, 25, 9, tzinfo=UTC)

MONTHS = list(calendar.month_name)[1:]  # English: Python leaves the C locale


def spoken(iso: str) -> str:
    """'2026-11-05' → '5 November 2026', written out independently of render.day."""
    parsed = date.fromisoformat(iso)
    return f"{parsed.day} {MONTHS[parsed.month - 1]} {parsed.year}"


ORDERS = crm()["orders"]
CLAIMS = crm()["claims"]
INVOICES = crm()["invoices"]
POLICIES = crm()["policies"]


def no_placeholders(text: str) -> None:
    assert "None" not in text
    assert "an unknown date" not in text
    assert "{" not in text and "}" not in text
    assert "  " not in text


# --- orders -----------------------------------------------------------------------


def test_the_fixture_has_every_order_status_and_each_has_its_own_wording():
    assert {o["status"] for o in ORDERS} == set(ORDER_RESPONSES)


def test_delayed_order_bw_100002_word_for_word():
    order = next(o for o in ORDERS if o["id"] == "BW-100002")
    assert order_status(order) == (
        "Your order BW-100002 (Orbit 12 protective case, 65W fast charger) is delayed because "
        "of carrier capacity shortage. The new expected delivery date is 25 November 2026. "
        "It's with DPD, tracking number TRK7828088552. I'm sorry for the wait."
    )


@pytest.mark.parametrize("order", ORDERS, ids=lambda o: f"{o['id']}-{o['status']}")
def test_every_fixture_order_states_its_key_facts(order):
    text = order_status(order)
    assert text.startswith(f"Your order {order['id']} (")
    for item in order["items"]:
        assert item["name"] in text
    status = order["status"]
    if status == "delayed":
        assert "is delayed because of " + order["delay_reason"] in text
        assert "new expected delivery date is " + spoken(order["eta"]) in text
    if status == "shipped":
        assert "has shipped" in text
        assert "expected to arrive on " + spoken(order["eta"]) in text
    if status == "out_for_delivery":
        assert "is out for delivery" in text
        assert "reach you by " + spoken(order["eta"]) in text
    if status in ("delayed", "shipped", "out_for_delivery"):
        assert f"It's with {order['carrier']}, tracking number {order['tracking_number']}." in text
    if status == "processing":
        assert "hasn't shipped yet" in text
        assert "arrives by " + spoken(order["eta"]) in text
    if status == "delivered":
        assert text.endswith("was delivered on " + spoken(order["delivered_at"]) + ".")
    if status == "cancelled":
        assert "was cancelled" in text
    if status == "returned":
        assert "has been returned" in text
    if status in ("processing", "delivered", "cancelled", "returned"):
        assert "tracking number" not in text
    no_placeholders(text)


def test_repeated_items_are_counted():
    order = {
        "id": "BW-1",
        "status": "cancelled",
        "items": [{"name": "65W fast charger", "qty": 2}, {"name": "Slate 10 tablet"}],
    }
    assert order_status(order) == (
        "Your order BW-1 (2 x 65W fast charger, Slate 10 tablet) "
        "was cancelled, so it won't be delivered."
    )


def test_order_without_items_tracking_or_reason():
    order = {"id": "BW-2", "status": "delayed", "eta": "2026-12-01", "items": []}
    assert order_status(order) == (
        "Your order BW-2 (your items) is delayed because of a problem in transit. The new "
        "expected delivery date is 1 December 2026. I'm sorry for the wait."
    )


def test_unknown_order_status_is_named():
    assert (
        order_status({"id": "BW-3", "status": "lost", "items": []})
        == "Your order BW-3 (your items) has the status 'lost'."
    )


# --- claims -----------------------------------------------------------------------


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: f"{c['id']}-{c['status']}")
def test_every_fixture_claim_states_status_and_next_step(claim):
    text = claim_status(claim)
    kind = claim["type"].replace("_", " ")
    status = claim["status"].replace("_", " ")
    assert text.startswith(
        f"Your {kind} claim {claim['id']} is {status} "
        f"(last updated {spoken(claim['last_update'])})."
    )
    assert text.endswith("Next step: " + claim["next_step"])
    if claim["payout"]:
        assert f"The payout is €{claim['payout']:.2f}." in text
    else:
        assert "payout is" not in text
    no_placeholders(text)


def test_paid_claim_word_for_word():
    claim = next(c for c in CLAIMS if c["id"] == "CLM-70009")
    assert claim_status(claim) == (
        f"Your screen damage claim CLM-70009 is paid (last updated "
        f"{spoken(claim['last_update'])}). The payout is €317.40. Next step: The payout has "
        f"been sent to your account on file."
    )


def test_claim_with_missing_fields():
    assert (
        claim_status({"id": "CLM-1"})
        == "Your device claim CLM-1 is unknown (last updated an unknown date)."
    )


# --- invoices ---------------------------------------------------------------------


def test_the_fixture_has_every_invoice_status():
    assert {i["status"] for i in INVOICES} == {"paid", "due", "overdue", "failed"}


ALTERNATIVES = "card, PayPal, bank transfer or Klarna"


@pytest.mark.parametrize("invoice", INVOICES, ids=lambda i: f"{i['id']}-{i['status']}")
def test_every_fixture_invoice_states_its_key_facts(invoice):
    text = invoice_status(invoice, POLICIES)
    assert text.startswith(f"Invoice {invoice['id']} for €{invoice['amount']:.2f}")
    status = invoice["status"]
    if status == "paid":
        assert text.endswith("is paid. Nothing more to do.")
    if status == "due":
        assert f"is due on {spoken(invoice['due_date'])}" in text
        assert f"charged to your {invoice['method']}." in text
    if status == "overdue":
        assert f"is overdue (due date {spoken(invoice['due_date'])})" in text
        assert f"under Invoices, with {ALTERNATIVES}." in text
    if status == "failed":
        assert (
            f"the payment with your {invoice['method']} failed because the "
            f"{invoice['failure_reason']}."
        ) in text
        assert "add a new card under Account > Payment methods" in text
        assert f"or pay by {ALTERNATIVES}." in text
    no_placeholders(text)


def test_failed_invoice_card_expired_word_for_word():
    invoice = {
        "id": "INV-1",
        "amount": 19.9,
        "currency": "EUR",
        "status": "failed",
        "method": "card ending 1234",
        "failure_reason": "card expired",
    }
    assert invoice_status(invoice, POLICIES) == (
        "Invoice INV-1 for €19.90: the payment with your card ending 1234 failed because the "
        "card expired. To fix it, add a new card under Account > Payment methods, or pay by "
        "card, PayPal, bank transfer or Klarna. We'll retry the payment once the card is "
        "updated."
    )


def test_failed_invoice_without_a_reason_reads_correctly():
    invoice = {"id": "INV-2", "amount": 5, "status": "failed", "method": "PayPal account"}
    text = invoice_status(invoice)
    assert "the the" not in text
    assert text == (
        "Invoice INV-2 for €5.00: the payment with your PayPal account failed "
        "because the payment was declined. To fix it, check the payment details "
        "under Account > Payment methods, or pay by card, PayPal or bank transfer."
    )


def test_failed_invoice_with_another_reason_gets_the_general_fix():
    invoice = {
        "id": "INV-3",
        "amount": 5,
        "status": "failed",
        "method": "card ending 1",
        "failure_reason": "bank refused the charge",
    }
    text = invoice_status(invoice, {"payment_methods": ["card", "PayPal"]})
    assert "failed because the bank refused the charge." in text
    assert "check the payment details" in text and "pay by card or PayPal." in text
    assert "retry" not in text


def test_invoice_in_another_currency():
    invoice = {"id": "INV-4", "amount": "12.5", "currency": "GBP", "status": "paid"}
    assert invoice_status(invoice) == "Invoice INV-4 for £12.50 is paid. Nothing more to do."


def test_unknown_invoice_status_is_named():
    assert (
        invoice_status({"id": "INV-5", "amount": 1, "status": "disputed"})
        == "Invoice INV-5 for €1.00 has the status 'disputed'."
    )


# --- policies ---------------------------------------------------------------------

POLICY_FACTS = {
    "ask_return_policy": ["within 30 days of delivery"],
    "ask_shipping_time": ["2-4 business days", "express delivery 1 business day"],
    "ask_free_shipping": ["free on orders over €50.00"],
    "ask_warranty": ["24-month warranty"],
    "ask_payment_methods": ["We accept card, PayPal, bank transfer and Klarna."],
    "ask_support_hours": ["available Monday to Friday, 08:00 to 20:00 CET", "I'm here 24/7"],
    "ask_claim_decision_time": ["within 5 business days"],
}


def test_fixture_policy_figures_are_the_ones_checked_below():
    assert POLICIES["return_window_days"] == 30
    assert POLICIES["standard_shipping_business_days"] == "2-4"
    assert POLICIES["express_shipping_business_days"] == "1"
    assert POLICIES["free_shipping_threshold_eur"] == 50
    assert POLICIES["warranty_months"] == 24
    assert POLICIES["claim_decision_business_days"] == 5
    assert "support_hours_human" not in POLICIES  # the desk's (desk/settings.yml)


def test_the_support_hours_answer_is_the_desks_shipped_hours():
    assert load_behaviour(DEFAULT_BEHAVIOUR).hours.as_json() == DESK_HOURS


def test_every_policy_answer_is_checked():
    assert set(POLICY_ANSWERS) | {"ask_support_hours"} == set(POLICY_FACTS)


@pytest.mark.parametrize("key", sorted(POLICY_FACTS))
def test_policy_answer_quotes_the_fixture_figures(key):
    text = policy_answer(key, POLICIES)
    for fact in POLICY_FACTS[key]:
        assert fact in text
    no_placeholders(text)


@pytest.mark.parametrize(
    "key,field,value,fact",
    [
        ("ask_return_policy", "return_window_days", 14, "within 14 days"),
        ("ask_shipping_time", "standard_shipping_business_days", "3-5", "takes 3-5 business days"),
        ("ask_shipping_time", "express_shipping_business_days", "2", "express delivery 2 business"),
        ("ask_free_shipping", "free_shipping_threshold_eur", 75, "over €75.00"),
        ("ask_warranty", "warranty_months", 36, "36-month warranty"),
        ("ask_payment_methods", "payment_methods", ["card", "iDEAL"], "We accept card and iDEAL."),
        ("ask_support_hours", "assistant_hours", "around the clock", "I'm here around the clock"),
        ("ask_claim_decision_time", "claim_decision_business_days", 10, "within 10 business days"),
    ],
)
def test_every_policy_figure_comes_from_the_policies(key, field, value, fact):
    assert fact not in policy_answer(key, POLICIES)
    assert fact in policy_answer(key, {**POLICIES, field: value})


def test_support_hours_default_for_the_assistant():
    policies = {k: v for k, v in POLICIES.items() if k != "assistant_hours"}
    assert "I'm here 24/7" in policy_answer("ask_support_hours", policies)


# --- open records -----------------------------------------------------------------


def of_customer(records, customer_id):
    return [r for r in records if r["customer_id"] == customer_id]


def test_open_orders_of_noah_leave_out_delivered_ones():
    orders = of_customer(ORDERS, "C-1001")
    assert {o["status"] for o in orders} >= {"delivered", "delayed"}
    messages = [said(a) for a in open_records("order", orders, POLICIES)]
    expected = [o for o in orders if o["status"] not in ("delivered", "cancelled", "returned")]
    assert messages == [order_status(o) for o in expected]
    assert any("BW-100002" in m for m in messages)
    assert not any("BW-100001" in m for m in messages)  # delivered


def test_open_records_lists_at_most_max_listed_in_the_given_order():
    orders = [
        {"id": f"BW-10000{n}", "status": "shipped", "eta": "2026-11-30", "items": []}
        for n in range(1, 6)
    ]
    messages = [said(a) for a in open_records("order", orders, POLICIES)]
    assert MAX_LISTED == 3
    assert [m.split()[2] for m in messages] == ["BW-100001", "BW-100002", "BW-100003"]


@pytest.mark.parametrize(
    "topic,records",
    [
        ("order", [{"id": "BW-1", "status": s} for s in ("delivered", "cancelled", "returned")]),
        ("claim", [{"id": "CLM-1", "status": s} for s in ("closed", "paid")]),
        ("invoice", [{"id": "INV-1", "status": "paid", "amount": 1}]),
        ("order", []),
    ],
)
def test_nothing_open(topic, records):
    assert open_records(topic, records, POLICIES) == [(NOTHING_OPEN[topic], {})]
    assert said((NOTHING_OPEN[topic], {}))


def test_open_invoices_use_the_policies_for_alternatives():
    invoices = [i for i in INVOICES if i["status"] in ("overdue", "paid")][:4]
    messages = [said(a) for a in open_records("invoice", invoices, POLICIES)]
    open_ones = [i for i in invoices if i["status"] != "paid"]
    assert messages == [invoice_status(i, POLICIES) for i in open_ones]
    assert all(ALTERNATIVES in m for m in messages)


def test_open_claims_from_the_fixture():
    messages = [said(a) for a in open_records("claim", CLAIMS, POLICIES)]
    open_ids = [c["id"] for c in CLAIMS if c["status"] not in ("closed", "paid")][:MAX_LISTED]
    assert [re.search(r"CLM-\d+", m).group(0) for m in messages] == open_ids


def test_answers_cover_every_topic():
    assert set(RECORD_ANSWERS) == set(NOTHING_OPEN) == {"order", "claim", "invoice"}


# --- helpers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "words,conjunction,expected",
    [
        ([], "and", ""),
        (["card"], "and", "card"),
        (["card", "PayPal"], "and", "card and PayPal"),
        (["card", "PayPal", "bank transfer"], "and", "card, PayPal and bank transfer"),
        (
            ["card", "PayPal", "bank transfer", "Klarna"],
            "or",
            "card, PayPal, bank transfer or Klarna",
        ),
    ],
)
def test_join_words(words, conjunction, expected):
    assert join_words(words, conjunction) == expected


def test_join_words_defaults_to_and():
    assert join_words(["a", "b"]) == "a and b"


@pytest.mark.parametrize(
    "amount,currency,expected",
    [
        (50, "EUR", "€50.00"),
        (35.37, "EUR", "€35.37"),
        ("19.9", "EUR", "€19.90"),
        (0, "EUR", "€0.00"),
        (1234.5, "GBP", "£1234.50"),
        (7, "USD", "$7.00"),
        (12.5, "CHF", "12.50 CHF"),
    ],
)
def test_money(amount, currency, expected):
    assert money(amount, currency) == expected


def test_money_defaults_to_euro():
    assert money(317.4) == "€317.40"


@pytest.mark.parametrize(
    "iso,expected",
    [
        ("2026-11-25", "25 November 2026"),
        ("2026-11-05", "5 November 2026"),
        ("2000-01-01", "1 January 2000"),
        ("2026-11-22T10:15:00Z", "22 November 2026"),
        (None, "an unknown date"),
        ("", "an unknown date"),
    ],
)
def test_day(iso, expected):
    assert day(iso) == expected


# --- voice ------------------------------------------------------------------------

ALL_ANSWERS = (
    [order_answer(o) for o in ORDERS]
    + [claim_answer(c) for c in CLAIMS]
    + [invoice_answer(i, POLICIES) for i in INVOICES]
    + [answer(POLICIES, "en") for answer in POLICY_ANSWERS.values()]
)
WRITTEN_FORMS = re.compile(r"\b[A-Z]{2,3}-\d+|[€£$]|\d{1,2}:\d{2}|\(|\)| > |\b20\d\d\b")


@pytest.mark.parametrize("answer", ALL_ANSWERS, ids=lambda a: a[0])
def test_every_answer_has_words_for_voice(answer):
    """Ids spelled out, amounts, dates and hours in words: a voice variant for every
    answer that carries one, and nothing in it a voice would read out wrongly."""
    name, variables = answer
    if any(key.endswith("_spoken") for key in variables):
        assert any(v.get("channel") == VOICE for v in responses()[name]), name
    text = said(answer, VOICE)
    assert not WRITTEN_FORMS.search(text), text
    no_placeholders(text)


def test_a_delayed_order_on_voice_word_for_word():
    order = next(o for o in ORDERS if o["id"] == "BW-100002")
    assert order_status(order, VOICE) == (
        "Your order B W 1 0 0 0 0 2, for Orbit 12 protective case and 65W fast charger, is "
        "delayed because of carrier capacity shortage. It's with DPD and should now arrive on "
        "Wednesday the twenty-fifth of November. I'm sorry for the wait."
    )


def test_amounts_and_hours_on_voice():
    invoice = {"id": "INV-1", "amount": 19.9, "currency": "EUR", "status": "paid"}
    assert invoice_status(invoice, channel=VOICE) == (
        "Invoice I N V 1, for nineteen euros and ninety cent, is paid. Nothing more to do."
    )
    hours = policy_answer("ask_support_hours", POLICIES, VOICE)
    assert "Monday to Friday, from eight a m to eight p m, Central European Time" in hours
    assert "day and night" in hours
    assert policy_answer("ask_shipping_time", POLICIES, VOICE) == (
        "Standard delivery takes two to four business days. Express delivery takes one "
        "business day."
    )


def test_dates_and_amounts_in_german_are_formatted_by_babel_and_english_is_unchanged():
    order = {"id": "BW-9", "status": "delivered", "delivered_at": "2026-11-05"}
    invoice = {"id": "INV-9", "amount": "1234.5", "currency": "EUR", "status": "paid"}
    assert order_answer(order, "de")[1]["delivered_at"] == "5. November 2026"
    assert invoice_answer(invoice, locale="de")[1]["amount"] == "1.234,50\xa0€"
    assert RECORD_ANSWERS["order"](order, {}, "de") == order_answer(order, "de")
    assert order_answer(order)[1]["delivered_at"] == day("2026-11-05") == "5 November 2026"
    assert invoice_answer(invoice)[1]["amount"] == money("1234.5") == "€1234.50"
