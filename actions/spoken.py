"""Values in the form a voice reads well: ids spelled out, amounts and dates in words.

Formatting helpers only: the sentences around them are responses in domain.yml
(their `channel: twilio_voice` variants name these `*_spoken` variables).
"""

import re
from datetime import date, datetime
from typing import Any

from num2words import num2words

from common.locale_values import phrase

CURRENCY_WORDS = {
    "EUR": ("euro", "euros", "cent"),
    "GBP": ("pound", "pounds", "pence"),
    "USD": ("dollar", "dollars", "cents"),
}


def spell(record_id: Any) -> str:
    """'BW-100002' → 'B W 1 0 0 0 0 2': a caller hears each character."""
    return " ".join(ch for ch in str(record_id) if ch.isalnum())


def number(value: Any, language: str = "en") -> str:
    """3 → 'three' ('drei' in German)."""
    return str(num2words(int(value), lang=language))


def span(value: Any, language: str = "en") -> str:
    """'2-4' → 'two to four' ('zwei bis vier' in German), 1 → 'one'."""
    parts = [number(part, language) for part in str(value).replace("–", "-").split("-")]
    if len(parts) == 1:
        return parts[0]
    return phrase("span", language, low=parts[0], high=parts[-1])


def money(amount: Any, currency: str = "EUR") -> str:
    """49.99 EUR → 'forty-nine euros and ninety-nine cent'."""
    one, many, cents = CURRENCY_WORDS.get(currency, (currency, currency, "cents"))
    whole, fraction = divmod(round(float(amount) * 100), 100)
    text = f"{num2words(whole)} {one if whole == 1 else many}"
    return f"{text} and {num2words(fraction)} {cents}" if fraction else text


def day(iso: str | None, today: date | None = None) -> str:
    """'2026-11-25' → 'Wednesday the twenty-fifth of November' (the year only when it
    is not this one)."""
    if not iso:
        return "an unknown date"
    parsed = date.fromisoformat(iso[:10])
    text = f"{parsed:%A} the {num2words(parsed.day, to='ordinal')} of {parsed:%B}"
    if parsed.year != (today or date.today()).year:
        text += f" {num2words(parsed.year, to='year')}"
    return text


def moment(when: datetime) -> str:
    """A time of day on a date: 'Monday the thirtieth of November at eight a m'."""
    hour = when.hour % 12 or 12
    minutes = f" {num2words(when.minute)}" if when.minute else ""
    if 0 < when.minute < 10:
        minutes = f" oh {num2words(when.minute)}"
    return (
        f"{day(when.date().isoformat(), when.date())} at {num2words(hour)}{minutes} "
        f"{'a m' if when.hour < 12 else 'p m'}"
    )


DAY_NAMES = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}
ZONE_NAMES = {
    "CET": "Central European Time",
    "CEST": "Central European Summer Time",
    "GMT": "Greenwich Mean Time",
    "BST": "British Summer Time",
    "UTC": "U T C",
}
DAY_RANGE = re.compile(
    r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*\s*[-–]\s*"
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*\b",
    re.IGNORECASE,
)
DAY_NAME = re.compile(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b", re.IGNORECASE)
TIME_RANGE = re.compile(r"\b(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\b")
ZONE = re.compile(r"\b(" + "|".join(ZONE_NAMES) + r")\b")


def clock(hour: str, minute: str) -> str:
    """'08', '30' → 'eight thirty a m'."""
    return moment(datetime(2000, 1, 1, int(hour) % 24, int(minute))).split(" at ", 1)[1]


def hours(label: str) -> str:
    """'Mon-Fri 08:00-20:00 CET' → 'Monday to Friday, eight a m to eight p m, Central
    European Time'."""
    text = DAY_RANGE.sub(
        lambda m: f"{DAY_NAMES[m[1].lower()]} to {DAY_NAMES[m[2].lower()]},", label
    )
    text = DAY_NAME.sub(lambda m: DAY_NAMES[m[1].lower()], text)
    text = TIME_RANGE.sub(lambda m: f"{clock(m[1], m[2])} to {clock(m[3], m[4])},", text)
    text = ZONE.sub(lambda m: ZONE_NAMES[m[1]], text)
    return re.sub(r"\s*,\s*$", "", re.sub(r",\s*,", ",", text)).replace("24/7", "day and night")
