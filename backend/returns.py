"""Authorising the return of a delivered order inside the company's return window."""

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.database import write_lock
from backend.models import Order
from backend.records import company_policies, customer_record, next_id
from backend.write_models import ReturnAuthorisation
from backend.write_schemas import ReturnRequest
from common.errors import Conflict, Unprocessable

DELIVERED = "delivered"
AUTHORISED = "authorised"


def _items(order: Order, skus: list[str] | None) -> list[dict[str, Any]]:
    """The order's items to return: all, or those whose SKU is named."""
    if skus is None:
        return list(order.items)
    wanted = {sku.upper() for sku in skus}
    unknown = sorted(wanted - {str(item["sku"]).upper() for item in order.items})
    if unknown:
        raise Unprocessable(f"order {order.id} has no item {', '.join(unknown)}")
    return [item for item in order.items if str(item["sku"]).upper() in wanted]


def start_return(session: Session, request: ReturnRequest, today: date) -> Any:
    """A return authorisation; refused outside the window, naming the window's end."""
    with write_lock:
        order = customer_record(session, Order, request.order_id, request.customer_id)
        if order.status != DELIVERED or order.delivered_at is None:
            raise Unprocessable(
                f"order {order.id} is {order.status}: only a delivered order can be returned"
            )
        if not order.returnable:
            raise Unprocessable(f"order {order.id} is not returnable")
        window = int(company_policies(session).get("return_window_days", 0))
        window_ends = order.delivered_at + timedelta(days=window)
        if today > window_ends:
            raise Unprocessable(
                f"the {window}-day return window of order {order.id} ended on "
                f"{window_ends.isoformat()}"
            )
        existing = session.scalars(
            select(ReturnAuthorisation.id).where(ReturnAuthorisation.order_id == order.id)
        ).first()
        if existing is not None:
            raise Conflict(f"order {order.id} already has return authorisation {existing}")
        items = _items(order, request.skus)
        authorisation = ReturnAuthorisation(
            id=next_id(session, ReturnAuthorisation, "RMA", 5),
            order_id=order.id,
            customer_id=order.customer_id,
            reason=request.reason,
            items=items,
            refund=round(sum(item["price"] * item.get("qty", 1) for item in items), 2),
            currency=order.currency,
            status=AUTHORISED,
            created_on=today,
            return_by=window_ends,
        )
        session.add(authorisation)
        session.commit()
        return authorisation.to_dict()
