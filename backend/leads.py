"""Leads: prospects who asked to be contacted, stored only with their explicit consent."""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from backend.database import write_lock
from backend.models import Customer
from backend.records import get_record, next_id
from backend.write_models import Lead
from backend.write_schemas import LeadRequest
from common.errors import Unprocessable

NO_CONSENT = (
    "a lead needs the prospect's explicit consent: consent.granted true, with the "
    "channel, the consent text's version and when it was given"
)
CLOCK_SKEW = timedelta(minutes=5)


def create_lead(session: Session, request: LeadRequest) -> Any:
    """Store a lead; refused without consent or without a contact on the consented channel."""
    consent = request.consent
    if consent is None or not consent.granted:
        raise Unprocessable(NO_CONSENT)
    contact = request.email if consent.channel == "email" else request.phone
    if contact is None:
        field = "email" if consent.channel == "email" else "phone"
        raise Unprocessable(f"consent is for {consent.channel}: the lead needs a {field}")
    now = datetime.now(UTC)
    if consent.given_at > now + CLOCK_SKEW:
        raise Unprocessable("consent.given_at is in the future")
    with write_lock:  # the read too, see bookings.cancel()
        customer = (
            get_record(session, Customer, request.customer_id) if request.customer_id else None
        )
        lead = Lead(
            id=next_id(session, Lead, "LEAD", 5),
            name=request.name,
            email=request.email,
            phone=request.phone,
            interest=request.interest,
            customer_id=customer.id if customer else None,
            consent_channel=consent.channel,
            consent_text_version=consent.text_version,
            consent_given_at=consent.given_at,
            created_at=now,
        )
        session.add(lead)
        session.commit()
        return lead.to_dict()
