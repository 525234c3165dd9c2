"""The journeys' writes on the backend client (BackendClient inherits them): each
takes the caller's idempotency key first, so that a repeated or doubled message,
which brings the same key, never books, files or cancels twice."""

import hashlib
import re
from datetime import date, datetime
from typing import Any


class JourneyWrites:
    """Booking, moving and cancelling appointments, leads, claims, policy activation and
    cancellation, returns and payment links, each one POST through `write`."""

    def write(self, path: str, body: dict[str, Any] | None, idempotency_key: str) -> dict[str, Any]:
        """POST a change with its key (BackendClient.write)."""
        raise NotImplementedError

    def book_appointment(
        self,
        key: str,
        customer_id: str,
        store_id: str,
        start: datetime,
        purpose: str,
        claim_id: str | None = None,
    ) -> dict[str, Any]:
        """Book a free slot; BackendConflict (with the reason) if it is taken."""
        body = {
            "customer_id": customer_id,
            "store_id": store_id,
            "start": start.isoformat(),
            "purpose": purpose,
        }
        return self.write("/appointments", _given(body, claim_id=claim_id), key)

    def move_appointment(self, key: str, appointment_id: str, start: datetime) -> dict[str, Any]:
        """Move a booked appointment; BackendConflict naming free slots if start is taken."""
        body = {"start": start.isoformat()}
        return self.write(f"/appointments/{appointment_id}/move", body, key)

    def cancel_appointment(self, key: str, appointment_id: str) -> dict[str, Any]:
        """Cancel an appointment and free its slot."""
        return self.write(f"/appointments/{appointment_id}/cancel", None, key)

    def create_lead(
        self,
        key: str,
        name: str,
        consent_channel: str,
        consent_text_version: str,
        consent_given_at: datetime,
        email: str | None = None,
        phone: str | None = None,
        interest: str | None = None,
        customer_id: str | None = None,
    ) -> dict[str, Any]:
        """Record a prospect who consented to be contacted on consent_channel."""
        consent = {
            "granted": True,
            "channel": consent_channel,
            "text_version": consent_text_version,
            "given_at": consent_given_at.isoformat(),
        }
        body = _given(
            {"name": name, "consent": consent},
            email=email,
            phone=phone,
            interest=interest,
            customer_id=customer_id,
        )
        return self.write("/leads", body, key)

    def file_claim(
        self,
        key: str,
        customer_id: str,
        policy_id: str,
        incident_type: str,
        incident_date: date,
        description: str,
    ) -> dict[str, Any]:
        """Open a claim; answers its id, status, next step and the excess."""
        body = {
            "customer_id": customer_id,
            "policy_id": policy_id,
            "incident_type": incident_type,
            "incident_date": incident_date.isoformat(),
            "description": description,
        }
        return self.write("/claims", body, key)

    def activate_policy(
        self,
        key: str,
        policy_id: str,
        customer_id: str,
        device: str,
        device_serial: str,
        terms_version: str,
    ) -> dict[str, Any]:
        """Activate a pending policy once the customer confirmed the device and accepted
        the terms; answers the start date and what is covered."""
        body = {
            "customer_id": customer_id,
            "device": device,
            "device_serial": device_serial,
            "terms_version": terms_version,
            "terms_accepted": True,
        }
        return self.write(f"/device_policies/{policy_id}/activation", body, key)

    def cancel_policy(
        self, key: str, policy_id: str, customer_id: str, reason: str, comment: str | None = None
    ) -> dict[str, Any]:
        """Cancel a device policy; answers the effective date after the notice period."""
        body = _given({"customer_id": customer_id, "reason": reason}, comment=comment)
        return self.write(f"/device_policies/{policy_id}/cancellation", body, key)

    def retain_policy(
        self, key: str, policy_id: str, customer_id: str, offer: str
    ) -> dict[str, Any]:
        """Carry out a retention offer the customer accepted instead of cancelling
        (switch_to_basic, month_free); answers the policy as it now stands."""
        body = {"customer_id": customer_id, "offer": offer}
        return self.write(f"/device_policies/{policy_id}/retention", body, key)

    def start_return(
        self,
        key: str,
        customer_id: str,
        order_id: str,
        reason: str,
        skus: list[str] | None = None,
    ) -> dict[str, Any]:
        """A return authorisation; BackendRejected naming the window's end outside it."""
        body = {"customer_id": customer_id, "order_id": order_id, "reason": reason}
        return self.write("/returns", _given(body, skus=skus), key)

    def payment_link(self, key: str, invoice_id: str, customer_id: str) -> dict[str, Any]:
        """A one-time link (url, expires_at) where the customer updates the payment method."""
        return self.write(f"/invoices/{invoice_id}/payment-link", {"customer_id": customer_id}, key)


VALID_KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")


def idempotency_key(*parts: str) -> str:
    """A key for one intended change, from what identifies it (e.g. the conversation,
    the action and the record): the same parts, as a repeated or doubled message
    brings them, give the same key."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


def _given(body: dict[str, Any], **optional: Any) -> dict[str, Any]:
    """body with the optional fields that have a value."""
    return {**body, **{name: value for name, value in optional.items() if value is not None}}
