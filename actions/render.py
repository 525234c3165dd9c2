"""Which response answers a record, and the values that fill it.

The sentences are responses in domain.yml (with `channel:` variants); here each
record becomes a response name and its named variables: written values for text
channels and `*_spoken` ones for the voice variants. Pure functions of the record
(and the company policies), unit-tested without a server.
"""

import re
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, Literal

from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import format_currency

from actions import spoken
from actions.records import RecordKind
from actions.support_hours import hours_words
from common.locale_values import phrase, value_words

Record = Mapping[str, Any]
Variables = dict[str, Any]
Answer = tuple[str, Variables]  # a response name and its variables

CURRENCY_SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$"}
# The language whose formats are written here; any other is formatted by Babel.
DEFAULT_LOCALE = "en"
# Babel's list style for each conjunction join_words is given.
LIST_STYLES: dict[str, Literal["standard", "or"]] = {"and": "standard", "or": "or"}
# How the backend writes a card an invoice is charged to.
CARD_ENDING = re.compile(r"^card ending (\d{4})$", re.IGNORECASE)


# ------------------------------------------------------------------ formatting of values


def day(iso: str | None, locale: str = DEFAULT_LOCALE) -> str:
    """'2026-11-25' → '25 November 2026' ('25. November 2026' in German)."""
    if not iso:
        return phrase("unknown_date", locale)
    parsed = date.fromisoformat(iso[:10])
    if locale != DEFAULT_LOCALE:
        return format_date(parsed, format="long", locale=locale)
    return f"{parsed.day} {parsed:%B %Y}"


def money(amount: Any, currency: str = "EUR", locale: str = DEFAULT_LOCALE) -> str:
    """29 EUR → '€29.00' ('29,00\xa0€' in German)."""
    if locale != DEFAULT_LOCALE:
        return format_currency(float(amount), currency, locale=locale)
    symbol = CURRENCY_SYMBOLS.get(currency, "")
    return f"{symbol}{float(amount):.2f}" if symbol else f"{float(amount):.2f} {currency}"


def value_text(
    kind: str, code: Any, locale: str = DEFAULT_LOCALE, default: str | None = None
) -> str:
    """A backend value in the locale's words (locales/<code>.yml's `values`); else in the
    default language's, `default` or the code as words ('under_review' → 'under review')."""
    return value_words(kind, code, locale, default)


def join_words(words: list[str], conjunction: str = "and", locale: str = DEFAULT_LOCALE) -> str:
    """['a', 'b', 'c'] → 'a, b and c' ('a, b und c' in German)."""
    if locale != DEFAULT_LOCALE:
        return format_list(words, style=LIST_STYLES[conjunction], locale=locale)
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def _counted(order: Record) -> Counter[str]:
    return Counter(
        str(item.get("name"))
        for item in order.get("items") or []
        for _ in range(int(item.get("qty") or 1))
    )


def items(order: Record, locale: str = DEFAULT_LOCALE) -> str:
    """The order's items, repeated ones counted: '2 x 65W fast charger, Slate 10 tablet'."""
    listed = [
        phrase("item_count", locale, count=n, item=name) if n > 1 else name
        for name, n in _counted(order).items()
    ]
    return ", ".join(listed) or phrase("no_items", locale)


def spoken_items(order: Record, locale: str = DEFAULT_LOCALE) -> str:
    """The items as said: 'two times 65W fast charger and Slate 10 tablet' ('65W fast
    charger, zwei Stück und Slate 10 tablet' in German)."""
    listed = [
        phrase("item_count_spoken", locale, count=spoken.number(n, locale), item=name)
        if n > 1
        else name
        for name, n in _counted(order).items()
    ]
    return join_words(listed, "and", locale) or phrase("no_items", locale)


def said(written: str, words: str, locale: str) -> str:
    """A value as the voice variant says it: actions/spoken.py's English words, or in
    another language Babel's written form, which that language's voice reads aloud
    ('28. November 2026', '29,00 €')."""
    return words if locale == DEFAULT_LOCALE else written


def _dated(variables: Variables, name: str, iso: str | None, locale: str = DEFAULT_LOCALE) -> None:
    variables[name] = day(iso, locale)
    variables[f"{name}_spoken"] = said(variables[name], spoken.day(iso), locale)


def _id(variables: Variables, name: str, record_id: Any) -> None:
    variables[name] = str(record_id)
    variables[f"{name}_spoken"] = spoken.spell(record_id)


# ------------------------------------------------------------------ orders

TRACKED = ("shipped", "out_for_delivery", "delayed")


def order_answer(order: Record, locale: str = DEFAULT_LOCALE) -> Answer:
    """utter_order_<status>[_tracked], e.g. utter_order_delayed_tracked with {order_id},
    {items}, {delay_reason}, {eta}, {carrier}, {tracking_number}."""
    status = str(order.get("status"))
    variables: Variables = {
        "items": items(order, locale),
        "items_spoken": spoken_items(order, locale),
    }
    _id(variables, "order_id", order["id"])
    if status not in ORDER_RESPONSES:
        return "utter_order_other_status", {
            **variables,
            "status": value_text("order_status", status, locale),
        }
    _dated(variables, "eta", order.get("eta"), locale)
    _dated(variables, "delivered_at", order.get("delivered_at"), locale)
    name = f"utter_order_{status}"
    if status == "delayed":
        if order.get("delay_reason"):
            variables["delay_reason"] = value_text("delay_reason", order["delay_reason"], locale)
        else:
            name = "utter_order_delayed_unexplained"
    if status in TRACKED and order.get("carrier") and order.get("tracking_number"):
        name += "_tracked"
        variables.update(carrier=order["carrier"], tracking_number=order["tracking_number"])
    return name, variables


ORDER_RESPONSES = (
    "processing",
    "shipped",
    "out_for_delivery",
    "delayed",
    "delivered",
    "cancelled",
    "returned",
)


# ------------------------------------------------------------------ claims


def claim_answer(claim: Record, locale: str = DEFAULT_LOCALE) -> Answer:
    """utter_claim_status[_payout][_no_next_step] with {claim_type}, {claim_id},
    {status}, {last_update}, {payout}, {next_step}."""
    variables: Variables = {
        "claim_type": value_text("incident", claim.get("type") or "device", locale),
        "status": value_text("claim_status", claim.get("status") or "unknown", locale),
    }
    _id(variables, "claim_id", claim["id"])
    _dated(variables, "last_update", claim.get("last_update"), locale)
    name = "utter_claim_status"
    if claim.get("payout"):
        name += "_payout"
        payout = money(claim["payout"], locale=locale)
        variables.update(
            payout=payout, payout_spoken=said(payout, spoken.money(claim["payout"]), locale)
        )
    if claim.get("next_step"):
        variables["next_step"] = value_text("next_step", claim["next_step"], locale)
    else:
        name += "_no_next_step"
    return name, variables


# ------------------------------------------------------------------ invoices

# Failure reasons with a fix of their own (utter_invoice_failed_<key>); others get
# the general one (utter_invoice_failed).
INVOICE_FIXES = {"card expired": "card_expired"}
INVOICE_STATUSES = ("paid", "due", "overdue", "failed")


def payment_methods(
    policies: Record | None, conjunction: str = "or", locale: str = DEFAULT_LOCALE
) -> str:
    """The methods the company accepts, in the locale's words: 'card, PayPal or bank
    transfer' ('Karte, PayPal oder Überweisung')."""
    methods = (policies or {}).get("payment_methods") or ["card", "PayPal", "bank transfer"]
    return join_words(
        [value_text("payment_method", m, locale, str(m)) for m in methods], conjunction, locale
    )


def method_words(method: Any, locale: str = DEFAULT_LOCALE) -> str:
    """How an invoice is paid, as the backend names it: 'card ending 8648' ('Karte mit
    der Endung 8648'), 'PayPal'."""
    if not method:
        return phrase("no_method", locale)
    if card := CARD_ENDING.match(str(method).strip()):
        return phrase("card_ending", locale, digits=card[1])
    return value_text("payment_method", method, locale, str(method))


def invoice_answer(
    invoice: Record, policies: Record | None = None, locale: str = DEFAULT_LOCALE
) -> Answer:
    """utter_invoice_<status> (utter_invoice_failed_card_expired for an expired card)
    with {invoice_id}, {amount}, {due_date}, {method}, {failure_reason}, {alternatives}."""
    currency = str(invoice.get("currency") or "EUR")
    status = str(invoice.get("status"))
    amount = money(invoice.get("amount", 0), currency, locale)
    variables: Variables = {
        "amount": amount,
        "amount_spoken": said(amount, spoken.money(invoice.get("amount", 0), currency), locale),
        "method": method_words(invoice.get("method"), locale),
        "alternatives": payment_methods(policies, "or", locale),
    }
    _id(variables, "invoice_id", invoice["id"])
    _dated(variables, "due_date", invoice.get("due_date"), locale)
    if status not in INVOICE_STATUSES:
        return "utter_invoice_other_status", {
            **variables,
            "status": value_text("invoice_status", status, locale),
        }
    name = f"utter_invoice_{status}"
    if status == "failed":
        reason = str(invoice.get("failure_reason") or "payment was declined")
        variables["failure_reason"] = value_text("failure_reason", reason, locale)
        if reason in INVOICE_FIXES:
            name += "_" + INVOICE_FIXES[reason]
    return name, variables


# Each answers a record, given the policies and the locale its dates and amounts are in.
RECORD_ANSWERS: dict[str, Callable[[Record, Record, str], Answer]] = {
    "order": lambda record, policies, locale: order_answer(record, locale),
    "claim": lambda record, policies, locale: claim_answer(record, locale),
    "invoice": invoice_answer,
}

# Which of a customer's records are worth showing when they name none.
OPEN_RECORDS: dict[str, Callable[[Record], bool]] = {
    "order": lambda o: o.get("status") not in ("delivered", "cancelled", "returned"),
    "claim": lambda c: c.get("status") not in ("closed", "paid"),
    "invoice": lambda i: i.get("status") != "paid",
}
NOTHING_OPEN = {
    "order": "utter_no_open_orders",
    "claim": "utter_no_open_claims",
    "invoice": "utter_no_open_invoices",
}
MAX_LISTED = 3


def open_records(
    topic: str, records: list[Record], policies: Record, locale: str = DEFAULT_LOCALE
) -> list[Answer]:
    """The customer's open records of a topic, one answer each, newest first."""
    wanted = [r for r in records if OPEN_RECORDS[topic](r)][:MAX_LISTED]
    if not wanted:
        return [(NOTHING_OPEN[topic], {})]
    return [RECORD_ANSWERS[topic](r, policies, locale) for r in wanted]


# ------------------------------------------------------------------ company policy


def support_hours_answer(
    hours: Record, p: Record, now: datetime, locale: str = DEFAULT_LOCALE
) -> Answer:
    """The team's hours from the desk's structured `hours` (the desk owns them, so
    this answer and the hand-over notice always agree); the assistant's own from
    the policies."""
    assistant = p.get("assistant_hours", "24/7")
    return "utter_policy_support_hours", {
        **hours_words(hours, now, locale),
        "assistant_hours": assistant,
        "assistant_hours_spoken": said(assistant, spoken.hours(assistant), locale),
    }


# Each answers a policy question, given the policies and the locale its words are in.
POLICY_ANSWERS: dict[str, Callable[[Record, str], Answer]] = {
    "ask_return_policy": lambda p, locale: (
        "utter_policy_returns",
        {
            "return_window_days": p["return_window_days"],
            "return_window_days_spoken": spoken.number(p["return_window_days"], locale),
        },
    ),
    "ask_shipping_time": lambda p, locale: (
        "utter_policy_shipping_time",
        {
            "standard_days": p["standard_shipping_business_days"],
            "standard_days_spoken": spoken.span(p["standard_shipping_business_days"], locale),
            "express_days": p["express_shipping_business_days"],
            "express_days_spoken": spoken.span(p["express_shipping_business_days"], locale),
        },
    ),
    "ask_free_shipping": lambda p, locale: (
        "utter_policy_free_shipping",
        {
            "threshold": money(p["free_shipping_threshold_eur"], locale=locale),
            "threshold_spoken": said(
                money(p["free_shipping_threshold_eur"], locale=locale),
                spoken.money(p["free_shipping_threshold_eur"]),
                locale,
            ),
        },
    ),
    "ask_warranty": lambda p, locale: (
        "utter_policy_warranty",
        {"warranty_months": p["warranty_months"]},
    ),
    "ask_payment_methods": lambda p, locale: (
        "utter_policy_payment_methods",
        {"payment_methods": payment_methods(p, "and", locale)},
    ),
    "ask_claim_decision_time": lambda p, locale: (
        "utter_policy_claim_decision_time",
        {"decision_days": p["claim_decision_business_days"]},
    ),
}


def record_label(kind: RecordKind, locale: str = DEFAULT_LOCALE) -> str:
    """How a kind of record is named inside a sentence: 'order' ('Bestellung')."""
    return value_text("record", kind.label, locale, kind.label)


def not_on_account(kind: RecordKind, record_id: Any, locale: str = DEFAULT_LOCALE) -> Variables:
    """utter_record_not_on_account's {record_label}, {record_id} and {record_id_spoken}."""
    return {
        "record_label": record_label(kind, locale),
        "record_id": str(record_id),
        "record_id_spoken": spoken.spell(record_id),
    }
