"""What the supervisors' dashboard reads: the figures per local calendar day, and the
conversations behind a number (the drill-down). Both are the figures of
analytics/figures.py over the same sessions, so a day's number and its list agree."""

from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from analytics.figures import (
    CLASSES,
    HANDED_OVER,
    Judge,
    Judged,
    figures,
    handoff_id,
)
from analytics.metrics_config import MetricsConfig
from analytics.outreach_figures import Comebacks, Decision, outreach_figures
from analytics.sessions import SessionFacts

# The numbers a supervisor can drill into, each a filter over the period's sessions.
Kind = Literal[
    "conversations",  # every decided conversation (the rates' denominator)
    "resolved",
    "handed_over",
    "contained",  # closed by the customer, no goal completed
    "abandoned",
    "open",
    "not_handed_over",  # what the containment rate counts
    "goal_completed",  # a goal completed (hand-over or not): goal completion
    "first_contact_resolved",  # a goal completed with no re-contact about it: FCR
    "recontacted",  # a goal completed, then the customer came back about it
    "rated",  # the customer answered the satisfaction prompt
]
KINDS: tuple[str, ...] = Kind.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Day:
    """One local calendar day of the period, cut to the period's bounds."""

    label: str  # YYYY-MM-DD in the time zone
    since: float
    until: float


def days(since: float, until: float, zone: ZoneInfo) -> Iterator[Day]:
    """The local days [since, until) spans, oldest first (a DST day is 23 or 25 h)."""
    day = datetime.fromtimestamp(since, zone).date()
    while True:
        start = datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()
        if start >= until:
            return
        following = day + timedelta(days=1)
        end = datetime(following.year, following.month, following.day, tzinfo=zone).timestamp()
        yield Day(day.isoformat(), max(start, since), min(end, until))
        day = following


def daily(
    period: list[SessionFacts],
    later: list[SessionFacts],
    config: MetricsConfig,
    now: float,
    since: float,
    until: float,
    zone: ZoneInfo,
    decisions: list[Decision] | None = None,
) -> dict[str, Any]:
    """The period's figures in total and per day (each in total, per channel and per
    goal, and outreach's), a conversation counted on the day it started, an outreach
    decision on the day it was made."""
    judge = Judge(config, now, later)
    comebacks = Comebacks(later, config)
    decisions = decisions or []
    starts = [s.started_at for s in period]  # oldest first (the store's order)
    made = [d.at for d in decisions]  # oldest first (the store's order)
    buckets = []
    for day in days(since, until, zone):
        sessions = period[bisect_left(starts, day.since) : bisect_left(starts, day.until)]
        decided = decisions[bisect_left(made, day.since) : bisect_left(made, day.until)]
        buckets.append(
            {
                "day": day.label,
                "since": day.since,
                "until": day.until,
                **figures(sessions, config, now, judge=judge),
                "outreach": outreach_figures(decided, comebacks),
            }
        )
    whole = figures(period, config, now, judge=judge)
    whole["outreach"] = outreach_figures(decisions, comebacks)
    return {"currency": whole.pop("currency"), "period": whole, "days": buckets}


def _matches(kind: str, judged: Judged, goal: str | None) -> bool:
    outcome = judged.outcome
    if kind == "conversations":
        return outcome in CLASSES
    if kind == "not_handed_over":
        return outcome in CLASSES and outcome != HANDED_OVER
    if outcome not in CLASSES and kind != "open":
        return False
    if kind == "rated":
        return judged.session.satisfaction is not None
    completed = [g for g in judged.completed if goal in (None, g)]
    first = [g for g in completed if g in judged.first_contact]
    if kind == "goal_completed":
        return bool(completed)
    if kind == "first_contact_resolved":
        return bool(first)
    if kind == "recontacted":
        return len(first) < len(completed)
    return outcome == kind


def conversations(
    period: list[SessionFacts],
    judge: Judge,
    kind: str,
    channel: str | None = None,
    goal: str | None = None,
    reason: str | None = None,
    funnel: tuple[str, int] | None = None,
) -> list[dict[str, Any]]:
    """The conversations behind a number: kind (KINDS) among the period's sessions, of
    the channel, that attempted the goal, handed over for the reason (a code such as
    'sensitive_topic:fraud' or its kind 'sensitive_topic'), in a journey's funnel with
    at least so many of its steps reached (funnel); newest first."""
    found: list[Judged] = []
    for session in period:
        judged = judge(session)
        if channel and (session.channel or "unknown") != channel:
            continue
        if goal and goal not in judged.attempted:
            continue
        if funnel and judged.steps.get(funnel[0], -1) < funnel[1]:
            continue
        why = judged.reason or ""
        if reason and not (why == reason or why.split(":")[0] == reason):
            continue
        if _matches(kind, judged, goal):
            found.append(judged)
    found.sort(key=lambda j: (-j.session.started_at, -(j.session.id or 0)))
    return [_row(j, goal) for j in found]


def _row(judged: Judged, goal: str | None) -> dict[str, Any]:
    session = judged.session
    checked = [g for g in judged.completed if goal in (None, g)]
    return {
        "conversation_id": session.sender_id,
        "session": session.id,
        "channel": session.channel or "unknown",
        "started_at": session.started_at,
        "last_activity_at": session.last_activity_at,
        "outcome": judged.outcome,
        "goals": list(judged.attempted),
        "completed": list(judged.completed),
        "first_contact_resolved": [g for g in checked if g in judged.first_contact],
        "handover_reason": judged.reason,
        "handoff_id": handoff_id(session) if judged.outcome == HANDED_OVER else None,
        "steps_reached": judged.steps,
        "customer_turns": session.user_turns,
        "agent_minutes": round((session.agent_seconds or 0.0) / 60, 4),
        "satisfaction": session.satisfaction,
        "cost": round(judged.cost, 4),
    }
