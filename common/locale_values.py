"""The backend's values in the customer's language: a locale file's `values` section.

An order's status, a claim's type, an appointment's purpose and the like come from the
backend as English codes or words and fill a response's variables. `locales/<code>.yml`
words them per kind of value (`values: {order_status: {shipped: versandt}}`); a value a
locale does not word is said as the default language's locale says it, or as its code
when that has no words for it either. Validated when the
assistant loads (components/localised_nlg.py) and when the action server reads them: an
unknown kind, or an unknown code of a kind whose codes are fixed, stops it, naming the key.
"""

import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from common.config_files import read_yaml
from common.languages import languages

LOCALES = Path(__file__).resolve().parent.parent / "locales"
VALUES = "values"
PHRASE = "phrase"
# The few words the answers put around a value ("2 x Slate 10", "card ending 8648"), by
# code; the default language's locale words each, and another's must fill the same
# {placeholders}.
PHRASES = frozenset(
    {
        "item_count",
        "item_count_spoken",
        "no_items",
        "card_ending",
        "no_method",
        "serial_ending",
        "unknown_date",
        "span",
        "order_delivered",
        "can_activate",
        "can_follow_order",
        "can_book_advice",
        "every_day",
        "day_range",
        "around_the_clock",
        "open_hours",
    }
)
PLACEHOLDER = re.compile(r"{(\w+)}")

# Each kind of value with the backend's codes for it; None: codes or text the backend
# may add to (a new status, a delay's reason, a claim's next step), keyed as it sends them.
KINDS: dict[str, frozenset[str] | None] = {
    # An order's or invoice's status has a response of its own when the assistant knows it
    # (utter_order_shipped); any other status the backend sends is named in words.
    "order_status": None,
    "claim_status": frozenset(
        {"submitted", "under_review", "approved", "rejected", "repair_scheduled", "paid", "closed"}
    ),
    "invoice_status": None,
    # A claim's type, and what a plan covers.
    "incident": frozenset({"screen_damage", "malfunction", "water_damage", "theft", "loss"}),
    "plan": frozenset({"basic", "plus"}),
    "appointment_purpose": frozenset({"repair", "advice", "other"}),
    "cancel_reason": frozenset(
        {"too_expensive", "no_longer_needed", "device_replaced", "switching_provider", "other"}
    ),
    "return_reason": frozenset(
        {"changed_mind", "faulty", "wrong_item", "damaged_in_delivery", "other"}
    ),
    # The memory's recall of a last contact: its channel, its record's kind ("order
    # BW-100002") and when ("earlier today", "yesterday", "on" before a weekday or a date).
    "channel": frozenset({"socketio", "twilio", "twilio_voice", "email", "rest", "other"}),
    "record": frozenset({"order", "claim", "invoice", "customer number"}),
    "relative_day": frozenset({"earlier_today", "yesterday", "on"}),
    "delay_reason": None,
    "failure_reason": None,
    "next_step": None,
    # How an invoice is paid and the methods accepted, as the backend names them ("card",
    # "PayPal", "bank transfer"); a card's last digits are the phrase card_ending.
    "payment_method": None,
    # What a change of an appointment does, as a journey resumed later restates it.
    "change_kind": frozenset({"move", "cancel"}),
    PHRASE: PHRASES,
}

Values = dict[str, dict[str, str]]


def codes(kind: str) -> frozenset[str]:
    """The backend's codes of a kind whose codes are fixed."""
    fixed = KINDS[kind]
    if fixed is None:
        raise KeyError(f"{kind!r} has no fixed codes")
    return fixed


class LocaleValuesError(ValueError):
    """A locale's `values` cannot be used; the message names each bad key and its reason."""


def value_problems(values: Any) -> list[str]:
    """What is wrong with a locale's `values` section, each as `values.key: reason`."""
    if values is None:
        return []
    if not isinstance(values, dict):
        return [f"{VALUES}: a mapping of kinds of value is needed"]
    found = []
    for kind, words in values.items():
        if kind not in KINDS:
            found.append(f"{VALUES}.{kind}: not a kind of value ({', '.join(sorted(KINDS))})")
        elif not isinstance(words, dict):
            found.append(f"{VALUES}.{kind}: a mapping of values to words is needed")
        else:
            codes = KINDS[kind]
            for code, word in words.items():
                if codes is not None and code not in codes:
                    found.append(
                        f"{VALUES}.{kind}.{code}: not a {kind} ({', '.join(sorted(codes))})"
                    )
                elif not isinstance(word, str) or not word.strip():
                    found.append(f"{VALUES}.{kind}.{code}: a text is needed")
                elif kind == PHRASE and placeholders(word) != placeholders(default_phrases()[code]):
                    wanted = ", ".join(sorted(placeholders(default_phrases()[code]))) or "none"
                    found.append(f"{VALUES}.{kind}.{code}: the placeholders must be {wanted}")
    return found


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def read_values(path: Path) -> Values:
    """A locale file's `values`, checked; empty when the file has none."""
    raw = read_yaml(path, LocaleValuesError) or {}
    values = raw.get(VALUES) if isinstance(raw, dict) else None
    if found := value_problems(values):
        raise LocaleValuesError(f"{path}:\n" + "\n".join(found))
    return values or {}


@lru_cache(maxsize=16)
def locale_values(language: str, folder: Path = LOCALES) -> Values:
    """One language's words for the backend's values, read once per process."""
    path = folder / f"{language}.yml"
    return read_values(path) if path.exists() else {}


@lru_cache(maxsize=1)
def default_phrases() -> Mapping[str, str]:
    """The default language's wording of every phrase (its locale file's), which another
    language's must fill with the same placeholders."""
    path = LOCALES / f"{languages().default}.yml"
    raw = read_yaml(path, LocaleValuesError) or {}
    worded = ((raw.get(VALUES) if isinstance(raw, dict) else None) or {}).get(PHRASE) or {}
    if missing := sorted(PHRASES - set(worded)):
        raise LocaleValuesError(f"{path}: {VALUES}.{PHRASE}: not worded: {', '.join(missing)}")
    return dict(worded)


def value_words(
    kind: str, code: Any, language: str, default: str | None = None, folder: Path = LOCALES
) -> str:
    """`code` (a value of `kind`) as `language` words it, else as the default language
    does, else `default`, else the code as words ('under_review' → 'under review')."""
    if kind not in KINDS:
        raise KeyError(f"{kind!r} is not a kind of value")
    for words in (
        locale_values(language, folder).get(kind),
        locale_values(languages().default).get(kind),
    ):
        if words and str(code) in words:
            return words[str(code)]
    return str(code).replace("_", " ") if default is None else default


def phrase(code: str, language: str, folder: Path = LOCALES, **fill: Any) -> str:
    """One of PHRASES as `language` words it (else the default language's), filled."""
    return value_words(PHRASE, code, language, default_phrases()[code], folder).format(**fill)
