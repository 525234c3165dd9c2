"""The hand-over table: one row per customer handed to a person."""

from sqlalchemy import JSON, Boolean, Column, Integer, String, Text
from sqlalchemy.orm import declarative_base

from backend.models import UTCDateTime

Base = declarative_base()

WAITING = "waiting"
TICKET = "ticket"
CLAIMED = "claimed"
HANDED_BACK = "handed_back"
CLOSED = "closed"
STATUSES = (WAITING, TICKET, CLAIMED, HANDED_BACK, CLOSED)
OPEN = (WAITING, TICKET, CLAIMED)
UNCLAIMED = (WAITING, TICKET)


class Handoff(Base):
    """A hand-over, its packet, who holds it, its rating and its webhook delivery."""

    __tablename__ = "handoffs"

    id = Column(String(32), primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    status = Column(String(16), nullable=False, index=True)
    packet = Column(JSON, nullable=False)
    created_at = Column(UTCDateTime, nullable=False, index=True)
    human_available_at = Column(String(40))
    agent = Column(String(100))
    claimed_at = Column(UTCDateTime)
    ended_at = Column(UTCDateTime)
    had_what_i_needed = Column(Boolean)
    missing = Column(Text)
    rated_by = Column(String(100))
    rated_at = Column(UTCDateTime)
    webhook_attempts = Column(Integer, nullable=False, default=0)
    webhook_last_error = Column(Text)
    webhook_delivered_at = Column(UTCDateTime)
