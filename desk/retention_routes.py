"""Retention on the desk (desk.retention): an admin runs the desk's job now, a
supervisor reads how often it runs and its last report. Both audited like every
admin route, counted against the signed-in request rate and the body limit."""

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from desk import audit
from desk.auth import Admin, Supervisor
from desk.routes import SIGNED_IN_ERRORS, SessionDep, errors

retention_api = APIRouter(prefix="/admin", tags=["accounts"], responses=errors(*SIGNED_IN_ERRORS))


class DeletionView(BaseModel):
    kind: str
    count: int
    cutoff: str
    channel: str | None


class RetentionReportView(BaseModel):
    owner: str
    ran_at: str
    config_problem: str | None
    deleted: list[DeletionView]


class RetentionStatusView(BaseModel):
    owner: str
    every_minutes: int
    last: RetentionReportView | None


@retention_api.post(
    "/retention/run",
    response_model=RetentionReportView,
    summary="Delete the hand-overs older than retention.yml's periods now; what went",
)
async def run_retention(me: Admin, request: Request, session: SessionDep) -> dict[str, Any]:
    audit.record(session, me.username, "run_retention", role=me.role)
    session.commit()
    return await run_in_threadpool(request.app.state.retention.run)


@retention_api.get(
    "/retention",
    response_model=RetentionStatusView,
    summary="How often the desk's retention runs and its last report",
)
def retention_status(me: Supervisor, request: Request) -> dict[str, Any]:
    return request.app.state.retention.status()
