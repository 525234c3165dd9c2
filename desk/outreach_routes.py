"""Supervisors' view of outreach's decision log (issue #14): what was sent, deferred,
suppressed (and why) or failed, per customer or overall, read from the outreach API and
recorded in the audit log."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from desk import audit
from desk.auth import Supervisor
from desk.outreach_client import OutreachClient
from desk.routes import SIGNED_IN_ERRORS, SessionDep, errors

outreach_api = APIRouter(tags=["audit"], responses=errors(*SIGNED_IN_ERRORS, 400, 502, 503))


@outreach_api.get(
    "/api/outreach/decisions",
    summary="Outreach's decisions, oldest first (supervisors and admins)",
)
def outreach_decisions(
    me: Supervisor,
    session: SessionDep,
    request: Request,
    customer_id: Annotated[str | None, Query(regex=r"^C-\d{4,8}$")] = None,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    client: OutreachClient = request.app.state.outreach
    found = client.decisions(customer_id, after, limit)
    audit.record(
        session,
        me.username,
        "read_outreach",
        role=me.role,
        subject=customer_id,
        detail=f"{len(found['decisions'])} decisions",
    )
    session.commit()
    return found
