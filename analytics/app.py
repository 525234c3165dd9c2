"""The analytics service: the consumer of Rasa's broker events in the background and a
read API for the figures (FastAPI, internal interface only).

Every call but /health takes `Authorization: Bearer ANALYTICS_API_TOKEN`, is limited per
client address (ANALYTICS_RATE_LIMIT) and to 4 KiB of body; errors are
`{"detail": reason}`.
"""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from analytics.alerts import Watch
from analytics.consumer import broker_events, consume_forever
from analytics.dashboard import Kind, conversations, daily
from analytics.figures import Judge, figures
from analytics.metrics_config import MetricsConfig
from analytics.outreach_feed import OutreachLog, pull_forever
from analytics.outreach_figures import (
    CONTACTED,
    FINAL,
    HELD_OUT,
    Comebacks,
    Decision,
    decision_rows,
    decisions_of,
)
from analytics.rabbit import relay_forever
from analytics.retention import purge
from analytics.settings import Settings
from analytics.store import (
    OUTREACH_FEED,
    WRITING,
    anonymise_conversation,
    anonymise_customer,
    create_schema,
    decisions_between,
    delete_broker_events,
    last_event_id,
    session_count,
    sessions_between,
)
from common.database import create_db_engine
from common.periodic import every
from common.retention import RetentionJob
from common.retention_api import retention_routes
from common.service_api import bearer_token, serve_internally

MAX_BODY_BYTES = 4 * 1024
DAY = 86400.0
MAX_PERIOD_DAYS = 366
MAX_DAILY_DAYS = 92  # the dashboard's per-day buckets
MAX_ROWS = 500  # conversations in one page of a drill-down
ZONE_PATTERN = r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$"
CUSTOMER_ID = r"^C-\d{4,8}$"
Action = Literal[FINAL]  # type: ignore[valid-type]
Group = Literal[CONTACTED, HELD_OUT]  # type: ignore[valid-type]

authorized = bearer_token("ANALYTICS_API_TOKEN")
api = APIRouter(dependencies=[Depends(authorized)])


@api.get("/figures")
def get_figures(
    request: Request,
    since: float = Query(..., ge=0, le=1e11, description="period start, Unix seconds"),
    until: float = Query(..., ge=0, le=1e11, description="period end (excluded), Unix seconds"),
) -> dict[str, Any]:
    """The period's figures in total, per channel and per goal (analytics/figures.py)."""
    if not since < until <= since + MAX_PERIOD_DAYS * DAY:
        raise HTTPException(400, f"until must be after since, at most {MAX_PERIOD_DAYS} days")
    config: MetricsConfig = request.app.state.metrics
    window = config.first_contact_resolution_days * DAY
    with request.app.state.store.connect() as connection:
        later = sessions_between(connection, since, until + window)
    period = [s for s in later if s.started_at < until]
    return {"since": since, "until": until, **figures(period, config, time.time(), later)}


@api.get("/status")
def get_status(request: Request) -> dict[str, Any]:
    """How far the consumer is: the last event folded and the broker's newest."""
    with request.app.state.store.connect() as connection:
        folded, sessions = last_event_id(connection), session_count(connection)
        copied = last_event_id(connection, OUTREACH_FEED)
    try:
        with request.app.state.broker.connect() as connection:
            newest = connection.execute(select(func.max(broker_events.c.id))).scalar() or 0
    except SQLAlchemyError:
        newest = None  # no events table yet, or the broker is unreachable
    return {
        "last_event_id": folded,
        "broker_last_event_id": newest,
        "sessions": sessions,
        "outreach_last_decision_id": copied,
    }


def _period(
    request: Request, since: float, until: float, max_days: int
) -> tuple[list[Any], list[Any]]:
    """The sessions started in [since, until), and those up to the FCR window after it
    (where re-contacts are looked for); 400 for a period backwards or too long."""
    if not since < until <= since + max_days * DAY:
        raise HTTPException(400, f"until must be after since, at most {max_days} days")
    config: MetricsConfig = request.app.state.metrics
    window = config.first_contact_resolution_days * DAY
    with request.app.state.store.connect() as connection:
        later = sessions_between(connection, since, until + window)
    return [s for s in later if s.started_at < until], later


def _decisions(request: Request, since: float, until: float) -> list[Decision]:
    """The outreach decisions made in [since, until) (the copy of outreach's log)."""
    with request.app.state.store.connect() as connection:
        return decisions_of(decisions_between(connection, since, until))


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise HTTPException(400, "tz: not a known IANA time zone such as Europe/Berlin") from None


def _funnel_step(
    config: MetricsConfig, funnel: str | None, step: str | None
) -> tuple[str, int] | None:
    """(journey, steps reached at least) for a funnel and one of its steps; 400 for a
    journey or step metrics.yml does not define."""
    if funnel is None:
        if step is not None:
            raise HTTPException(400, "step: name the funnel too")
        return None
    steps = config.funnels.get(funnel)
    if steps is None:
        raise HTTPException(400, f"funnel: metrics.yml defines {sorted(config.funnels)}")
    if step is None:
        return funnel, 0
    names = [s.step for s in steps]
    if step not in names:
        raise HTTPException(400, f"step: the {funnel} funnel's steps are {names}")
    return funnel, names.index(step) + 1


@api.get("/figures/daily")
def get_daily_figures(
    request: Request,
    since: float = Query(..., ge=0, le=1e11, description="period start, Unix seconds"),
    until: float = Query(..., ge=0, le=1e11, description="period end (excluded), Unix seconds"),
    tz: str = Query("UTC", max_length=64, pattern=ZONE_PATTERN, description="IANA time zone"),
) -> dict[str, Any]:
    """The period's figures in total and per local day of tz (at most 92 days), each in
    total, per channel and per goal, with the hand-over reasons."""
    zone = _zone(tz)
    period, later = _period(request, since, until, MAX_DAILY_DAYS)
    config: MetricsConfig = request.app.state.metrics
    decisions = _decisions(request, since, until)
    found = daily(period, later, config, time.time(), since, until, zone, decisions)
    alerts = request.app.state.watch.view()
    return {"since": since, "until": until, "tz": tz, **found, "alerts": alerts}


@api.get("/conversations")
def get_conversations(
    request: Request,
    since: float = Query(..., ge=0, le=1e11, description="period start, Unix seconds"),
    until: float = Query(..., ge=0, le=1e11, description="period end (excluded), Unix seconds"),
    kind: Kind = Query("conversations", description="which number's conversations"),
    channel: str | None = Query(None, min_length=1, max_length=40),
    goal: str | None = Query(None, min_length=1, max_length=80),
    reason: str | None = Query(None, max_length=64, pattern=r"^[a-z_]+(:[a-z_]+)?$"),
    funnel: str | None = Query(None, max_length=80, description="a journey of metrics.yml"),
    step: str | None = Query(None, max_length=80, description="a step of the funnel reached"),
    limit: int = Query(100, ge=1, le=MAX_ROWS),
    offset: int = Query(0, ge=0, le=1_000_000),
) -> dict[str, Any]:
    """The conversations behind a number (drill-down), newest first: id, channel,
    outcome, goals, hand-over reason and the desk's hand-over id; `total` counts all."""
    period, later = _period(request, since, until, MAX_PERIOD_DAYS)
    config: MetricsConfig = request.app.state.metrics
    reached = _funnel_step(config, funnel, step)
    rows = conversations(
        period, Judge(config, time.time(), later), kind, channel, goal, reason, reached
    )
    return {
        "since": since,
        "until": until,
        "kind": kind,
        "total": len(rows),
        "conversations": rows[offset : offset + limit],
    }


@api.get("/alerts")
def get_alerts(request: Request) -> dict[str, Any]:
    """The alerts raised now, the latest raised or cleared, the last evaluation."""
    return request.app.state.watch.view()


@api.post("/alerts/evaluate")
async def evaluate_alerts(request: Request) -> dict[str, Any]:
    """Evaluate the bounds now (as the scheduler does every evaluate_every_seconds);
    the alerts raised or cleared by it."""
    return {"changed": await run_in_threadpool(request.app.state.watch.evaluate)}


@api.get("/outreach/decisions")
def get_outreach_decisions(
    request: Request,
    since: float = Query(..., ge=0, le=1e11, description="period start, Unix seconds"),
    until: float = Query(..., ge=0, le=1e11, description="period end (excluded), Unix seconds"),
    rule: str | None = Query(None, max_length=40, pattern=r"^[a-z][a-z0-9_]*$"),
    action: Action | None = Query(None, description="sent, suppressed or failed"),
    reason: str | None = Query(None, max_length=40, pattern=r"^[a-z_]+(:[a-z_]+)?$"),
    channel: str | None = Query(None, max_length=20, pattern=r"^[a-z_]+$"),
    group: Group | None = Query(None, description="contacted or held_out (the hold-out)"),
    came_back: bool | None = Query(None, description="came back about the rule's goals"),
    limit: int = Query(100, ge=1, le=MAX_ROWS),
    offset: int = Query(0, ge=0, le=1_000_000),
) -> dict[str, Any]:
    """The outreach decisions behind a number (drill-down), newest first: customer,
    rule, what was decided and why, and the conversations in which the customer came
    back about the rule's goals within the FCR window; `total` counts all."""
    _, later = _period(request, since, until, MAX_PERIOD_DAYS)
    decisions = _decisions(request, since, until)
    rows = decision_rows(
        decisions,
        Comebacks(later, request.app.state.metrics),
        rule,
        action,
        reason,
        channel,
        group,
        came_back,
    )
    return {
        "since": since,
        "until": until,
        "total": len(rows),
        "decisions": rows[offset : offset + limit],
    }


@api.post("/customers/{customer_id}/erase")
def erase_customer(
    request: Request, customer_id: str = Path(..., max_length=12, pattern=CUSTOMER_ID)
) -> dict[str, Any]:
    """Erasure of a customer's outreach decisions copied from outreach: their figures
    stay, under a random id; the rows (0 the second time)."""
    with WRITING, request.app.state.store.begin() as connection:
        anonymised = anonymise_customer(connection, customer_id)
    return {"removed": {}, "anonymised": {"outreach_decisions": anonymised}}


@api.post("/conversations/{conversation_id}/erase")
def erase_conversation(
    request: Request, conversation_id: str = Path(..., min_length=1, max_length=255)
) -> dict[str, Any]:
    """Erasure of one conversation: its sessions anonymised (their figures stay, under a
    random id, without the records named) and its events deleted from Rasa's event
    broker table; the rows per table (0 the second time)."""
    state = request.app.state
    with WRITING:
        with state.broker.begin() as connection:
            published = inspect(connection).has_table(broker_events.name)  # Rasa has published
            events = (
                delete_broker_events(connection, broker_events, conversation_id) if published else 0
            )
        with state.store.begin() as connection:
            anonymised = anonymise_conversation(connection, conversation_id)
    return {"removed": {"broker_events": events}, "anonymised": {"sessions": anonymised}}


def create_app(settings: Settings, metrics: MetricsConfig) -> FastAPI:
    """The analytics service: its consumer runs for as long as the app does."""
    store = create_db_engine(settings.database_url)
    broker = create_db_engine(settings.event_broker_url)
    create_schema(store)
    retention = RetentionJob("analytics", partial(purge, store, broker))
    watch = Watch(store, metrics, settings.alert_webhook_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tasks = [
            asyncio.create_task(
                consume_forever(broker, store, settings.poll_seconds, settings.batch_size)
            )
        ]
        if settings.outreach_url and settings.outreach_token:
            log = OutreachLog(settings.outreach_url, settings.outreach_token)
            tasks.append(
                asyncio.create_task(pull_forever(log, store, settings.outreach_poll_seconds))
            )
        if settings.rabbitmq_url:
            tasks.append(
                asyncio.create_task(
                    relay_forever(
                        settings.rabbitmq_url,
                        settings.rabbitmq_queue,
                        broker,
                        settings.poll_seconds,
                        settings.batch_size,
                    )
                )
            )
        retention.start()
        watching = every(metrics.alerts.evaluate_every_seconds, watch.scheduled)
        yield
        watching.shutdown(wait=False)
        retention.stop()
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        store.dispose()
        broker.dispose()

    app = FastAPI(
        title="Switchboard analytics",
        version="1.0.0",
        lifespan=lifespan,
        description='Outcome metrics from Rasa\'s events. Errors are `{"detail": "<reason>"}`.',
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.store = store
    app.state.broker = broker
    app.state.watch = watch
    app.include_router(api)
    app.include_router(retention_routes(retention, authorized))
    serve_internally(app, settings.api_token, settings.rate_limit, MAX_BODY_BYTES)
    return app
