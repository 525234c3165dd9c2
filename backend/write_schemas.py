"""Request bodies of the writes that serve the customer journeys (leads, claims,
policy activation and cancellation, returns, payment links).

No body has a field for card data: a payment method is only ever entered on the
payment page a payment link opens, and an unknown field is refused.
"""

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Literal

from pydantic import StrictBool, conlist, constr, validator

from backend.schemas import RecordId, StrictModel, iso_text

if TYPE_CHECKING:
    Name = str
    Email = str
    Phone = str
    Version = str
    Serial = str
    Description = str
    Comment = str
    Incident = str
else:
    Name = constr(strict=True, strip_whitespace=True, min_length=1, max_length=200)
    Email = constr(strict=True, strip_whitespace=True, max_length=254, regex=r"^[^@\s]+@[^@\s]+$")
    Phone = constr(strict=True, strip_whitespace=True, regex=r"^\+[1-9][0-9]{6,14}$")
    Version = constr(strict=True, strip_whitespace=True, min_length=1, max_length=32)
    Serial = constr(strict=True, strip_whitespace=True, regex=r"^[A-Za-z0-9]{8,20}$")
    Description = constr(strict=True, strip_whitespace=True, min_length=1, max_length=500)
    Comment = constr(strict=True, strip_whitespace=True, max_length=500)
    Incident = constr(strict=True, strip_whitespace=True, min_length=1, max_length=32)

ContactChannel = Literal["email", "phone", "sms", "whatsapp"]
CancellationReason = Literal[
    "too_expensive", "no_longer_needed", "device_replaced", "switching_provider", "other"
]
RetentionOfferName = Literal["switch_to_basic", "month_free"]
ReturnReason = Literal["changed_mind", "faulty", "wrong_item", "damaged_in_delivery", "other"]


class Consent(StrictModel):
    """The prospect's explicit consent to be contacted on one channel."""

    granted: StrictBool
    channel: ContactChannel
    text_version: Version
    given_at: datetime

    _given_at_is_text = validator("given_at", pre=True, allow_reuse=True)(iso_text)

    @validator("given_at")
    def _given_at_has_offset(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("expected a time with its UTC offset, e.g. 2026-11-24T10:00:00Z")
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise ValueError("out of range") from None


class LeadRequest(StrictModel):
    """A prospect who wants to be contacted."""

    name: Name
    email: Email | None = None
    phone: Phone | None = None
    interest: Name | None = None
    customer_id: RecordId | None = None
    consent: Consent | None = None


class ClaimRequest(StrictModel):
    """First notice of loss on a customer's device policy."""

    customer_id: RecordId
    policy_id: RecordId
    incident_type: Incident
    incident_date: date
    description: Description

    _date_is_text = validator("incident_date", pre=True, allow_reuse=True)(iso_text)


class ActivationRequest(StrictModel):
    """The customer's confirmation of the device and the terms for a pending policy."""

    customer_id: RecordId
    device: Name
    device_serial: Serial
    terms_version: Version
    terms_accepted: StrictBool


class CancellationRequest(StrictModel):
    """A customer's request to cancel a device policy, and why."""

    customer_id: RecordId
    reason: CancellationReason
    comment: Comment | None = None


class RetentionRequest(StrictModel):
    """A retention offer the customer accepted instead of cancelling a device policy."""

    customer_id: RecordId
    offer: RetentionOfferName


class ReturnRequest(StrictModel):
    """A return of a delivered order: all its items, or the SKUs named."""

    customer_id: RecordId
    order_id: RecordId
    reason: ReturnReason
    skus: conlist(RecordId, min_items=1, max_items=20) | None = None  # type: ignore[valid-type]


class PaymentLinkRequest(StrictModel):
    """Whose invoice the payment-update link is for."""

    customer_id: RecordId
