"""What a customer's words say about a loss: which kind of incident, and on which day.

Deterministic readings, no model: an incident type from its usual words (the type
names are the backend's, e.g. screen_damage), a day from an ISO date, a day and
month ("20 November", "20/11"), or a relative day ("today", "yesterday", "3 days
ago", "last Friday"). A day after today is no day of loss."""

import re
from datetime import date, datetime, timedelta

from dateutil import parser as dateparser

from actions.render import DEFAULT_LOCALE, value_text

# The words that name each incident type, checked in this order (theft before
# screen_damage: "stolen phone with a cracked screen" is a theft).
INCIDENT_WORDS: dict[str, tuple[str, ...]] = {
    "theft": ("stolen", "theft", "stole", "robbed", "pickpocket", "burglary", "mugged"),
    "loss": ("lost", "loss", "missing", "can't find", "cannot find", "left it"),
    "water_damage": (
        "water",
        "liquid",
        "wet",
        "rain",
        "drink",
        "spilled",
        "spilt",
        "toilet",
        "sink",
        "bath",
        "pool",
        "soaked",
        "puddle",
        "coffee",
    ),
    "screen_damage": ("screen", "display", "cracked", "smashed", "shattered", "glass"),
    "malfunction": (
        "malfunction",
        "stopped working",
        "won't turn on",
        "wont turn on",
        "doesn't turn on",
        "not working",
        "broken",
        "faulty",
        "dead",
        "battery",
        "won't charge",
        "keeps restarting",
        "fault",
    ),
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DAYS_AGO = re.compile(r"\b(\d{1,2}|a|one|two|three|four|five|six|seven) days? ago\b")
SMALL_NUMBERS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
WEEKDAY = re.compile(r"\b(?:last |on |this )?(" + "|".join(WEEKDAYS) + r")\b")
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*"
# Something that looks like a date to parse: digits with a month name or separators.
DATE_LIKE = re.compile(
    r"\d{4}-\d{2}-\d{2}|\d{1,2}[/.]\d{1,2}(?:[/.]\d{2,4})?"
    rf"|\d{{1,2}}(?:st|nd|rd|th)? (?:of )?{MONTH}(?: \d{{4}})?"
    rf"|{MONTH} \d{{1,2}}(?:st|nd|rd|th)?(?:,? \d{{4}})?\b"
)


def incident_type(text: str) -> str | None:
    """The incident type the words name, or None."""
    said = " ".join(text.lower().replace("’", "'").split())
    for kind, words in INCIDENT_WORDS.items():
        if kind.replace("_", " ") in said or any(word in said for word in words):
            return kind
    return None


def incident_words(kind: str, language: str = DEFAULT_LOCALE) -> str:
    """'screen_damage' → 'screen damage' ('Displayschaden' in German)."""
    return value_text("incident", kind, language)


def incident_day(text: str, today: date) -> date | None:
    """The day the words name, never after today; None when they name none."""
    said = " ".join(text.lower().split())
    found = _relative_day(said, today) or _calendar_day(said, today)
    return found if found is not None and found <= today else None


def _relative_day(said: str, today: date) -> date | None:
    if "today" in said or "this morning" in said or "tonight" in said:
        return today
    if "yesterday" in said or "last night" in said:
        return today - timedelta(days=1)
    if match := DAYS_AGO.search(said):
        count = SMALL_NUMBERS.get(match[1]) or int(match[1])
        return today - timedelta(days=count)
    if match := WEEKDAY.search(said):
        back = (today.weekday() - WEEKDAYS.index(match[1])) % 7 or 7
        return today - timedelta(days=back)
    return None


def _calendar_day(said: str, today: date) -> date | None:
    match = DATE_LIKE.search(said)
    if not match:
        return None
    try:
        if ISO_DAY.fullmatch(match[0]):  # an ISO date is year first, never day first
            return date.fromisoformat(match[0])
        noon = datetime(today.year, today.month, today.day, 12)
        found = dateparser.parse(match[0], dayfirst=True, default=noon).date()
    except (ValueError, OverflowError):
        return None
    if found > today and str(today.year) not in match[0]:
        # "20 December" said in November means last year's.
        found = found.replace(year=found.year - 1)
    return found
