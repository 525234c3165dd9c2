"""Outreach's own tables (OUTREACH_DATABASE_URL): the consent ledger, append-only."""

from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import Boolean, Column, Index, Integer, MetaData, String
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
