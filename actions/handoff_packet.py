"""What the customer is told when handed over: why, and what happens next (their
place in the queue and the expected wait within support hours, or when a person
is back outside them). The packet itself is built in actions/packet/.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, FrozenSet, Mapping, Optional, Tuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from actions import spoken
from actions.responses import render

MINUTES_PER_QUEUE_POSITION = 3

Json = Dict[str, Any]


# ------------------------------------------------------------------ support hours

DAY = r"\b(mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?"
CLOCK = r"(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?"
RANGE = r"\s*(?:-|–|—|to|until)\s*"
HOURS_SEGMENT = re.compile(rf"{DAY}(?:{RANGE}{DAY})?,?\s*(?:from\s*)?{CLOCK}{RANGE}{CLOCK}",
                           re.IGNORECASE)
ALWAYS_OPEN = re.compile(r"\b24\s*/\s*7\b")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ZONE_ABBREVIATIONS = {"cet": "Europe/Berlin", "cest": "Europe/Berlin", "mez": "Europe/Berlin",
                      "mesz": "Europe/Berlin", "gmt": "Europe/London", "bst": "Europe/London",
                      "uk": "Europe/London", "utc": "UTC"}
ZONE_NAME = re.compile(r"\b[A-Z][A-Za-z_]+/[A-Za-z_]+\b")
ZONE_WORD = re.compile(r"\b(" + "|".join(ZONE_ABBREVIATIONS) + r")\b", re.IGNORECASE)
# Brightwave quotes its hours in CET; hours given without a zone are read in it.
DEFAULT_ZONE = "Europe/Berlin"
DAY_MINUTES = 24 * 60

Window = Tuple[FrozenSet[int], int, int]  # weekdays (Monday = 0), opening and closing minute


@dataclass(frozen=True)
class SupportHours:
    """When the human team works, as read from the policy text."""

    label: str  # the policy text, quoted back to the customer
    zone: ZoneInfo
    windows: Tuple[Window, ...]

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        minute = local.hour * 60 + local.minute
        return any(local.weekday() in days and opens <= minute < closes
                   for days, opens, closes in self.windows)

    def next_opening(self, moment: datetime) -> datetime:
        """The first opening after the moment, in the team's time zone."""
        local = moment.astimezone(self.zone)
        midnight = datetime(local.year, local.month, local.day, tzinfo=self.zone)
        openings = (midnight + timedelta(days=offset, minutes=opens)
                    for offset in range(8) for days, opens, _ in self.windows
                    if (local.weekday() + offset) % 7 in days)
        return min(opening for opening in openings if opening > moment)


def _minute(hour: str, minute: Optional[str], meridiem: Optional[str]) -> int:
    """Minutes after midnight: ('8', None, 'pm') → 1200, ('12', '30', 'am') → 30."""
    value = int(hour)
    if meridiem:
        value = value % 12 + (12 if meridiem.lower() == "pm" else 0)
    return value * 60 + int(minute or 0)


def _days(first: str, last: Optional[str]) -> FrozenSet[int]:
    start = WEEKDAYS.index(first.lower())
    end = WEEKDAYS.index((last or first).lower())
    return frozenset((start + n) % 7 for n in range((end - start) % 7 + 1))


def _zone(text: str) -> ZoneInfo:
    named = ZONE_NAME.search(text)
    if named:
        try:
            return ZoneInfo(named.group(0))
        except ZoneInfoNotFoundError:
            pass
    word = ZONE_WORD.search(text)
    return ZoneInfo(ZONE_ABBREVIATIONS[word.group(1).lower()] if word else DEFAULT_ZONE)


def parse_support_hours(text: str) -> Optional[SupportHours]:
    """'Mon-Fri 08:00-20:00 CET', 'Monday–Friday 8am–8pm, Sat 9-14 CET', '24/7'…;
    None when no hours can be read from the text."""
    text = text.strip()
    if ALWAYS_OPEN.search(text):
        return SupportHours(text, _zone(text), ((frozenset(range(7)), 0, DAY_MINUTES),))
    windows = tuple(
        (_days(m.group(1), m.group(2)), _minute(*m.group(3, 4, 5)), _minute(*m.group(6, 7, 8)))
        for m in HOURS_SEGMENT.finditer(text))
    windows = tuple(w for w in windows if 0 <= w[1] < w[2] <= DAY_MINUTES)
    return SupportHours(text, _zone(text), windows) if windows else None


# ------------------------------------------------------------------ what the customer is told

# The reason codes with a notice of their own (utter_handoff_<name> in domain.yml).
REASON_RESPONSES: Dict[str, str] = {
    "human_requested": "utter_handoff_human_requested",
    "negative_emotion": "utter_handoff_negative_emotion",
    "system_trouble": "utter_handoff_system_trouble",
    "turn_limit": "utter_handoff_turn_limit",
    "low_confidence": "utter_handoff_low_confidence",
    "sensitive_topic:fraud": "utter_handoff_fraud",
    "sensitive_topic:bereavement": "utter_handoff_bereavement",
    "sensitive_topic:legal": "utter_handoff_legal",
    "sensitive_topic:vulnerability": "utter_handoff_vulnerability",
}


def reason_response(reason_code: str) -> str:
    """The response saying why the customer is handed over, in words that never blame them."""
    if reason_code in REASON_RESPONSES:
        return REASON_RESPONSES[reason_code]
    return "utter_handoff_sensitive" if reason_code.startswith("sensitive_topic:") \
        else "utter_handoff_other"


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError(f"now must be timezone-aware, got {now.isoformat()}")
    return now


def _written(moment: datetime) -> str:
    """'Monday 30 November at 08:00 CET'."""
    return f"{moment:%A} {moment.day} {moment:%B} at {moment:%H:%M} {moment.tzname()}"


def _next_step(policies: Mapping[str, Any], now: datetime, queue_position: Optional[int],
               expected_wait_minutes: Optional[int]) -> Tuple[Json, Json]:
    """What happens next (a response and its variables), and the notice's facts."""
    hours = parse_support_hours(str(policies.get("support_hours_human") or ""))
    if hours is None:
        return ({"response": "utter_handoff_when_possible", "variables": {}},
                {"expected_wait_minutes": None, "human_available_at": None})
    wait = expected_wait_minutes if expected_wait_minutes is not None \
        else MINUTES_PER_QUEUE_POSITION * max(1, queue_position or 1)
    if hours.is_open(now) and hours.is_open(now + timedelta(minutes=wait)):
        minutes = {"wait_minutes": wait, "wait_minutes_spoken": spoken.number(wait)}
        said = ({"response": "utter_handoff_queued",
                 "variables": {"position": queue_position,
                               "position_spoken": spoken.number(queue_position), **minutes}}
                if queue_position else {"response": "utter_handoff_wait", "variables": minutes})
        return said, {"expected_wait_minutes": wait, "human_available_at": None}
    back = hours.next_opening(now)
    return ({"response": "utter_handoff_after_hours",
             "variables": {"support_hours": hours.label,
                           "support_hours_spoken": spoken.hours(hours.label),
                           "available_at": _written(back),
                           "available_at_spoken": spoken.moment(back)}},
            {"expected_wait_minutes": None, "human_available_at": back.isoformat()})


def customer_notice(reason_code: str, policies: Mapping[str, Any], now: datetime,
                    queue_position: Optional[int] = None,
                    expected_wait_minutes: Optional[int] = None,
                    channel: Optional[str] = None) -> Json:
    """What the customer is told: why they are handed over and what happens next,
    their place in the queue and the expected wait (the desk's, when it gave one)
    within support hours, or when the team is back outside them. `messages` are the
    responses action_escalate utters; `text` is what they read as on the channel."""
    now = _aware(now)
    next_step, facts = _next_step(policies, now, queue_position, expected_wait_minutes)
    messages = [{"response": reason_response(reason_code), "variables": {}}, next_step]
    text = "\n".join(render(m["response"], m["variables"], channel) for m in messages)
    return {"text": text, "messages": messages, **facts}
