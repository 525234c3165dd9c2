"""Request bodies and response shapes of the API, as pydantic models.

Strings are strict (a number is not a string), lengths are bounded to what the
database columns hold, and unknown fields are refused.
"""

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, constr, validator

if TYPE_CHECKING:  # pydantic 1's constr() builds a str subclass at run time
    RecordId = str
    RequestId = str
else:
    RecordId = constr(strict=True, strip_whitespace=True, min_length=1, max_length=32)
    RequestId = constr(strict=True, regex=r"^[A-Za-z0-9_-]{8,64}$")


class StrictModel(BaseModel):
    """A request body: unknown fields refused, every text storable in any database."""

    class Config:
        extra = "forbid"

    @validator("*")
    def _storable_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            if "\x00" in value:
                raise ValueError("must not contain NUL characters")
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("must be valid Unicode text") from None
        return value


def iso_text(value: Any) -> Any:
    """Dates and times come as ISO 8601 text, never as numbers."""
    if not isinstance(value, str):
        raise TypeError("expected ISO 8601 text, e.g. 2026-11-25 or 2026-11-25T09:30:00")
    return value


def local_time(value: datetime) -> datetime:
    """A store's slot time is its local time."""
    if value.tzinfo is not None:
        raise ValueError("expected the store's local time without a UTC offset")
    return value


class AppointmentRequest(StrictModel):
    """A booking of one free slot at a store."""

    customer_id: RecordId
    store_id: RecordId
    start: datetime
    purpose: Literal["repair", "advice"]
    claim_id: RecordId | None = None

    _start_is_text = validator("start", pre=True, allow_reuse=True)(iso_text)
    _start_is_local = validator("start", allow_reuse=True)(local_time)


class MoveRequest(StrictModel):
    """Another free slot, at the same store, for a booked appointment."""

    start: datetime

    _start_is_text = validator("start", pre=True, allow_reuse=True)(iso_text)
    _start_is_local = validator("start", allow_reuse=True)(local_time)


class InteractionRequest(StrictModel):
    """Something that happened in a conversation, to keep on the customer's file."""

    conversation_id: constr(strict=True, min_length=1, max_length=128)  # type: ignore[valid-type]
    channel: constr(strict=True, min_length=1, max_length=32)  # type: ignore[valid-type]
    type: constr(strict=True, min_length=1, max_length=64)  # type: ignore[valid-type]
    summary: constr(strict=True, min_length=1, max_length=4000)  # type: ignore[valid-type]
    customer_id: RecordId | None = None
    # Sent again with a retried write: the interaction already stored is answered.
    request_id: RequestId | None = None


class Items(BaseModel):
    """A list answer."""

    items: list[dict[str, Any]]


class ErrorBody(BaseModel):
    """Every error answer."""

    detail: str
