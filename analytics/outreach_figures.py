"""The outreach figures of a period, from outreach's decision log (copied by
analytics/outreach_feed.py) and the sessions: how much was sent and suppressed (and
why), and the preventable contacts against the hold-out group.

Of the selections a rule made (a plan decided: sent, or suppressed because the
customer is in the hold-out group), those contacted are compared with those held out
on how many came to the assistant about the rule's goals (metrics.yml's
`outreach_goals`) on their own, within the FCR window after the decision: a session
of the same verified customer (analytics/figures.contact) that started after it,
holds no outreach message and attempted one of the goals. Preventable contacts: how
many fewer such contacts the contacted made than the hold-out group's rate predicts
(contacted × held-out rate − contacted who came back); none without a hold-out.
"""

from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from analytics.figures import DAY, contact
from analytics.metrics_config import MetricsConfig
from analytics.sessions import SessionFacts

FINAL = ("sent", "suppressed", "failed")  # a deferral is followed by one of these
CONTACTED, HELD_OUT = "contacted", "held_out"
HOLDOUT_REASON = "holdout"  # outreach/governance.py's reason for the hold-out group
NO_CHANNEL = "none"


@dataclass(frozen=True)
class Decision:
    """One decision of outreach's log (its id, customer, rule, what and why)."""

    id: int
    customer_id: str
    rule: str
    action: str
    reason: str
    channel: str | None
    at: float

    @property
    def group(self) -> str | None:
        """contacted (sent), held_out (the hold-out group) or neither."""
        if self.action == "sent":
            return CONTACTED
        if self.action == "suppressed" and self.reason == HOLDOUT_REASON:
            return HELD_OUT
        return None


def decisions_of(rows: Iterable[Any]) -> list[Decision]:
    """The store's rows as decisions."""
    return [
        Decision(r.id, r.customer_id, r.rule, r.action, r.reason, r.channel, r.at) for r in rows
    ]


class Comebacks:
    """Each customer's inbound sessions by start time, to find who came back after a
    decision about the rule's goals within the FCR window."""

    def __init__(self, later: list[SessionFacts], config: MetricsConfig) -> None:
        self.config = config
        self.window = config.first_contact_resolution_days * DAY
        found: dict[str, list[SessionFacts]] = defaultdict(list)
        for session in later:
            if session.user_turns and not session.outreach:
                found[contact(session)].append(session)
        self.sessions = {who: sorted(s, key=lambda s: s.started_at) for who, s in found.items()}
        self.starts = {who: [s.started_at for s in kept] for who, kept in self.sessions.items()}
        self._found: dict[int, list[str]] = {}

    def of(self, decision: Decision) -> list[str]:
        """The conversations in which the customer came back about the rule's goals."""
        if decision.id in self._found:
            return self._found[decision.id]
        who = f"customer:{decision.customer_id}"
        goals = set(self.config.outreach_goals.get(decision.rule, ()))
        sessions = self.sessions.get(who, [])
        first = bisect_right(self.starts.get(who, []), decision.at)
        found = [
            s.sender_id
            for s in sessions[first:]
            if s.started_at <= decision.at + self.window
            and any(o.get("goal") in goals for o in s.outcomes)
        ]
        self._found[decision.id] = found
        return found


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def summarise(decisions: list[Decision], comebacks: Comebacks) -> dict[str, Any]:
    """The figures of these decisions."""
    final = [d for d in decisions if d.action in FINAL]
    actions = Counter(d.action for d in final)
    reasons = Counter(d.reason for d in final if d.action == "suppressed")
    channels = Counter(d.channel or NO_CHANNEL for d in final if d.action == "sent")
    contacted = [d for d in final if d.group == CONTACTED]
    held_out = [d for d in final if d.group == HELD_OUT]
    contacted_back = sum(1 for d in contacted if comebacks.of(d))
    held_out_back = sum(1 for d in held_out if comebacks.of(d))
    held_out_rate = _rate(held_out_back, len(held_out))
    preventable = (
        round(len(contacted) * held_out_back / len(held_out) - contacted_back, 2)
        if held_out
        else None
    )
    return {
        **{action: actions[action] for action in FINAL},
        "suppressed_reasons": dict(sorted(reasons.items())),
        "sent_by_channel": dict(sorted(channels.items())),
        "contacted": len(contacted),
        "contacted_came_back": contacted_back,
        "contacted_came_back_rate": _rate(contacted_back, len(contacted)),
        "held_out": len(held_out),
        "held_out_came_back": held_out_back,
        "held_out_came_back_rate": held_out_rate,
        "preventable_contacts": preventable,
    }


def outreach_figures(decisions: list[Decision], comebacks: Comebacks) -> dict[str, Any]:
    """The period's outreach figures in total and per rule."""
    rules: dict[str, list[Decision]] = defaultdict(list)
    for decision in decisions:
        rules[decision.rule].append(decision)
    return {
        "total": summarise(decisions, comebacks),
        "by_rule": {rule: summarise(found, comebacks) for rule, found in sorted(rules.items())},
    }


def decision_rows(
    decisions: list[Decision],
    comebacks: Comebacks,
    rule: str | None = None,
    action: str | None = None,
    reason: str | None = None,
    channel: str | None = None,
    group: str | None = None,
    came_back: bool | None = None,
) -> list[dict[str, Any]]:
    """The decisions behind an outreach number (the drill-down), newest first, each
    with the conversations in which the customer came back about the rule's goals."""
    rows: list[dict[str, Any]] = []
    for d in decisions:
        if d.action not in FINAL or rule not in (None, d.rule) or action not in (None, d.action):
            continue
        if reason not in (None, d.reason) or channel not in (None, d.channel or NO_CHANNEL):
            continue
        if group not in (None, d.group):
            continue
        back = comebacks.of(d)
        if came_back is not None and came_back != bool(back):
            continue
        rows.append(
            {
                "decision": d.id,
                "customer_id": d.customer_id,
                "rule": d.rule,
                "action": d.action,
                "reason": d.reason,
                "channel": d.channel,
                "group": d.group,
                "at": d.at,
                "came_back": back,
            }
        )
    rows.sort(key=lambda row: (-row["at"], -row["decision"]))
    return rows
