"""Lists for proactive outreach (issue 14): the device policies pending activation
since before a day, and the customers in a lifecycle stage. Ids and the one fact asked
about only, never contact details: outreach reads the rest per customer when it sends.

A bulk list is what an attacker inside would want most, so these routes take their own
bearer token (BACKEND_LIST_TOKEN; unset, they are off: 403) and a per-client rate
limit (BACKEND_LIST_RATE_LIMIT), checked first so that guessing the token is limited.
"""

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from limits import parse_many
from sqlalchemy import select
from starlette.exceptions import HTTPException

from backend.models import Customer, DevicePolicy
from backend.policy_writes import PENDING
from backend.routes import SessionDep, _errors
from common.service_api import TooMany, retry_after, token_matches

LIFECYCLE_STAGES = ("prospect", "onboarding", "active", "at_risk")
RECORD_ID = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"
scheme = HTTPBearer(auto_error=False, description="BACKEND_LIST_TOKEN")


def list_reader(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(scheme)],
) -> None:
    """429 over the client's rate limit, 403 with the lists off, 401 without the token."""
    settings, limiter = request.app.state.settings, request.app.state.list_limiter
    client = request.client.host if request.client else "unknown"
    for item in parse_many(settings.list_rate_limit):
        if not limiter.hit(item, "lists", client):
            raise TooMany("too many requests", retry_after(limiter, item, "lists", client))
    if settings.list_token is None:
        raise HTTPException(403, "the list endpoints are off: BACKEND_LIST_TOKEN is not set")
    if not token_matches(credentials, settings.list_token):
        raise HTTPException(
            401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"}
        )


router = APIRouter(
    prefix="/lists",
    tags=["lists"],
    dependencies=[Depends(list_reader)],
    responses=_errors(401, 403, 422, 429),
)
After = Annotated[str | None, Query(regex=RECORD_ID, description="Page on: ids after this one")]
Limit = Annotated[int, Query(ge=1, le=500)]


def _page(items: list[dict[str, Any]], limit: int) -> dict[str, Any]:
    """The items and the id to ask `after` for the next page (None at the end)."""
    return {"items": items, "next": items[-1]["id"] if len(items) == limit else None}


@router.get("/pending_activations", summary="Device policies pending activation since before")
def pending_activations(
    session: SessionDep,
    before: Annotated[date, Query(description="Pending since before this day, e.g. 2026-11-21")],
    after: After = None,
    limit: Limit = 200,
) -> dict[str, Any]:
    """Each policy's id, customer and the day it has been pending since, by id."""
    query = select(DevicePolicy).where(
        DevicePolicy.status == PENDING, DevicePolicy.start_date < before
    )
    if after:
        query = query.where(DevicePolicy.id > after)
    rows = session.scalars(query.order_by(DevicePolicy.id).limit(limit))
    items = [
        {"id": p.id, "customer_id": p.customer_id, "pending_since": p.start_date.isoformat()}
        for p in rows
    ]
    return _page(items, limit)


@router.get("/customers", summary="Customers in a lifecycle stage")
def customers_in_stage(
    session: SessionDep,
    lifecycle_stage: Literal[LIFECYCLE_STAGES],  # type: ignore[valid-type]
    after: After = None,
    limit: Limit = 200,
) -> dict[str, Any]:
    """Each customer's id in the stage, by id."""
    query = select(Customer.id).where(Customer.lifecycle_stage == lifecycle_stage)
    if after:
        query = query.where(Customer.id > after)
    ids = session.scalars(query.order_by(Customer.id).limit(limit))
    return _page([{"id": i, "lifecycle_stage": lifecycle_stage} for i in ids], limit)
