"""Reading records: one by id, a customer's records newest first, reference lists."""

import re
from collections.abc import Mapping
from typing import Any, TypeVar

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from backend.models import (
    Appointment,
    Claim,
    CompanyPolicy,
    Customer,
    DevicePolicy,
    Event,
    Interaction,
    Invoice,
    Order,
    Product,
    ProtectionPlan,
    Record,
    Store,
)
from common.errors import NotFound, Unprocessable

R = TypeVar("R", bound=Record)

ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
"""What every record id looks like; anything else cannot name a record."""

BY_ID: Mapping[str, type[Record]] = {
    "customers": Customer,
    "orders": Order,
    "claims": Claim,
    "invoices": Invoice,
    "device_policies": DevicePolicy,
    "appointments": Appointment,
    "stores": Store,
}
"""Collections whose records are read one by id, by path segment."""

CUSTOMER_HISTORY: Mapping[str, Any] = {
    "orders": Order.placed_at,
    "claims": Claim.opened_at,
    "invoices": Invoice.due_date,
    "device_policies": DevicePolicy.start_date,
    "appointments": Appointment.start,
    "interactions": Interaction.created_at,
    "events": Event.at,
}
"""A customer's collections, by path segment, with the column that orders them newest first."""

REFERENCE_LISTS: Mapping[str, type[Record]] = {
    "catalog": Product,
    "protection_plans": ProtectionPlan,
    "stores": Store,
}
"""Lists served whole, in the fixture's order."""


def _primary_key(model: type[Record]) -> Any:
    return inspect(model).primary_key[0]


def get_record(session: Session, model: type[R], record_id: str) -> R:
    """The record of model whose id is record_id, ignoring case; NotFound otherwise."""
    record = None
    if ID_PATTERN.fullmatch(record_id):
        key = _primary_key(model)
        record = session.scalars(select(model).where(func.upper(key) == record_id.upper())).first()
    if record is None:
        raise NotFound(f"{model.__noun__} {record_id} not found")
    return record


def customer_record(session: Session, model: type[R], record_id: str, customer_id: str) -> R:
    """The record of model whose id is record_id, which must be the customer's:
    NotFound for either id unknown, Unprocessable for someone else's record."""
    customer = get_record(session, Customer, customer_id)
    record = get_record(session, model, record_id)
    if record.customer_id != customer.id:  # type: ignore[attr-defined]
        noun = model.__noun__
        raise Unprocessable(f"{noun} {record_id.upper()} is not a {noun} of customer {customer.id}")
    return record


def customer_history(session: Session, customer_id: str, collection: str) -> list[Record]:
    """A customer's records of one collection, newest first (ties: highest id first)."""
    customer = get_record(session, Customer, customer_id)
    newest = CUSTOMER_HISTORY[collection]
    model = newest.class_
    query = (
        select(model)
        .where(model.customer_id == customer.id)
        .order_by(newest.desc(), _primary_key(model).desc())
    )
    return list(session.scalars(query))


def reference_list(session: Session, collection: str) -> list[Record]:
    """A reference list in the fixture's order."""
    model = REFERENCE_LISTS[collection]
    return list(session.scalars(select(model).order_by(model.position)))  # type: ignore[attr-defined]


def company_policies(session: Session) -> dict[str, Any]:
    """The company policies object, as the fixture has it."""
    rows = session.scalars(select(CompanyPolicy).order_by(CompanyPolicy.position))
    return {row.name: row.value for row in rows}


def _number(record_id: str) -> int:
    suffix = record_id.partition("-")[2]
    return int(suffix) if suffix.isdigit() else 0


def next_id(session: Session, model: type[Record], prefix: str, width: int) -> str:
    """The id after the highest ``<prefix>-<number>`` of model, e.g. APT-3003 after APT-3002.
    Call it holding ``backend.database.write_lock`` until the new record is committed."""
    numbers = [_number(value) for value in session.scalars(select(_primary_key(model)))]
    return f"{prefix}-{max(numbers, default=0) + 1:0{width}d}"
