"""Retention offers carried out on a device policy instead of its cancellation: a
switch to the basic plan (its cover, excess and a premium at the basic rate) or a
month free (the next month's premium credited). A policy takes each offer once a
year; only an active policy takes one."""

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.database import write_lock
from backend.models import DevicePolicy, ProtectionPlan
from backend.records import customer_record, next_id
from backend.write_models import RetentionOffer
from backend.write_schemas import RetentionRequest
from common.errors import Conflict

ACTIVE = "active"
BASIC = "basic"
SWITCH = "switch_to_basic"
MONTH_FREE = "month_free"
ONCE_IN_DAYS = 365


def carry_out(session: Session, policy_id: str, request: RetentionRequest, today: date) -> Any:
    """Apply the accepted offer; answers the policy as it now stands and what changed."""
    with write_lock:
        policy = customer_record(session, DevicePolicy, policy_id, request.customer_id)
        if policy.status != ACTIVE:
            raise Conflict(
                f"device policy {policy.id} is {policy.status}: only an active policy "
                "takes a retention offer"
            )
        _not_again(session, policy.id, request.offer, today)
        previous_plan, credit, free_month = policy.plan, 0.0, None
        if request.offer == SWITCH:
            _switch_to_basic(session, policy)
        else:
            credit, free_month = policy.premium_monthly, next_month(today)
        applied = RetentionOffer(
            id=next_id(session, RetentionOffer, "RET", 5),
            policy_id=policy.id,
            offer=request.offer,
            previous_plan=previous_plan,
            credit=credit,
            free_month=free_month,
            applied_on=today,
        )
        session.add(applied)
        session.commit()
        return {
            **policy.to_dict(),
            "retention_id": applied.id,
            "offer": request.offer,
            "previous_plan": previous_plan,
            "credit": credit,
            "free_month": free_month.isoformat() if free_month else None,
            "applied_on": today.isoformat(),
        }


def next_month(today: date) -> date:
    """The first day of the month after today's: the month whose premium is waived."""
    return (today.replace(day=1) + timedelta(days=32)).replace(day=1)


def _not_again(session: Session, policy_id: str, offer: str, today: date) -> None:
    since = today - timedelta(days=ONCE_IN_DAYS)
    earlier = session.scalars(
        select(RetentionOffer.applied_on).where(
            RetentionOffer.policy_id == policy_id,
            RetentionOffer.offer == offer,
            RetentionOffer.applied_on > since,
        )
    ).first()
    if earlier is not None:
        raise Conflict(
            f"device policy {policy_id} already took {offer} on {earlier.isoformat()} "
            f"(once in {ONCE_IN_DAYS} days)"
        )


def _switch_to_basic(session: Session, policy: DevicePolicy) -> None:
    if policy.plan == BASIC:
        raise Conflict(f"device policy {policy.id} is already on the basic plan")
    current = session.get(ProtectionPlan, policy.plan)
    basic = session.get(ProtectionPlan, BASIC)
    if current is None or basic is None:
        raise Conflict(f"device policy {policy.id}: no basic plan on sale to switch to")
    rate = basic.monthly_rate_pct / current.monthly_rate_pct
    policy.plan, policy.covers, policy.excess = BASIC, list(basic.covers), basic.excess
    policy.premium_monthly = round(policy.premium_monthly * rate, 2)
