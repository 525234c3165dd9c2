"""Outreach's own tables (OUTREACH_DATABASE_URL): the consent ledger (append-only), the
feed cursor, the conditions seen, the planned sends and the decision log (append-only)."""

from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import JSON, Boolean, Column, Index, Integer, MetaData, String, UniqueConstraint
from sqlalchemy.orm import as_declarative

from common.columns import UTCDateTime


@as_declarative()
class Base:
    """Outreach's declarative base (a class statement, so type checkers see a class)."""

    metadata: ClassVar[MetaData]

    if TYPE_CHECKING:

        def __init__(self, **columns: Any) -> None: ...


class ConsentEntry(Base):
    """One change of a customer's consent for one channel and purpose. Rows are only
    ever added: the current state is the latest row per (customer, channel, purpose).
    `key` makes a change idempotent (the fixture's seed, a retried opt-out request)."""

    __tablename__ = "consent_changes"
    __table_args__ = (Index("ix_consent_changes_customer", "customer_id", "id"),)

    id = Column(Integer, primary_key=True)
    customer_id = Column(String(40), nullable=False)
    channel = Column(String(20), nullable=False)
    purpose = Column(String(20), nullable=False)
    opted_in = Column(Boolean, nullable=False)
    source = Column(String(80), nullable=False)
    changed_at = Column(UTCDateTime, nullable=False)
    key = Column(String(160), nullable=True, unique=True)


class FeedCursor(Base):
    """How far the memory's event feed has been read (the last event id planned)."""

    __tablename__ = "feed_cursor"

    name = Column(String(40), primary_key=True)
    after = Column(Integer, nullable=False)


class ConditionKey(Base):
    """A rule's condition seen for one record (a policy pending activation, a customer
    at risk): unique per rule and record, so a condition seen on every scan is planned
    once. Its id, negated, is the plan's event_id (event ids are positive), so
    planned_sends' unique (rule, event_id) holds for conditions as for events."""

    __tablename__ = "condition_keys"
    __table_args__ = (UniqueConstraint("rule", "record"),)

    id = Column(Integer, primary_key=True)
    rule = Column(String(40), nullable=False)
    record = Column(String(40), nullable=False)
    customer_id = Column(String(40), nullable=False, index=True)


class PlannedSend(Base):
    """One rule's outreach for one event or condition: planned once (unique per rule and
    event; a condition's event_id is its ConditionKey's id, negated),
    then sent, suppressed or failed. `state` `sending` means a send was decided and may
    have gone out: after a restart the conversation is read before sending again."""

    __tablename__ = "planned_sends"
    __table_args__ = (
        UniqueConstraint("rule", "event_id"),
        Index("ix_planned_sends_due", "state", "due_at"),
        Index("ix_planned_sends_customer", "customer_id", "sent_at"),
    )

    id = Column(Integer, primary_key=True)
    rule = Column(String(40), nullable=False)
    event_id = Column(Integer, nullable=False)
    event_type = Column(String(40), nullable=False)
    customer_id = Column(String(40), nullable=False)
    record = Column(String(40), nullable=True)
    planned_at = Column(UTCDateTime, nullable=False)
    due_at = Column(UTCDateTime, nullable=False)
    state = Column(String(20), nullable=False, default="planned")
    attempts = Column(Integer, nullable=False, default=0)
    channel = Column(String(20), nullable=True)
    disclose = Column(Boolean, nullable=False, default=False)
    sent_at = Column(UTCDateTime, nullable=True)


class DecisionEntry(Base):
    """Every decision about a planned send, appended: sent (channel, response, when),
    deferred (until when), suppressed (which check) or failed (after the retries)."""

    __tablename__ = "outreach_decisions"
    __table_args__ = (Index("ix_outreach_decisions_customer", "customer_id", "id"),)

    id = Column(Integer, primary_key=True)
    plan_id = Column(Integer, nullable=False)
    customer_id = Column(String(40), nullable=False)
    rule = Column(String(40), nullable=False)
    action = Column(String(20), nullable=False)
    reason = Column(String(40), nullable=False)
    channel = Column(String(20), nullable=True)
    response = Column(String(80), nullable=True)
    not_before = Column(UTCDateTime, nullable=True)
    skipped = Column(JSON, nullable=False, default=list)
    at = Column(UTCDateTime, nullable=False)
