"""The retention job's two routes on an internal FastAPI service, behind its token:
`POST /retention/run` runs it now (an operator, a test) and answers the report;
`GET /retention` answers how often it runs and the last run's report."""

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool

from common.retention import RetentionJob


def retention_routes(job: RetentionJob, authorized: Callable[..., Awaitable[None]]) -> APIRouter:
    router = APIRouter(dependencies=[Depends(authorized)], tags=["retention"])

    @router.post("/retention/run")
    async def run_retention() -> dict[str, Any]:
        """Delete what is older than retention.yml's periods now; what was deleted."""
        return await run_in_threadpool(job.run)

    @router.get("/retention")
    def retention_status() -> dict[str, Any]:
        """How often the job runs and the last run's report (null before the first)."""
        return job.status()

    return router
