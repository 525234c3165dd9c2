"""One-time links to the payment page where a customer updates the payment method:
card details go to that page only, never through this API."""

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from backend.database import write_lock
from backend.models import Invoice
from backend.records import customer_record
from backend.write_models import PaymentLink
from backend.write_schemas import PaymentLinkRequest
from common.errors import Conflict

UNPAID = frozenset({"due", "overdue", "failed"})


def create_link(
    session: Session, invoice_id: str, request: PaymentLinkRequest, base_url: str, minutes: int
) -> Any:
    """A new link for an unpaid invoice of the customer, valid for `minutes`."""
    with write_lock:
        invoice = customer_record(session, Invoice, invoice_id, request.customer_id)
        if invoice.status not in UNPAID:
            raise Conflict(f"invoice {invoice.id} is {invoice.status}: there is nothing to pay")
        now = datetime.now(UTC)
        link = PaymentLink(
            token=secrets.token_urlsafe(32),
            invoice_id=invoice.id,
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
        session.add(link)
        session.commit()
        return {
            "invoice_id": invoice.id,
            "amount": invoice.amount,
            "currency": invoice.currency,
            "url": f"{base_url}{link.token}",
            "expires_at": link.expires_at.isoformat(),
        }
