"""The figures of a period, from the sessions' facts and metrics.yml: what each session
counts as, goal completion, containment, hand-over and abandoned rates, first-contact
resolution and cost per resolution, in total and per channel and per goal."""

import math
from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from analytics.metrics_config import MetricsConfig
from analytics.sessions import SessionFacts

RESOLVED = "resolved"  # a goal completed, no hand-over
HANDED_OVER = "handed_over"  # a person took over (a pause, or a handed_over outcome)
CONTAINED = "contained"  # no goal completed, no hand-over; the customer closed it
ABANDONED = "abandoned"  # no goal completed, no hand-over, then nothing for a while
OPEN = "open"  # none of those yet: not counted in the rates
EMPTY = "empty"  # no customer message at all: not a conversation
CLASSES = (RESOLVED, HANDED_OVER, CONTAINED, ABANDONED)
DAY = 86400.0
VERIFY_IDENTITY = "verify_identity"  # contract K1's goal of the identity check
HAND_OVER = "hand_over"  # contract K1's goal of the hand-over
UNKNOWN_REASON = "unknown"  # paused without a hand-over outcome saying why


def handed_over(session: SessionFacts) -> bool:
    return session.handed_over or any(o.get("result") == "handed_over" for o in session.outcomes)


def _handover_outcome(session: SessionFacts) -> dict[str, Any] | None:
    found = [
        o
        for o in session.outcomes
        if o.get("goal") == HAND_OVER and o.get("result") == "handed_over"
    ]
    return found[-1] if found else None


def handover_reason(session: SessionFacts) -> str:
    """Why the session was handed over: the hand-over outcome's reason code (K1's
    `detail.reason_code`, e.g. 'sensitive_topic:fraud'), else 'unknown'."""
    found = _handover_outcome(session)
    detail = found.get("detail") if found else None
    code = detail.get("reason_code") if isinstance(detail, dict) else None
    return code[:64] if isinstance(code, str) and code else UNKNOWN_REASON


def handoff_id(session: SessionFacts) -> str | None:
    """The desk's hand-over id the hand-over outcome recorded (its `record`)."""
    found = _handover_outcome(session)
    record = found.get("record") if found else None
    return record[:64] if isinstance(record, str) and record else None


def attempted_goals(session: SessionFacts, config: MetricsConfig) -> list[str]:
    """The goals of metrics.yml the outcome record names, in the order first met."""
    goals = (o.get("goal") for o in session.outcomes)
    return list(dict.fromkeys(g for g in goals if isinstance(g, str) and g in config.goals))


def completed_goals(session: SessionFacts, config: MetricsConfig) -> list[str]:
    goals = (
        o.get("goal") for o in session.outcomes if config.completes(o.get("goal"), o.get("result"))
    )
    return list(dict.fromkeys(g for g in goals if isinstance(g, str)))


def classify(session: SessionFacts, config: MetricsConfig, now: float) -> str:
    """What the session counts as, at time now."""
    if session.user_turns == 0:
        return EMPTY
    if handed_over(session):
        return HANDED_OVER
    if completed_goals(session, config):
        return RESOLVED
    if session.last_intent in config.closing_intents:
        return CONTAINED
    idle = now - (session.last_activity_at or session.last_event_at)
    if idle >= config.abandoned_after_minutes * 60:
        return ABANDONED
    return OPEN


def agent_cost(session: SessionFacts, config: MetricsConfig) -> float:
    """The agents' time on the session: the desk's claim-to-close times (carried by its
    closing message) times the hourly rate; a hand-over the desk has not closed yet is
    estimated at `agent_minutes_per_handover`."""
    costs = config.costs
    if session.agent_seconds is not None:
        return costs.agent_hourly_rate * session.agent_seconds / 3600
    if handed_over(session):
        return costs.agent_hourly_rate * costs.agent_minutes_per_handover / 60
    return 0.0


def session_cost(session: SessionFacts, config: MetricsConfig) -> float:
    """What the session cost: the channel's units, compute per turn and the agents'
    time (agent_cost)."""
    costs = config.costs
    channel = costs.channels.get(session.channel or "")
    total = costs.compute_per_turn * session.user_turns
    if channel is not None:
        minutes = math.ceil(
            max(0.0, (session.last_activity_at or session.started_at) - session.started_at) / 60
        )
        total += channel.per_conversation
        total += channel.per_message * (session.user_turns + session.bot_messages)
        total += channel.per_minute * minutes
    return total + agent_cost(session, config)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def contact(session: SessionFacts) -> str:
    """Who the session was with, to find their re-contacts: the customer the outcome
    record says was verified (the same on every channel), else the conversation id."""
    verified = [
        o.get("record")
        for o in session.outcomes
        if o.get("goal") == VERIFY_IDENTITY and o.get("result") == "verified" and o.get("record")
    ]
    return f"customer:{verified[-1]}" if verified else f"sender:{session.sender_id}"


class Recontacts:
    """When each customer came back about each goal: (contact, goal) -> start times,
    sorted, so a re-contact is found by bisection instead of a scan of every session."""

    def __init__(self, later: list[SessionFacts], config: MetricsConfig) -> None:
        self.window = config.first_contact_resolution_days * DAY
        starts: dict[tuple[str, str], list[float]] = defaultdict(list)
        for other in later:
            who = contact(other)
            for goal in attempted_goals(other, config):
                starts[(who, goal)].append(other.started_at)
        self.starts = {key: sorted(times) for key, times in starts.items()}

    def after(self, session: SessionFacts, goal: str) -> bool:
        """Whether the same customer came back about the goal within the FCR window, on
        any channel once verified (an unverified one: in the same conversation id only,
        until the memory's identity links are read)."""
        times = self.starts.get((contact(session), goal), [])
        first_later = bisect_right(times, session.started_at)
        return first_later < len(times) and times[first_later] <= session.started_at + self.window


def steps_reached(session: SessionFacts, config: MetricsConfig) -> dict[str, int]:
    """For each funnel of metrics.yml the session is in (its outcome record names the
    journey's goal): how many of the journey's steps it reached, in order."""
    found = {}
    for journey, steps in config.funnels.items():
        if not any(o.get("goal") == journey for o in session.outcomes):
            continue
        reached = 0
        while reached < len(steps) and any(steps[reached].reached(o) for o in session.outcomes):
            reached += 1
        found[journey] = reached
    return found


def funnels(judged: list["Judged"], config: MetricsConfig) -> dict[str, Any]:
    """Per multi-step journey, over the decided sessions in its funnel: how many entered,
    and per step how many reached it, the share of those who entered, and how many
    dropped off since the step before."""
    decided = [j for j in judged if j.outcome in CLASSES]
    found: dict[str, Any] = {}
    for journey, steps in config.funnels.items():
        reached = [j.steps[journey] for j in decided if journey in j.steps]
        entered = len(reached)
        counts = [sum(1 for r in reached if r > index) for index in range(len(steps))]
        found[journey] = {
            "entered": entered,
            "steps": [
                {
                    "step": step.step,
                    "reached": count,
                    "rate": _rate(count, entered),
                    "dropped": (counts[index - 1] if index else entered) - count,
                }
                for index, (step, count) in enumerate(zip(steps, counts, strict=True))
            ],
        }
    return found


@dataclass(frozen=True)
class Judged:
    """What one session counts as at a moment, worked out once per request."""

    session: SessionFacts
    outcome: str  # classify()
    attempted: tuple[str, ...]
    completed: tuple[str, ...]
    first_contact: frozenset[str]  # completed goals with no re-contact within the window
    cost: float
    agent_cost: float  # part of cost
    reason: str | None  # why it was handed over, when it was
    steps: dict[str, int]  # per funnel it is in: how many of its steps were reached


class Judge:
    """Judges sessions at `now`, each once (kept by identity while the request runs),
    re-contacts looked up in the sessions `later` (the period and the FCR window)."""

    def __init__(self, config: MetricsConfig, now: float, later: list[SessionFacts]) -> None:
        self.config = config
        self.now = now
        self.recontacts = Recontacts(later, config)
        self._judged: dict[int, Judged] = {}

    def __call__(self, session: SessionFacts) -> Judged:
        found = self._judged.get(id(session))
        if found is None:
            outcome = classify(session, self.config, self.now)
            completed = tuple(completed_goals(session, self.config))
            found = Judged(
                session,
                outcome,
                tuple(attempted_goals(session, self.config)),
                completed,
                frozenset(g for g in completed if not self.recontacts.after(session, g)),
                session_cost(session, self.config),
                agent_cost(session, self.config),
                handover_reason(session) if outcome == HANDED_OVER else None,
                steps_reached(session, self.config),
            )
            self._judged[id(session)] = found
        return found


def satisfaction(judged: list[Judged]) -> dict[str, Any]:
    """The answers to the satisfaction prompt among these sessions: how many, their
    mean and how many gave each score."""
    scores = [j.session.satisfaction for j in judged if j.session.satisfaction is not None]
    return {
        "satisfaction_answers": len(scores),
        "satisfaction_mean": round(sum(scores) / len(scores), 4) if scores else None,
        "satisfaction_scores": {str(score): n for score, n in sorted(Counter(scores).items())},
    }


def summarise(judged: list[Judged]) -> dict[str, Any]:
    """The figures of these judged sessions."""
    counts = Counter(j.outcome for j in judged)
    decided = [j for j in judged if j.outcome in CLASSES]
    total = len(decided)
    resolutions = sum(len(j.completed) for j in decided)
    first = sum(len(j.first_contact) for j in decided)
    cost = sum(j.cost for j in decided)
    reasons = Counter(j.reason for j in judged if j.reason is not None)
    return {
        "conversations": total,
        **{name: counts[name] for name in (*CLASSES, OPEN)},
        "goal_completion_rate": _rate(sum(1 for j in decided if j.completed), total),
        "containment_rate": _rate(total - counts[HANDED_OVER], total),
        "handover_rate": _rate(counts[HANDED_OVER], total),
        "abandoned_rate": _rate(counts[ABANDONED], total),
        "resolved_goals": resolutions,
        "first_contact_resolution_rate": _rate(first, resolutions),
        "cost": round(cost, 4),
        "cost_per_resolution": round(cost / resolutions, 4) if resolutions else None,
        "agent_minutes": round(sum(j.session.agent_seconds or 0.0 for j in decided) / 60, 4),
        "agent_cost": round(sum(j.agent_cost for j in decided), 4),
        **satisfaction(decided),
        "handover_reasons": dict(sorted(reasons.items())),
    }


def summarise_goal(goal: str, judged: list[Judged]) -> dict[str, Any]:
    """One goal's figures over the decided sessions that attempted it; a session's cost
    is shared equally among the goals it attempted."""
    attempted = [j for j in judged if j.outcome in CLASSES and goal in j.attempted]
    completed = [j for j in attempted if goal in j.completed]
    first = sum(1 for j in completed if goal in j.first_contact)
    cost = sum(j.cost / len(j.attempted) for j in attempted)
    classes = [j.outcome for j in attempted]
    return {
        "attempted": len(attempted),
        "completed": len(completed),
        "goal_completion_rate": _rate(len(completed), len(attempted)),
        "handover_rate": _rate(classes.count(HANDED_OVER), len(attempted)),
        "abandoned_rate": _rate(classes.count(ABANDONED), len(attempted)),
        "first_contact_resolution_rate": _rate(first, len(completed)),
        "cost": round(cost, 4),
        "cost_per_resolution": round(cost / len(completed), 4) if completed else None,
    }


def figures(
    sessions: list[SessionFacts],
    config: MetricsConfig,
    now: float,
    later: list[SessionFacts] | None = None,
    judge: Judge | None = None,
) -> dict[str, Any]:
    """The period's figures in total, per channel and per goal; judge: sessions already
    judged for this request (the dashboard's days share one)."""
    judge = judge or Judge(config, now, later or sessions)
    judged = [judge(s) for s in sessions]
    channels: dict[str, list[Judged]] = defaultdict(list)
    goals: dict[str, list[Judged]] = defaultdict(list)
    for one in judged:
        channels[one.session.channel or "unknown"].append(one)
        for goal in one.attempted:
            goals[goal].append(one)
    return {
        "currency": config.costs.currency,
        "total": summarise(judged),
        "by_channel": {name: summarise(items) for name, items in sorted(channels.items())},
        "by_goal": {goal: summarise_goal(goal, items) for goal, items in goals.items()},
        "funnels": funnels(judged, config),
    }
