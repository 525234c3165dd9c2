"""Filing a device claim (first notice of loss) on a customer's policy."""

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from backend.database import write_lock
from backend.models import Claim, DevicePolicy
from backend.policy_writes import ACTIVE, cover_ends
from backend.records import company_policies, customer_record, next_id
from backend.write_models import ClaimReport
from backend.write_schemas import ClaimRequest
from common.errors import Unprocessable

SUBMITTED = "submitted"


def _check(session: Session, policy: DevicePolicy, request: ClaimRequest, today: date) -> None:
    """Unprocessable unless the policy covers this incident on this day."""
    ends = cover_ends(session, policy)
    if policy.status != ACTIVE and not (ends and today <= ends):
        raise Unprocessable(
            f"device policy {policy.id} is {policy.status}: only a policy in cover takes claims"
        )
    if request.incident_type not in policy.covers:
        raise Unprocessable(
            f"device policy {policy.id} ({policy.plan} plan) does not cover "
            f"{request.incident_type}; it covers {', '.join(policy.covers)}"
        )
    when = request.incident_date
    if when > today:
        raise Unprocessable(f"incident_date {when} is in the future (today is {today})")
    if when < policy.start_date:
        raise Unprocessable(
            f"incident_date {when} is before device policy {policy.id} started ({policy.start_date})"
        )
    if ends and when > ends:
        raise Unprocessable(
            f"incident_date {when} is after device policy {policy.id} ended ({ends})"
        )


def file_claim(session: Session, request: ClaimRequest, today: date) -> Any:
    """Open a claim; answers it with the excess the customer pays and its next step."""
    with write_lock:
        policy = customer_record(session, DevicePolicy, request.policy_id, request.customer_id)
        _check(session, policy, request, today)
        days = company_policies(session).get("claim_decision_business_days", 5)
        claim = Claim(
            id=next_id(session, Claim, "CLM", 5),
            policy_id=policy.id,
            customer_id=policy.customer_id,
            type=request.incident_type,
            status=SUBMITTED,
            opened_at=today,
            last_update=today,
            next_step=f"A claims handler will review it within {days} business days.",
            payout=None,
        )
        session.add(claim)
        session.flush()
        session.add(
            ClaimReport(
                claim_id=claim.id,
                incident_date=request.incident_date,
                description=request.description,
            )
        )
        session.commit()
        return {
            **claim.to_dict(),
            "incident_date": request.incident_date.isoformat(),
            "description": request.description,
            "excess": policy.excess,
        }
