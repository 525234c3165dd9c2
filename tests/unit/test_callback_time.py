"""A caller's answer to the offer of a call back, read in words and bounded to the
desk's support hours (actions/callback_time.py)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from actions.callback_time import CALL, MESSAGE, Choice, read_choice

BERLIN = ZoneInfo("Europe/Berlin")
SUNDAY_NIGHT = datetime(2026, 11, 29, 22, 0, tzinfo=BERLIN)
NEXT_OPEN = "2026-11-30T08:00:00+01:00"
HOURS = {
    "time_zone": "Europe/Berlin",
    "days": ["mon", "tue", "wed", "thu", "fri"],
    "open": "08:00",
    "close": "20:00",
}


def at(day: int, hour: int, minute: int = 0) -> Choice:
    return Choice(CALL, datetime(2026, 11, day, hour, minute, tzinfo=BERLIN))


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("tomorrow at ten", at(30, 10)),
        ("Tomorrow at 10.", at(30, 10)),
        ("Monday afternoon", at(30, 14)),
        ("on Tuesday at half past two", Choice(CALL, datetime(2026, 12, 1, 14, 30, tzinfo=BERLIN))),
        ("Wednesday at 9:15 am", Choice(CALL, datetime(2026, 12, 2, 9, 15, tzinfo=BERLIN))),
        ("at 3 pm", at(30, 15)),
        ("four thirty", at(30, 16, 30)),
        ("Friday morning", Choice(CALL, datetime(2026, 12, 4, 8, 0, tzinfo=BERLIN))),
        ("yes please", Choice(CALL, datetime.fromisoformat(NEXT_OPEN))),
        ("when you open", Choice(CALL, datetime.fromisoformat(NEXT_OPEN))),
        ("send me a text message", Choice(MESSAGE, None)),
        ("WhatsApp please", Choice(MESSAGE, None)),
    ],
)
def test_understood(said: str, expected: Choice) -> None:
    assert read_choice(said, SUNDAY_NIGHT, HOURS, NEXT_OPEN) == expected


@pytest.mark.parametrize(
    "said",
    [
        "",
        "what?",
        "Saturday at ten",  # closed on Saturdays
        "tomorrow at 9 pm",  # after closing
        "tomorrow at seven am",  # before opening
        "today",  # Sunday: closed
        "at 25",
    ],
)
def test_not_understood_or_outside_hours(said: str) -> None:
    assert read_choice(said, SUNDAY_NIGHT, HOURS, NEXT_OPEN) is None


def test_a_time_already_past_today_is_the_next_open_day() -> None:
    tuesday_noon = datetime(2026, 12, 1, 12, 0, tzinfo=BERLIN)
    assert read_choice("at ten", tuesday_noon, HOURS, NEXT_OPEN) == Choice(
        CALL, datetime(2026, 12, 2, 10, 0, tzinfo=BERLIN)
    )


def test_read_in_the_desk_time_zone() -> None:
    utc_now = SUNDAY_NIGHT.astimezone(ZoneInfo("UTC"))
    assert read_choice("tomorrow at ten", utc_now, HOURS, NEXT_OPEN) == at(30, 10)
