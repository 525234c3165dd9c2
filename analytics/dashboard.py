"""What the supervisors' dashboard reads: the figures per local calendar day, and the
conversations behind a number (the drill-down). Both are the figures of
analytics/figures.py over the same sessions, so a day's number and its list agree."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from analytics.figures import (
    CLASSES,
    HANDED_OVER,
    Recontacts,
    attempted_goals,
    classify,
    completed_goals,
    figures,
    handoff_id,
    handover_reason,
    session_cost,
)
from analytics.metrics_config import MetricsConfig
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
) -> dict[str, Any]:
    """The period's figures in total and per day (each in total, per channel and per
    goal), a conversation counted on the day it started."""
    recontacts = Recontacts(later, config)
    buckets = []
    for day in days(since, until, zone):
        sessions = [s for s in period if day.since <= s.started_at < day.until]
        buckets.append(
            {
                "day": day.label,
                "since": day.since,
                "until": day.until,
                **figures(sessions, config, now, recontacts=recontacts),
            }
        )
    whole = figures(period, config, now, recontacts=recontacts)
    return {"currency": whole.pop("currency"), "period": whole, "days": buckets}


def _matches(
    kind: str, session: SessionFacts, outcome: str, goal: str | None, config: MetricsConfig
) -> bool:
    if kind == "conversations":
        return outcome in CLASSES
    if kind == "not_handed_over":
        return outcome in CLASSES and outcome != HANDED_OVER
    if kind in ("goal_completed", "first_contact_resolved", "recontacted"):
        done = completed_goals(session, config)
        return outcome in CLASSES and bool([goal] if goal in done else [] if goal else done)
    return outcome == kind


def conversations(
    period: list[SessionFacts],
    recontacts: Recontacts,
    config: MetricsConfig,
    now: float,
    kind: str,
    channel: str | None = None,
    goal: str | None = None,
    reason: str | None = None,
) -> list[dict[str, Any]]:
    """The conversations behind a number: kind (KINDS) among the period's sessions, of
    the channel, that attempted the goal, handed over for the reason (a code such as
    'sensitive_topic:fraud' or its kind 'sensitive_topic'); newest first."""
    found: list[tuple[SessionFacts, dict[str, Any]]] = []
    for session in period:
        outcome = classify(session, config, now)
        goals = attempted_goals(session, config)
        if channel and (session.channel or "unknown") != channel:
            continue
        if goal and goal not in goals:
            continue
        if not _matches(kind, session, outcome, goal, config):
            continue
        why = handover_reason(session) if outcome == HANDED_OVER else None
        if reason and not (why == reason or (why or "").split(":")[0] == reason):
            continue
        done = completed_goals(session, config)
        checked = [goal] if goal else done
        first = [g for g in checked if g in done and not recontacts.after(session, g)]
        if kind == "first_contact_resolved" and not first:
            continue
        if kind == "recontacted" and len(first) == len([g for g in checked if g in done]):
            continue
        found.append(
            (
                session,
                {
                    "conversation_id": session.sender_id,
                    "session": session.id,
                    "channel": session.channel or "unknown",
                    "started_at": session.started_at,
                    "last_activity_at": session.last_activity_at,
                    "outcome": outcome,
                    "goals": goals,
                    "completed": done,
                    "first_contact_resolved": first,
                    "handover_reason": why,
                    "handoff_id": handoff_id(session) if outcome == HANDED_OVER else None,
                    "customer_turns": session.user_turns,
                    "cost": round(session_cost(session, config), 4),
                },
            )
        )
    found.sort(key=lambda pair: (-pair[0].started_at, -(pair[0].id or 0)))
    return [row for _, row in found]
