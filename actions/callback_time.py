"""A caller's answer to the offer of a call back, read: a call back when the team
next opens, at a day and/or time they say in words ("tomorrow at ten", "Monday
afternoon", "half past two on Friday"), or a text message with their reference.
A time is taken only inside the desk's support hours (the receipt's `hours`) and
within two weeks; anything else is not understood (None), so the caller is asked
again or given the default."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from actions.support_hours import WEEK

CALL, MESSAGE = "call", "message"
HORIZON_DAYS = 14
NUMBERS = {
    word: value
    for value, word in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
        ]
    )
}
MINUTE_WORDS = {"fifteen": 15, "thirty": 30, "forty five": 45, "forty-five": 45}
PARTS_OF_DAY = {"morning": None, "afternoon": time(14), "evening": time(18)}
MESSAGE_WORDS = re.compile(r"\b(message|text|texts|sms|whatsapp|write)\b")
YES_WORDS = re.compile(
    r"\b(yes|yeah|yep|ok|okay|sure|please|fine|when you open|first thing|that works)\b"
)
WEEKDAY = re.compile(r"\b(mon|tues|tue|wednes|wed|thurs|thu|fri|satur|sat|sun)(?:day)?\b")
NUMBER = r"(\d{1,2}|" + "|".join(NUMBERS) + ")"
CLOCK = re.compile(
    r"\b(?:(half|quarter) past\s+)?"
    + NUMBER
    + r"(?:[:.](\d{2})|\s+(fifteen|thirty|forty[- ]five|o'clock))?"
    + r"\s*(a\.?\s?m\.?|p\.?\s?m\.?)?(?=\W|$)"
)


@dataclass(frozen=True)
class Choice:
    """How the caller wants to hear from the team: `by` call (at `at`) or message."""

    by: str
    at: datetime | None


def _hour_minute(match: "re.Match[str]") -> tuple[int, int, str | None]:
    past, hour_text, digits, words, meridiem = match.groups()
    hour = int(hour_text) if hour_text.isdigit() else NUMBERS[hour_text]
    minute = int(digits) if digits else MINUTE_WORDS.get((words or "").replace("-", " "), 0)
    if past:
        minute = 30 if past == "half" else 15
    return hour, minute, (meridiem or "").replace(".", "").replace(" ", "") or None


def _clock(text: str, opens: time, closes: time) -> time | None:
    """The time of day said, or None; an hour without a.m./p.m. is the one inside hours."""
    for match in CLOCK.finditer(text):
        hour, minute, meridiem = _hour_minute(match)
        if hour > 23 or minute > 59 or (meridiem and not 1 <= hour <= 12):
            continue
        if meridiem == "pm" and hour < 12:
            hour += 12
        elif meridiem == "am" and hour == 12:
            hour = 0
        candidates = [hour] if meridiem or hour > 12 else [hour, hour + 12]
        for candidate in candidates:
            if candidate < 24 and opens <= time(candidate, minute) < closes:
                return time(candidate, minute)
        return time(candidates[0] % 24, minute)
    return None


def _day(text: str, today: date) -> date | None:
    if "today" in text:
        return today
    if "tomorrow" in text:
        return today + timedelta(days=1)
    match = WEEKDAY.search(text)
    if not match:
        return None
    wanted = WEEK.index(match[1][:3])
    return today + timedelta(days=(wanted - today.weekday()) % 7)


def _within(moment: datetime, now: datetime, hours: Mapping[str, Any]) -> bool:
    opens, closes = _open_close(hours)
    return (
        now < moment <= now + timedelta(days=HORIZON_DAYS)
        and WEEK[moment.weekday()] in hours["days"]
        and opens <= moment.time() < closes
    )


def _open_close(hours: Mapping[str, Any]) -> tuple[time, time]:
    opens = time.fromisoformat(hours["open"])
    close = hours["close"]
    return opens, time.max if close == "24:00" else time.fromisoformat(close)


def _first_open_day(at: time, now: datetime, hours: Mapping[str, Any]) -> datetime | None:
    for offset in range(HORIZON_DAYS):
        moment = datetime.combine(now.date() + timedelta(days=offset), at, now.tzinfo)
        if _within(moment, now, hours):
            return moment
    return None


def read_choice(
    said: str, now: datetime, hours: Mapping[str, Any], next_open: str | None
) -> Choice | None:
    """The caller's choice, or None when it is not understood or outside the hours."""
    text = " ".join(said.lower().split())
    if not text:
        return None
    if MESSAGE_WORDS.search(text):
        return Choice(MESSAGE, None)
    local_now = now.astimezone(ZoneInfo(hours["time_zone"]))
    opens, closes = _open_close(hours)
    day = _day(text, local_now.date())
    part = next((PARTS_OF_DAY[word] or opens for word in PARTS_OF_DAY if word in text), None)
    at = _clock(text, opens, closes) or part
    if day is None and at is None:
        if YES_WORDS.search(text) and next_open:
            return Choice(CALL, datetime.fromisoformat(next_open))
        return None
    if day is None:
        assert at is not None
        moment = _first_open_day(at, local_now, hours)
    else:
        moment = datetime.combine(day, at or opens, local_now.tzinfo)
    if moment is None or not _within(moment, local_now, hours):
        return None
    return Choice(CALL, moment)
