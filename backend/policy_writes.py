"""Device policies: activating a pending one, cancelling one with the notice period."""

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.database import write_lock
from backend.models import DevicePolicy
from backend.records import company_policies, customer_record
from backend.write_models import PolicyActivation, PolicyCancellation
from backend.write_schemas import ActivationRequest, CancellationRequest
from common.errors import Conflict, Unprocessable

ACTIVE = "active"
PENDING = "pending_activation"
CANCELLED = "cancelled"
IMEI_DIGITS = 15


def valid_imei(serial: str) -> bool:
    """A 15-digit IMEI's Luhn check digit is right (other serials are not checked)."""
    if not (len(serial) == IMEI_DIGITS and serial.isdigit()):
        return True
    total = 0
    for index, digit in enumerate(int(char) for char in reversed(serial)):
        doubled = digit * 2 if index % 2 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0


def activate(session: Session, policy_id: str, request: ActivationRequest, today: date) -> Any:
    """Activate a pending policy for the device the customer confirmed; cover starts today."""
    with write_lock:
        policy = customer_record(session, DevicePolicy, policy_id, request.customer_id)
        if policy.status != PENDING:
            raise Conflict(
                f"device policy {policy.id} is {policy.status}: only a policy pending "
                "activation can be activated"
            )
        if request.device.casefold() != policy.device.casefold():
            raise Unprocessable(
                f"device policy {policy.id} is for a {policy.device}, not a {request.device}"
            )
        if not request.terms_accepted:
            raise Unprocessable("the terms must be accepted (terms_accepted: true) to activate")
        serial = request.device_serial.upper()
        if not valid_imei(serial):
            raise Unprocessable("device_serial: not a valid IMEI (its check digit is wrong)")
        holder = session.scalars(
            select(PolicyActivation.policy_id).where(PolicyActivation.device_serial == serial)
        ).first()
        if holder is not None:
            raise Conflict(f"device {serial} is already covered by device policy {holder}")
        policy.status, policy.start_date = ACTIVE, today
        session.add(
            PolicyActivation(
                policy_id=policy.id,
                device_serial=serial,
                terms_version=request.terms_version,
                activated_on=today,
            )
        )
        session.commit()
        return {**policy.to_dict(), "device_serial": serial, "terms_version": request.terms_version}


def cover_ends(session: Session, policy: DevicePolicy) -> date | None:
    """The last day of a cancelled policy's cover; None while no cancellation is recorded."""
    cancellation = session.get(PolicyCancellation, policy.id)
    return None if cancellation is None else cancellation.effective_date


def cancel(session: Session, policy_id: str, request: CancellationRequest, today: date) -> Any:
    """Cancel a policy: an active one's cover ends after the company's notice period,
    a pending one's at once (it never started)."""
    with write_lock:
        policy = customer_record(session, DevicePolicy, policy_id, request.customer_id)
        if policy.status not in (ACTIVE, PENDING):
            ends = cover_ends(session, policy)
            until = f", cover ends on {ends.isoformat()}" if ends else ""
            raise Conflict(
                f"device policy {policy.id} is {policy.status}{until}: "
                "only an active or pending policy can be cancelled"
            )
        notice_days = int(company_policies(session).get("cancellation_notice_days", 0))
        if policy.status == PENDING:
            notice_days = 0
        effective = today + timedelta(days=notice_days)
        policy.status = CANCELLED
        session.add(
            PolicyCancellation(
                policy_id=policy.id,
                reason=request.reason,
                comment=request.comment,
                requested_on=today,
                effective_date=effective,
            )
        )
        session.commit()
        return {
            **policy.to_dict(),
            "reason": request.reason,
            "requested_on": today.isoformat(),
            "notice_days": notice_days,
            "effective_date": effective.isoformat(),
        }
