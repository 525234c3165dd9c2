"""Planned sends and the decision log in outreach's own database, one transaction each.

A send is planned once per rule and event, or per rule and record for a condition (a
policy pending activation, a customer at risk), by a unique key, so reading the feed or
scanning the records again plans nothing twice. Before a message goes out the plan is marked
`sending` and committed; after, `sent`. A restart between the two finds it `sending`
and asks the conversation whether the message arrived before sending (outreach.worker).
Each change is conditional on the version read, so of several workers on one database
one moves a plan on and the others skip it (Taken).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from common.retention import Deletion, RetentionConfig, cutoff
from outreach.config import Rule
from outreach.governance import WEEK, Decision, Send
from outreach.models import Base, ConditionKey, DecisionEntry, FeedCursor, PlannedSend

FEED = "memory"
OPEN_STATES = ("planned", "sending")


@dataclass(frozen=True)
class Plan:
    id: int
    rule: str
    event_id: int
    event_type: str
    customer_id: str
    record: str | None
    due_at: datetime
    state: str
    attempts: int
    channel: str | None
    disclose: bool


def _plan(row: PlannedSend) -> Plan:
    return Plan(
        row.id,
        row.rule,
        row.event_id,
        row.event_type,
        row.customer_id,
        row.record,
        row.due_at,
        row.state,
        row.attempts,
        row.channel,
        row.disclose,
    )


def _entry(row: DecisionEntry) -> dict[str, Any]:
    return {
        "id": row.id,
        "plan_id": row.plan_id,
        "customer_id": row.customer_id,
        "rule": row.rule,
        "action": row.action,
        "reason": row.reason,
        "channel": row.channel,
        "response": row.response,
        "not_before": row.not_before.isoformat() if row.not_before else None,
        "skipped": row.skipped,
        "at": row.at.isoformat(),
    }


@dataclass(frozen=True)
class Seen:
    """A record a rule's condition holds for, and whose customer it is."""

    customer_id: str
    record: str


class Taken(Exception):
    """Another worker moved the plan on first (several outreach processes, one database)."""


class PlanStore:
    def __init__(self, engine: Engine, lease: timedelta = timedelta(minutes=2)) -> None:
        self.lease = lease
        Base.metadata.create_all(engine)
        self.sessions = sessionmaker(bind=engine, future=True, expire_on_commit=False)

    def cursor(self) -> int:
        with self.sessions() as session:
            row = session.get(FeedCursor, FEED)
            return row.after if row else 0

    def plan(
        self,
        events: Iterable[Mapping[str, Any]],
        rules: Mapping[str, Rule],
        after: int,
        now: datetime,
    ) -> int:
        """Plan each rule triggered by each event and move the cursor to `after`, in
        one transaction; how many sends were planned now (none twice)."""
        try:
            with self.sessions.begin() as session:
                planned = sum(self._plan_event(session, event, rules, now) for event in events)
                cursor = session.get(FeedCursor, FEED)
                if cursor is None:
                    session.add(FeedCursor(name=FEED, after=after))
                elif after > cursor.after:
                    cursor.after = after
                return planned
        except IntegrityError:  # another process planned the same events first
            return 0

    @staticmethod
    def _plan_event(
        session: Session, event: Mapping[str, Any], rules: Mapping[str, Rule], now: datetime
    ) -> int:
        planned = 0
        for name, rule in rules.items():
            if rule.trigger.event != event["type"]:
                continue
            exists = session.execute(
                select(PlannedSend.id).filter_by(rule=name, event_id=event["id"])
            ).first()
            if exists:
                continue
            session.add(
                PlannedSend(
                    rule=name,
                    event_id=event["id"],
                    event_type=event["type"],
                    customer_id=event["data"]["customer_id"],
                    record=event.get("record"),
                    planned_at=now,
                    due_at=now + timedelta(minutes=rule.delay_minutes),
                    state="planned",
                    attempts=0,
                    disclose=False,
                )
            )
            planned += 1
        return planned

    def plan_conditions(self, name: str, rule: Rule, found: Iterable[Seen], now: datetime) -> int:
        """Plan rule `name` once for each record its condition holds for (none planned
        before, now or by another process); how many were planned now."""
        planned = 0
        for seen in self._unseen(name, list(found)):
            try:
                with self.sessions.begin() as session:
                    key = ConditionKey(rule=name, record=seen.record, customer_id=seen.customer_id)
                    session.add(key)
                    session.flush()
                    session.add(
                        PlannedSend(
                            rule=name,
                            event_id=-key.id,
                            event_type=rule.trigger.key,
                            customer_id=seen.customer_id,
                            record=seen.record,
                            planned_at=now,
                            due_at=now + timedelta(minutes=rule.delay_minutes),
                            state="planned",
                            attempts=0,
                            disclose=False,
                        )
                    )
                planned += 1
            except IntegrityError:  # another process planned it first
                continue
        return planned

    def _unseen(self, name: str, found: list[Seen], chunk: int = 500) -> list[Seen]:
        """Those of found not yet planned for rule `name` (a few queries per scan, so
        that a scan finding nothing new costs little)."""
        unseen = []
        with self.sessions() as session:
            for start in range(0, len(found), chunk):
                part = found[start : start + chunk]
                known = set(
                    session.execute(
                        select(ConditionKey.record).where(
                            ConditionKey.rule == name,
                            ConditionKey.record.in_([s.record for s in part]),
                        )
                    ).scalars()
                )
                unseen += [s for s in part if s.record not in known]
        return unseen

    def due(self, now: datetime, limit: int = 50) -> list[Plan]:
        with self.sessions() as session:
            rows = session.execute(
                select(PlannedSend)
                .where(PlannedSend.state.in_(OPEN_STATES), PlannedSend.due_at <= now)
                .order_by(PlannedSend.due_at, PlannedSend.id)
                .limit(limit)
            ).scalars()
            return [_plan(row) for row in rows]

    def recent(self, customer_id: str, now: datetime, but: int) -> list[Send]:
        """The customer's outreach sent (or going out) in the last week, but plan `but`."""
        with self.sessions() as session:
            rows = session.execute(
                select(PlannedSend).where(
                    PlannedSend.customer_id == customer_id,
                    PlannedSend.state.in_(("sending", "sent")),
                    PlannedSend.sent_at > now - WEEK,
                    PlannedSend.id != but,
                )
            ).scalars()
            return [Send(row.sent_at, row.channel, row.rule) for row in rows]

    def _log(
        self,
        session: Session,
        plan: Plan,
        action: str,
        reason: str,
        now: datetime,
        decision: Decision | None = None,
        response: str | None = None,
    ) -> None:
        session.add(
            DecisionEntry(
                plan_id=plan.id,
                customer_id=plan.customer_id,
                rule=plan.rule,
                action=action,
                reason=reason,
                channel=(decision.channel if decision else None) or plan.channel,
                response=response,
                not_before=decision.not_before if decision else None,
                skipped=[list(s) for s in decision.skipped] if decision else [],
                at=now,
            )
        )

    def _set(self, session: Session, plan: Plan, **values: Any) -> None:
        """Move the plan on from the version read (state, attempts, due time); Taken,
        and nothing of the transaction kept, when another worker moved it first."""
        moved = session.execute(
            update(PlannedSend)
            .where(
                PlannedSend.id == plan.id,
                PlannedSend.state == plan.state,
                PlannedSend.attempts == plan.attempts,
                PlannedSend.due_at == plan.due_at,
            )
            .values(**values)
        )
        if moved.rowcount != 1:
            raise Taken(plan.id)

    def decided(self, plan: Plan, decision: Decision, now: datetime) -> None:
        """A defer (due again when quiet hours end) or a suppression, logged."""
        with self.sessions.begin() as session:
            if decision.action == "defer":
                self._log(session, plan, "deferred", decision.reason, now, decision)
                self._set(session, plan, due_at=decision.not_before, state="planned")
            else:
                self._log(session, plan, "suppressed", decision.reason, now, decision)
                self._set(session, plan, state="suppressed")

    def sending(self, plan: Plan, decision: Decision, now: datetime) -> Plan:
        """The decision to send, committed before the message goes out: the plan is
        this worker's for the lease (due again after it, should the worker die)."""
        leased = now + self.lease
        with self.sessions.begin() as session:
            self._set(
                session,
                plan,
                state="sending",
                channel=decision.channel,
                disclose=decision.disclose,
                sent_at=now,
                due_at=leased,
            )
        return replace(plan, state="sending", channel=decision.channel, due_at=leased)

    def sent(self, plan: Plan, response: str, now: datetime) -> None:
        with self.sessions.begin() as session:
            self._log(session, plan, "sent", "allowed", now, response=response)
            self._set(session, plan, state="sent")

    def retry(self, plan: Plan, at: datetime) -> None:
        """Try again at `at` (a fact or the delivery was unreachable)."""
        with self.sessions.begin() as session:
            self._set(session, plan, attempts=plan.attempts + 1, due_at=at)

    def failed(self, plan: Plan, reason: str, now: datetime) -> None:
        with self.sessions.begin() as session:
            self._log(session, plan, "failed", reason, now)
            self._set(session, plan, state="failed", attempts=plan.attempts + 1)

    def erase(self, customer_id: str) -> dict[str, int]:
        """Erasure (issue 17): the customer's planned sends, their decisions and the
        conditions seen for them, removed; how many of each."""
        with self.sessions.begin() as session:
            return {
                table.__tablename__: int(
                    session.execute(delete(table).where(table.customer_id == customer_id)).rowcount
                )
                for table in (DecisionEntry, PlannedSend, ConditionKey)
            }

    def expire(self, config: RetentionConfig, now: float) -> list[Deletion]:
        """Retention (common/retention.py): decisions older than outreach_decisions'
        cut-off (the consent ledger is kept: it is the proof of consent)."""
        before = cutoff(now, config.outreach_decisions.days)
        with self.sessions.begin() as session:
            at = datetime.fromtimestamp(before, UTC)
            removed = session.execute(delete(DecisionEntry).where(DecisionEntry.at < at)).rowcount
        return [Deletion("outreach_decisions", int(removed), before)]

    def log(self, customer_id: str | None, after: int, limit: int) -> list[dict[str, Any]]:
        """Decisions after id `after`, oldest first, of one customer or everyone."""
        query = select(DecisionEntry).where(DecisionEntry.id > after)
        if customer_id is not None:
            query = query.where(DecisionEntry.customer_id == customer_id)
        with self.sessions() as session:
            rows = session.execute(query.order_by(DecisionEntry.id).limit(limit)).scalars()
            return [_entry(row) for row in rows]
