"""The support hours in words, from the desk's structured hours (its receipt's and
its queue's `hours`: time_zone, days, open, close). The desk owns the hours; the
assistant only says them, in the hand-over notice and when asked."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from actions import spoken

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


def _days(days: list[str]) -> str:
    """['mon', …, 'fri'] → 'Monday to Friday'; ['mon', 'wed'] → 'Monday and Wednesday'."""
    ordered = [day for day in WEEK if day in days]
    if len(ordered) == 7:
        return "every day"
    first, last = WEEK.index(ordered[0]), WEEK.index(ordered[-1])
    if len(ordered) > 2 and last - first + 1 == len(ordered):
        return f"{DAY_NAMES[ordered[0]]} to {DAY_NAMES[ordered[-1]]}"
    names = [DAY_NAMES[day] for day in ordered]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _zone_abbreviation(hours: Mapping[str, Any], now: datetime) -> str:
    return now.astimezone(ZoneInfo(hours["time_zone"])).tzname() or hours["time_zone"]


def clock_spoken(clock: str) -> str:
    """'08:00' → 'eight a m'; '24:00' → 'midnight'."""
    hour, minute = (int(part) for part in clock.split(":"))
    if hour == 24 or (hour, minute) == (0, 0):
        return "midnight"
    return spoken.moment(datetime(2000, 1, 1, hour, minute)).split(" at ", 1)[1]


def hours_words(hours: Mapping[str, Any], now: datetime) -> dict[str, str]:
    """{support_hours} 'Monday to Friday, 08:00 to 20:00 CET' and {support_hours_spoken}
    'Monday to Friday, from eight a m to eight p m, Central European Time', from the
    desk's structured hours."""
    days = _days(list(hours["days"]))
    zone = _zone_abbreviation(hours, now)
    zone_spoken = spoken.ZONE_NAMES.get(
        zone, hours["time_zone"].split("/")[-1].replace("_", " ") + " time"
    )
    if (hours["open"], hours["close"]) == ("00:00", "24:00"):
        return {
            "support_hours": f"{days}, around the clock",
            "support_hours_spoken": f"{days}, around the clock",
        }
    return {
        "support_hours": f"{days}, {hours['open']} to {hours['close']} {zone}",
        "support_hours_spoken": f"{days}, from {clock_spoken(hours['open'])} to "
        f"{clock_spoken(hours['close'])}, {zone_spoken}",
    }
