"""The desk's support hours and what a new hand-over's receipt says from them
(contract K2), at fixed moments: no clock, no server."""

from datetime import UTC, datetime

import pytest

from desk.hours import SupportHours
from desk.queue import availability, live_now
from desk.settings import QueueSettings

WEEKDAYS = SupportHours(
    time_zone="Europe/Berlin", days=["mon", "tue", "wed", "thu", "fri"], open="08:00", close="20:00"
)
QUEUE = QueueSettings(minutes_per_handoff=6, agents_on_duty=2)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    "moment, is_open",
    [
        (utc(2026, 11, 25, 10, 0), True),  # Wednesday 11:00 CET
        (utc(2026, 11, 25, 7, 0), True),  # 08:00 CET: opening minute
        (utc(2026, 11, 25, 6, 59), False),  # 07:59 CET
        (utc(2026, 11, 25, 19, 0), False),  # 20:00 CET: closed
        (utc(2026, 11, 28, 10, 0), False),  # Saturday
        (utc(2026, 7, 1, 6, 30), True),  # 08:30 CEST: summer time follows the zone
    ],
)
def test_open_by_the_local_clock(moment: datetime, is_open: bool) -> None:
    assert WEEKDAYS.is_open(moment) is is_open


@pytest.mark.parametrize(
    "moment, back",
    [
        (utc(2026, 11, 29, 23, 0), "2026-11-30T08:00:00+01:00"),  # Sunday night → Monday
        (utc(2026, 11, 27, 19, 30), "2026-11-30T08:00:00+01:00"),  # Friday after closing
        (utc(2026, 11, 25, 5, 0), "2026-11-25T08:00:00+01:00"),  # before opening today
        (utc(2026, 11, 25, 10, 0), "2026-11-26T08:00:00+01:00"),  # open: the next opening
        (utc(2026, 3, 28, 12, 0), "2026-03-30T08:00:00+02:00"),  # over the change to CEST
    ],
)
def test_the_next_opening(moment: datetime, back: str) -> None:
    assert WEEKDAYS.next_open(moment).isoformat() == back


def test_a_wait_that_ends_after_closing_is_not_live() -> None:
    before_closing = utc(2026, 11, 25, 18, 55)  # 19:55 CET
    assert not live_now(before_closing, 6, WEEKDAYS)
    assert live_now(before_closing, 4, WEEKDAYS)
    receipt = availability(before_closing, 2, QUEUE, WEEKDAYS)  # a 6-minute wait
    assert receipt == {
        "open_now": False,
        "next_open": "2026-11-26T08:00:00+01:00",
        "expected_wait_minutes": None,
        "hours": {
            "time_zone": "Europe/Berlin",
            "open": "08:00",
            "close": "20:00",
            "days": ["mon", "tue", "wed", "thu", "fri"],
        },
    }


def test_within_hours_the_receipt_has_the_wait() -> None:
    receipt = availability(utc(2026, 11, 25, 10, 0), 3, QUEUE, WEEKDAYS)
    assert (receipt["open_now"], receipt["next_open"], receipt["expected_wait_minutes"]) == (
        True,
        None,
        9,
    )


def test_around_the_clock_and_days_in_week_order() -> None:
    always = SupportHours(
        days=["sun", "mon", "sat", "tue", "wed", "thu", "fri"], open="00:00", close="24:00"
    )
    assert always.is_open(utc(2026, 11, 29, 23, 59))
    assert always.as_json()["days"] == ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
