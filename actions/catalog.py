"""The catalog and the protection plans as a prospect hears them: which product or
plan a message names, and a plan's quote for a device with its working. Pure functions
of the backend's lists (GET /catalog, GET /protection_plans), unit-tested without a
server; the prices and rates are never in the code or the training data."""

import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel.numbers import format_percent

from actions.render import DEFAULT_LOCALE, Variables, join_words, money, value_text

Record = Mapping[str, Any]
CENT = Decimal("0.01")
WORD = re.compile(r"[^\W_]+")


def _words(text: str) -> set[str]:
    return set(WORD.findall(text.lower()))


def named_product(text: str, catalog: list[Record]) -> Record | None:
    """The product the message names: the one with most of its name's words said, the
    fewest left unsaid on a tie, so "Orbit 12" is the phone, "Orbit 12 Lite" the Lite
    and "the tablet" the one tablet whose name says so."""
    said = _words(text)
    best: tuple[int, int] | None = None
    found: Record | None = None
    for product in catalog:
        name = _words(str(product.get("name", "")))
        matched = name & said
        if not matched:
            continue
        score = (len(matched), -len(name - said))
        if best is None or score > best:
            best, found = score, product
    return found


def plan_name(plan: Record, locale: str = DEFAULT_LOCALE) -> str:
    """A plan's name as the locale words it: 'Basic' ('Basis' in German)."""
    code = str(plan.get("plan", ""))
    return value_text("plan", code, locale, code.capitalize())


def named_plan(text: str, plans: list[Record], locale: str = DEFAULT_LOCALE) -> Record | None:
    """The plan the message names by its code or by its name in the locale ('plus', 'the
    basic plan', 'den Basis-Tarif')."""
    said = _words(text)
    return next(
        (
            p
            for p in plans
            if {str(p.get("plan", "")).lower(), *_words(plan_name(p, locale))} & said
        ),
        None,
    )


def product_words(product: Record, locale: str = DEFAULT_LOCALE) -> Variables:
    return {"product": str(product["name"]), "price": money(product["price"], locale=locale)}


def catalog_words(catalog: list[Record], locale: str = DEFAULT_LOCALE) -> Variables:
    """Every product with its price, for the list."""
    listed = [f"{p['name']} ({money(p['price'], locale=locale)})" for p in catalog]
    return {"products": join_words(listed, "and", locale)}


def covers(plan: Record, locale: str = DEFAULT_LOCALE) -> str:
    """The incident types a plan covers: 'screen damage and theft' ('Displayschaden und
    Diebstahl')."""
    return join_words([value_text("incident", c, locale) for c in plan["covers"]], "and", locale)


def rate(rate_pct: Any, locale: str = DEFAULT_LOCALE) -> str:
    """A monthly rate: 0.9 → '0.9%' ('0,9 %' in German)."""
    return format_percent(Decimal(str(rate_pct)) / 100, locale=locale, decimal_quantization=False)


def plan_words(plan: Record, locale: str = DEFAULT_LOCALE) -> Variables:
    """What a plan covers, its excess and its monthly rate."""
    return {
        "plan": plan_name(plan, locale),
        "covers": covers(plan, locale),
        "excess": money(plan["excess"], locale=locale),
        "rate": rate(plan["monthly_rate_pct"], locale),
    }


def monthly(price: Any, rate_pct: Any) -> Decimal:
    """The monthly premium: the device's price times the plan's monthly rate, to the cent
    (half up, as a person with a calculator would)."""
    exact = Decimal(str(price)) * Decimal(str(rate_pct)) / Decimal(100)
    return exact.quantize(CENT, rounding=ROUND_HALF_UP)


def quote_words(product: Record, plan: Record, locale: str = DEFAULT_LOCALE) -> Variables:
    """A plan's quote for a device, with its working: rate × price = monthly."""
    return {
        **plan_words(plan, locale),
        "device": str(product["name"]),
        "price": money(product["price"], locale=locale),
        "monthly": money(monthly(product["price"], plan["monthly_rate_pct"]), locale=locale),
    }


def protected(catalog: list[Record], categories: tuple[str, ...]) -> list[Record]:
    """The products a plan can be quoted for."""
    return [p for p in catalog if p.get("category") in categories]
