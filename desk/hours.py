"""Support hours: when agents answer hand-overs live. The desk owns them (its
settings file, validated at start); the action server words what the customer is
told from the desk's receipt, and answers "when is your team available?" from them."""

import re
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Extra, conlist, validator

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)|24:00")
DAY_MINUTES = 24 * 60


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


class SupportHours(BaseModel):
    """The same opening on each of `days`, from `open` to `close` ("HH:MM", close
    may be "24:00"), in `time_zone` (an IANA name, so daylight saving follows)."""

    time_zone: str = "Europe/Berlin"
    days: conlist(Weekday, min_items=1, unique_items=True)  # type: ignore[valid-type]
    open: str
    close: str

    class Config:
        extra = Extra.forbid

    @validator("time_zone")
    def _a_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ValueError, ZoneInfoNotFoundError):
            raise ValueError(f"{value!r} is not a time zone such as 'Europe/Berlin'") from None
        return value

    @validator("open", "close")
    def _a_clock(cls, value: str) -> str:
        if not CLOCK.fullmatch(value):
            raise ValueError(f"{value!r} is not a time of day such as '08:00'")
        return value

    @validator("close")
    def _after_opening(cls, value: str, values: dict[str, Any]) -> str:
        if "open" in values and _minutes(value) <= _minutes(values["open"]):
            raise ValueError(f"closes at {value}, not after it opens at {values['open']}")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        minute = local.hour * 60 + local.minute
        return WEEKDAYS[local.weekday()] in self.days and _minutes(self.open) <= minute < _minutes(
            self.close
        )

    def next_open(self, moment: datetime) -> datetime:
        """The first opening after the moment, in the hours' time zone."""
        local = moment.astimezone(self.zone)
        for offset in range(8):
            day = local.date() + timedelta(days=offset)
            opening = datetime(day.year, day.month, day.day, tzinfo=self.zone) + timedelta(
                minutes=_minutes(self.open)
            )
            if WEEKDAYS[day.weekday()] in self.days and opening > moment:
                return opening
        raise AssertionError("a week always holds an opening")  # days is never empty

    def as_json(self) -> dict[str, Any]:
        """The receipt's `hours`: days in week order."""
        days: list[str] = [day for day in WEEKDAYS if day in self.days]
        return {"time_zone": self.time_zone, "days": days, "open": self.open, "close": self.close}
