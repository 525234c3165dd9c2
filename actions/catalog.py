"""The catalog and the protection plans as a prospect hears them: which product or
plan a message names, and a plan's quote for a device with its working. Pure functions
of the backend's lists (GET /catalog, GET /protection_plans), unit-tested without a
server; the prices and rates are never in the code or the training data."""

import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from actions.render import Variables, join_words, money

Record = Mapping[str, Any]
CENT = Decimal("0.01")
WORD = re.compile(r"[a-z0-9]+")
# How customers say the incident types a plan covers.
COVER_WORDS = {
    "screen_damage": "screen damage",
    "malfunction": "malfunction",
    "water_damage": "water damage",
    "theft": "theft",
    "loss": "loss",
}


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


def named_plan(text: str, plans: list[Record]) -> Record | None:
    """The plan the message names by its name ('plus', 'the basic plan')."""
    said = _words(text)
    return next((p for p in plans if str(p.get("plan", "")).lower() in said), None)


def product_words(product: Record) -> Variables:
    return {"product": str(product["name"]), "price": money(product["price"])}


def catalog_words(catalog: list[Record]) -> Variables:
    """Every product with its price, for the list."""
    listed = [f"{p['name']} ({money(p['price'])})" for p in catalog]
    return {"products": join_words(listed)}


def covers(plan: Record) -> str:
    return join_words([COVER_WORDS.get(str(c), str(c).replace("_", " ")) for c in plan["covers"]])


def plan_words(plan: Record) -> Variables:
    """What a plan covers, its excess and its monthly rate."""
    return {
        "plan": str(plan["plan"]).capitalize(),
        "covers": covers(plan),
        "excess": money(plan["excess"]),
        "rate": f"{Decimal(str(plan['monthly_rate_pct'])).normalize()}%",
    }


def monthly(price: Any, rate_pct: Any) -> Decimal:
    """The monthly premium: the device's price times the plan's monthly rate, to the cent
    (half up, as a person with a calculator would)."""
    exact = Decimal(str(price)) * Decimal(str(rate_pct)) / Decimal(100)
    return exact.quantize(CENT, rounding=ROUND_HALF_UP)


def quote_words(product: Record, plan: Record) -> Variables:
    """A plan's quote for a device, with its working: rate × price = monthly."""
    return {
        **plan_words(plan),
        "device": str(product["name"]),
        "price": money(product["price"]),
        "monthly": money(monthly(product["price"], plan["monthly_rate_pct"])),
    }


def protected(catalog: list[Record], categories: tuple[str, ...]) -> list[Record]:
    """The products a plan can be quoted for."""
    return [p for p in catalog if p.get("category") in categories]
