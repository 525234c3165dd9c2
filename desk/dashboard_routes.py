"""The supervisors' dashboard's API: the outcome figures per day, channel and journey,
the conversations behind each number, and both as CSV. Supervisors and admins only;
the figures come from the analytics service over HTTP (desk/analytics_client.py),
days are the support hours' local days."""

from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from common.errors import RequestRejected
from desk.analytics_client import AnalyticsClient
from desk.auth import Supervisor
from desk.dashboard_csv import conversations_csv, decisions_csv, figures_csv
from desk.routes import SIGNED_IN_ERRORS, errors

Json = dict[str, Any]
MAX_DAYS = 90  # local days: within the analytics service's 92 days even across a DST change
DEFAULT_DAYS = 7
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
CSV_PAGE, CSV_MAX_ROWS = 500, 20_000
# The numbers a supervisor can drill into (the analytics service's `kind`, contract K5).
Kind = Literal[
    "conversations",
    "resolved",
    "handed_over",
    "contained",
    "abandoned",
    "open",
    "not_handed_over",
    "goal_completed",
    "first_contact_resolved",
    "recontacted",
    "rated",
]

dashboard_api = APIRouter(
    prefix="/api/dashboard",
    tags=["dashboard"],
    responses=errors(*SIGNED_IN_ERRORS, 400, 502, 503),
)
Start = Annotated[date | None, Query(description="first day (local), default a week ago")]
End = Annotated[date | None, Query(description="last day (local, included), default today")]
Name = Annotated[str | None, Query(min_length=1, max_length=80, pattern=r"^[a-z][a-z0-9_]*$")]
Reason = Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_]+(:[a-z_]+)?$")]
Action = Annotated[Literal["sent", "suppressed", "failed"] | None, Query()]
Group = Annotated[
    Literal["contacted", "held_out"] | None, Query(description="held_out: the hold-out group")
]
CameBack = Annotated[bool | None, Query(description="came back about the rule's goals")]


class CsvResponse(Response):
    media_type = "text/csv; charset=utf-8"


def _client(request: Request) -> AnalyticsClient:
    return request.app.state.analytics


def _zone(request: Request) -> ZoneInfo:
    return ZoneInfo(request.app.state.settings.behaviour.hours.time_zone)


def period(
    request: Request, start: date | None, end: date | None
) -> tuple[date, date, float, float]:
    """The days asked for (default: the last week up to today, local) and their bounds
    in Unix seconds; 400 when backwards, too long or out of range."""
    zone = _zone(request)
    end = end or datetime.now(zone).date()
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if not (EARLIEST <= start <= end <= LATEST):
        raise RequestRejected(f"start and end: days from {EARLIEST} to {LATEST}, start first")
    if (end - start).days >= MAX_DAYS:
        raise RequestRejected(f"at most {MAX_DAYS} days at once")
    after = end + timedelta(days=1)
    since = datetime(start.year, start.month, start.day, tzinfo=zone).timestamp()
    until = datetime(after.year, after.month, after.day, tzinfo=zone).timestamp()
    return start, end, since, until


def _figures(request: Request, start: date | None, end: date | None) -> Json:
    first, last, since, until = period(request, start, end)
    zone = _zone(request).key
    found = _client(request).daily(since, until, zone)
    return {**found, "start": first.isoformat(), "end": last.isoformat(), "time_zone": zone}


@dashboard_api.get("/figures", summary="Outcome figures per day, channel and journey")
def dashboard_figures(
    me: Supervisor, request: Request, start: Start = None, end: End = None
) -> Json:
    """Goal completion, first-contact resolution, containment, hand-over rate and reasons,
    cost per resolution: for the period, and per local day, each in total, per channel
    and per goal (journey)."""
    return _figures(request, start, end)


@dashboard_api.get("/conversations", summary="The conversations behind a number")
def drill_down(
    me: Supervisor,
    request: Request,
    start: Start = None,
    end: End = None,
    kind: Kind = "conversations",
    channel: Name = None,
    goal: Name = None,
    reason: Reason = None,
    funnel: Name = None,
    step: Name = None,
    limit: Annotated[int, Query(ge=1, le=CSV_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Json:
    """Newest first: conversation id, channel, outcome, goals, hand-over reason and the
    desk's hand-over id (open it at `/#handoff=<id>`); `funnel` and `step`: those of a
    multi-step journey that reached the step."""
    _, _, since, until = period(request, start, end)
    return _client(request).conversations(
        since,
        until,
        kind=kind,
        channel=channel,
        goal=goal,
        reason=reason,
        funnel=funnel,
        step=step,
        limit=limit,
        offset=offset,
    )


def _attachment(body: str, name: str) -> CsvResponse:
    return CsvResponse(body, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@dashboard_api.get(
    "/figures.csv", response_class=CsvResponse, summary="The figures as CSV (one row each)"
)
def figures_export(
    me: Supervisor, request: Request, start: Start = None, end: End = None
) -> CsvResponse:
    found = _figures(request, start, end)
    return _attachment(figures_csv(found), f"figures-{found['start']}-{found['end']}.csv")


@dashboard_api.get(
    "/conversations.csv",
    response_class=CsvResponse,
    summary="The conversations behind a number as CSV (at most 20,000)",
)
def conversations_export(
    me: Supervisor,
    request: Request,
    start: Start = None,
    end: End = None,
    kind: Kind = "conversations",
    channel: Name = None,
    goal: Name = None,
    reason: Reason = None,
    funnel: Name = None,
    step: Name = None,
) -> CsvResponse:
    first, last, since, until = period(request, start, end)
    rows: list[Json] = []
    while len(rows) < CSV_MAX_ROWS:
        page = _client(request).conversations(
            since,
            until,
            kind=kind,
            channel=channel,
            goal=goal,
            reason=reason,
            funnel=funnel,
            step=step,
            limit=CSV_PAGE,
            offset=len(rows),
        )
        found = page.get("conversations") or []
        rows += found
        if len(found) < CSV_PAGE or len(rows) >= int(page.get("total") or 0):
            break
    body = conversations_csv(rows, _zone(request))
    return _attachment(body, f"conversations-{kind}-{first}-{last}.csv")


def _decisions(
    request: Request, since: float, until: float, limit: int, offset: int, **filters: Any
) -> Json:
    return _client(request).outreach_decisions(since, until, limit=limit, offset=offset, **filters)


@dashboard_api.get("/outreach", summary="The outreach decisions behind a number")
def outreach_drill_down(
    me: Supervisor,
    request: Request,
    start: Start = None,
    end: End = None,
    rule: Name = None,
    action: Action = None,
    reason: Reason = None,
    channel: Name = None,
    group: Group = None,
    came_back: CameBack = None,
    limit: Annotated[int, Query(ge=1, le=CSV_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Json:
    """Newest first: the customer, the rule, sent / suppressed (why) / failed, the
    group (contacted or held out) and the conversations in which the customer came back
    about the rule's goals within the FCR window (the preventable contacts)."""
    _, _, since, until = period(request, start, end)
    filters = {"rule": rule, "action": action, "reason": reason, "channel": channel}
    return _decisions(
        request, since, until, limit, offset, group=group, came_back=came_back, **filters
    )


@dashboard_api.get(
    "/outreach.csv",
    response_class=CsvResponse,
    summary="The outreach decisions behind a number as CSV (at most 20,000)",
)
def outreach_export(
    me: Supervisor,
    request: Request,
    start: Start = None,
    end: End = None,
    rule: Name = None,
    action: Action = None,
    reason: Reason = None,
    channel: Name = None,
    group: Group = None,
    came_back: CameBack = None,
) -> CsvResponse:
    first, last, since, until = period(request, start, end)
    filters = {"rule": rule, "action": action, "reason": reason, "channel": channel}
    rows: list[Json] = []
    while len(rows) < CSV_MAX_ROWS:
        page = _decisions(
            request, since, until, CSV_PAGE, len(rows), group=group, came_back=came_back, **filters
        )
        found = page.get("decisions") or []
        rows += found
        if len(found) < CSV_PAGE or len(rows) >= int(page.get("total") or 0):
            break
    return _attachment(decisions_csv(rows, _zone(request)), f"outreach-{first}-{last}.csv")
