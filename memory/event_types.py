"""The JSON schema of each business event type the enterprise may post.

One pydantic model per type, every field checked and nothing else allowed, so an
event is either stored whole or refused with the reason. The fixture's `events`
have the same shape.
"""

from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Extra, Field, ValidationError, constr, parse_obj_as

CustomerId = constr(regex=r"^C-\d{4,8}$")
OrderId = constr(regex=r"^BW-\d{6}$")
InvoiceId = constr(regex=r"^INV-\d{6}$")
ClaimId = constr(regex=r"^CLM-\d{5}$")
AppointmentId = constr(regex=r"^APT-\d{4,6}$")
Detail = constr(min_length=1, max_length=200)


class InvalidEvent(ValueError):
    """The event does not match its type's schema; the message says where."""


class EventBase(BaseModel):
    type: str  # each event type narrows it to its own name
    customer_id: CustomerId  # type: ignore[valid-type]
    at: datetime | date

    class Config:
        extra = Extra.forbid
        anystr_strip_whitespace = True

    @property
    def record(self) -> str | None:
        """The record the event is about, if any."""
        return None


class PaymentFailed(EventBase):
    type: Literal["payment_failed"]
    invoice_id: InvoiceId  # type: ignore[valid-type]
    detail: Detail  # type: ignore[valid-type]

    @property
    def record(self) -> str | None:
        return self.invoice_id


class ShipmentDelayed(EventBase):
    type: Literal["shipment_delayed"]
    order_id: OrderId  # type: ignore[valid-type]
    detail: Detail  # type: ignore[valid-type]
    new_eta: date | None = None

    @property
    def record(self) -> str | None:
        return self.order_id


class OrderDelivered(EventBase):
    type: Literal["order_delivered"]
    order_id: OrderId  # type: ignore[valid-type]

    @property
    def record(self) -> str | None:
        return self.order_id


class ClaimUpdated(EventBase):
    type: Literal["claim_updated"]
    claim_id: ClaimId  # type: ignore[valid-type]
    status: constr(regex=r"^[a-z_]{1,40}$")  # type: ignore[valid-type]
    detail: Detail | None = None  # type: ignore[valid-type]

    @property
    def record(self) -> str | None:
        return self.claim_id


class PageViewed(EventBase):
    type: Literal["page_viewed"]
    page: constr(regex=r"^/[^\s]{0,299}$")  # type: ignore[valid-type]
    product: constr(min_length=1, max_length=100)  # type: ignore[valid-type]


class AppointmentMissed(EventBase):
    type: Literal["appointment_missed"]
    appointment_id: AppointmentId  # type: ignore[valid-type]

    @property
    def record(self) -> str | None:
        return self.appointment_id


Sentiment = Literal["negative", "neutral", "positive"]


class SentimentShift(EventBase):
    """A customer's mood turning, seen by the assistant in a conversation: from and to
    (from None at the conversation's start) and which conversation, never the words.
    Recorded through the memory's token-protected API only, never /events, and never
    told to the customer."""

    type: Literal["sentiment_shift"]
    conversation_id: constr(min_length=1, max_length=200)  # type: ignore[valid-type]
    from_: Sentiment | None = Field(None, alias="from")
    to: Sentiment

    class Config:
        allow_population_by_field_name = True


# Timeline events the assistant records itself from conversations (not business events).
CONVERSATION_TYPES = ("sentiment_shift",)

BusinessEvent = Annotated[
    PaymentFailed
    | ShipmentDelayed
    | OrderDelivered
    | ClaimUpdated
    | PageViewed
    | AppointmentMissed,
    Field(discriminator="type"),
]
TYPES = (
    "payment_failed",
    "shipment_delayed",
    "order_delivered",
    "claim_updated",
    "page_viewed",
    "appointment_missed",
)


def _where(error: Mapping[str, Any]) -> str:
    location = ".".join(
        str(part) for part in error["loc"] if part != "__root__" and part not in TYPES
    )
    return f"{location or 'body'}: {error['msg']}"


def parse_event(body: Any) -> EventBase:
    """The event, checked against its type's schema; InvalidEvent with the reason."""
    if not isinstance(body, dict):
        raise InvalidEvent("body: expected a JSON object")
    if body.get("type") not in TYPES:
        raise InvalidEvent(f"type: expected one of {', '.join(TYPES)}")
    try:
        return parse_obj_as(BusinessEvent, body)  # type: ignore[arg-type]
    except ValidationError as error:
        raise InvalidEvent("; ".join(_where(e) for e in error.errors())) from None
