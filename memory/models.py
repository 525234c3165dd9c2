"""The memory's tables: identity links, conversations, business events and journeys
left half-way.

Times are unix seconds (floats), as Rasa's events carry them. An event is stored
once per (source, idempotency key); `delivered_*` says which live conversation it
reached, `mentioned_*` which later contact brought it up: outreach (a later issue)
reads the same rows.
"""

from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import as_declarative


@as_declarative()
class Base:
    """The memory's declarative base (a class statement, so type checkers see a class)."""

    metadata: ClassVar[MetaData]

    if TYPE_CHECKING:

        def __init__(self, **columns: Any) -> None: ...


class IdentityLink(Base):
    """A channel identity confirmed to be a customer's: how, first and last when."""

    __tablename__ = "identity_links"
    __table_args__ = (UniqueConstraint("channel", "identity", "customer_id"),)

    id = Column(Integer, primary_key=True)
    customer_id = Column(String(40), nullable=False, index=True)
    channel = Column(String(40), nullable=False)
    identity = Column(String(200), nullable=False)
    confirmed_by = Column(String(40), nullable=False)
    confirmed_at = Column(Float, nullable=False)
    last_seen_at = Column(Float, nullable=False)


class Conversation(Base):
    """One session of one conversation of a customer's, on one channel."""

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("conversation_id", "started_at"),
        Index("ix_conversations_customer_last", "customer_id", "last_at"),
    )

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(200), nullable=False)
    customer_id = Column(String(40), nullable=False)
    channel = Column(String(40), nullable=False)
    started_at = Column(Float, nullable=False)
    last_at = Column(Float, nullable=False)
    ended = Column(Boolean, nullable=False, default=False)
    outcome = Column(String(20), nullable=False)
    goals = Column(JSON, nullable=False)
    records = Column(JSON, nullable=False)
    sentiment = Column(String(20), nullable=True)
    summary = Column(Text, nullable=False)
    outcomes = Column(JSON, nullable=False)


class Event(Base):
    """A business event from one of the enterprise's systems, stored once."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("source", "idempotency_key"),
        Index("ix_events_customer_received", "customer_id", "received_at"),
    )

    id = Column(Integer, primary_key=True)
    source = Column(String(40), nullable=False)
    idempotency_key = Column(String(128), nullable=False)
    digest = Column(String(64), nullable=False)  # SHA-256 of the body: a reuse must match
    type = Column(String(40), nullable=False)
    customer_id = Column(String(40), nullable=False)
    record = Column(String(40), nullable=True)
    occurred_at = Column(String(40), nullable=False)
    received_at = Column(Float, nullable=False)
    data = Column(JSON, nullable=False)
    delivered_conversation = Column(String(200), nullable=True)
    delivered_at = Column(Float, nullable=True)
    mentioned_conversation = Column(String(200), nullable=True)
    mentioned_at = Column(Float, nullable=True)


class PausedJourney(Base):
    """A multi-step journey a customer left half-way: the answers given so far (never
    a yes to a change), where, and when, so that any channel can offer to go on."""

    __tablename__ = "paused_journeys"
    __table_args__ = (UniqueConstraint("customer_id", "goal"),)

    id = Column(Integer, primary_key=True)
    customer_id = Column(String(40), nullable=False)
    goal = Column(String(40), nullable=False)
    conversation_id = Column(String(200), nullable=False)
    channel = Column(String(40), nullable=False)
    answers = Column(JSON, nullable=False)
    saved_at = Column(Float, nullable=False)
