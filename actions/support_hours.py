"""The support hours in words, from the desk's structured hours (its receipt's and
its queue's `hours`: time_zone, days, open, close). The desk owns the hours; the
assistant only says them, in the hand-over notice and when asked."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_day_names
from babel.lists import format_list

from actions import spoken
from common.locale_values import phrase

# The language whose words are written here; another's are Babel's and its locale's.
ENGLISH = "en"

DAY_NAMES = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}
WEEK = tuple(DAY_NAMES)


def _day_name(day: str, language: str) -> str:
    if language == ENGLISH:
        return DAY_NAMES[day]
    return str(get_day_names("wide", locale=language)[WEEK.index(day)])


def _days(days: list[str], language: str = ENGLISH) -> str:
    """['mon', …, 'fri'] → 'Monday to Friday'; ['mon', 'wed'] → 'Monday and Wednesday'
    ('Montag bis Freitag', 'Montag und Mittwoch' in German)."""
    ordered = [day for day in WEEK if day in days]
    if len(ordered) == 7:
        return phrase("every_day", language)
    first, last = WEEK.index(ordered[0]), WEEK.index(ordered[-1])
    if len(ordered) > 2 and last - first + 1 == len(ordered):
        return phrase(
            "day_range",
            language,
            first=_day_name(ordered[0], language),
            last=_day_name(ordered[-1], language),
        )
    names = [_day_name(day, language) for day in ordered]
    if language != ENGLISH:
        return format_list(names, locale=language)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _zone_abbreviation(hours: Mapping[str, Any], now: datetime) -> str:
    return now.astimezone(ZoneInfo(hours["time_zone"])).tzname() or hours["time_zone"]


def clock_spoken(clock: str, language: str = ENGLISH) -> str:
    """'08:00' → 'eight a m'; '24:00' → 'midnight' (in another language as written,
    which its voice reads aloud)."""
    if language != ENGLISH:
        return clock
    hour, minute = (int(part) for part in clock.split(":"))
    if hour == 24 or (hour, minute) == (0, 0):
        return "midnight"
    return spoken.moment(datetime(2000, 1, 1, hour, minute)).split(" at ", 1)[1]


def moment_words(moment: datetime, language: str = ENGLISH) -> tuple[str, str]:
    """A time on a day, written and said: 'Monday 30 November at 08:00 CET' and 'Monday
    the thirtieth of November at eight a m'; in another language as Babel writes it
    ('Montag, 30. November 2026, 08:00 CET'), which its voice reads aloud."""
    zone = moment.tzname() or ""
    if language == ENGLISH:
        written = f"{moment:%A} {moment.day} {moment:%B} at {moment:%H:%M} {zone}".strip()
        return written, spoken.moment(moment)
    day = format_date(moment, "full", locale=language)
    written = f"{day}, {format_time(moment, 'short', locale=language)} {zone}".strip()
    return written, written


def hours_words(hours: Mapping[str, Any], now: datetime, language: str = ENGLISH) -> dict[str, str]:
    """{support_hours} 'Monday to Friday, 08:00 to 20:00 CET' and {support_hours_spoken}
    'Monday to Friday, from eight a m to eight p m, Central European Time', from the
    desk's structured hours (in another language its words, the spoken as written)."""
    days = _days(list(hours["days"]), language)
    zone = _zone_abbreviation(hours, now)
    zone_spoken = spoken.ZONE_NAMES.get(
        zone, hours["time_zone"].split("/")[-1].replace("_", " ") + " time"
    )
    if (hours["open"], hours["close"]) == ("00:00", "24:00"):
        always = phrase("around_the_clock", language, days=days)
        return {"support_hours": always, "support_hours_spoken": always}
    written = phrase(
        "open_hours", language, days=days, open=hours["open"], close=hours["close"], zone=zone
    )
    if language != ENGLISH:
        return {"support_hours": written, "support_hours_spoken": written}
    return {
        "support_hours": written,
        "support_hours_spoken": f"{days}, from {clock_spoken(hours['open'])} to "
        f"{clock_spoken(hours['close'])}, {zone_spoken}",
    }
