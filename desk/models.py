"""The desk's tables: hand-overs, accounts, sign-in sessions, the audit log and the
receipts of erasures, and the proposed changes to behaviour files."""

from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Integer, MetaData, String, Text
from sqlalchemy.orm import as_declarative

from common.columns import UTCDateTime


@as_declarative()
class Base:
    """The desk's declarative base (a class statement, so type checkers see a class)."""

    # What the declarative base adds at run time, spelled out for the type checker
    # (SQLAlchemy 1.4 ships no type information).
    metadata: ClassVar[MetaData]

    if TYPE_CHECKING:

        def __init__(self, **columns: Any) -> None: ...


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


AGENT = "agent"
SUPERVISOR = "supervisor"
ADMIN = "admin"
ROLES = (AGENT, SUPERVISOR, ADMIN)  # each may do what the ones before it may


class Account(Base):
    """Someone who signs in to the desk; the password is kept only as an argon2 hash."""

    __tablename__ = "accounts"

    username = Column(String(64), primary_key=True)
    key = Column(String(256), nullable=False, unique=True)  # the casefolded name
    password_hash = Column(String(255), nullable=False)
    role = Column(String(16), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(UTCDateTime, nullable=False)
    created_by = Column(String(64))


class SignedIn(Base):
    """A sign-in session. Only the SHA-256 of its bearer token is stored, so the
    table cannot be replayed if it leaks."""

    __tablename__ = "sessions"

    token_hash = Column(String(64), primary_key=True)
    username = Column(String(64), ForeignKey("accounts.username"), nullable=False, index=True)
    created_at = Column(UTCDateTime, nullable=False)
    last_seen_at = Column(UTCDateTime, nullable=False)
    expires_at = Column(UTCDateTime, nullable=False)


class AuditEntry(Base):
    """One read or move: who, what, on which hand-over/conversation/account, when.
    Rows are only ever added (see desk.audit)."""

    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True, autoincrement=True)
    at = Column(UTCDateTime, nullable=False, index=True)
    actor = Column(String(64), nullable=False, index=True)
    role = Column(String(16))
    action = Column(String(32), nullable=False, index=True)
    handoff_id = Column(String(32), index=True)
    conversation_id = Column(String(255), index=True)
    subject = Column(String(255), index=True)
    outcome = Column(String(16), nullable=False)
    detail = Column(Text)
    prev_hash = Column(String(64))  # the hash chain (desk.audit_chain)
    entry_hash = Column(String(64))


class ErasureReceipt(Base):
    """The receipt of an admin's erasure of a customer, kept to be shown again: what was
    removed where and the SHA-256 of its canonical JSON. It holds no personal data
    (no customer id, no conversation id)."""

    __tablename__ = "erasure_receipts"

    id = Column(String(32), primary_key=True)
    created_at = Column(UTCDateTime, nullable=False, index=True)
    receipt = Column(JSON, nullable=False)
    sha256 = Column(String(64), nullable=False)


class BehaviourChange(Base):
    """A change to one behaviour file (desk.changes): the whole new content, who
    proposed it and why, and who approved (applied) or rejected it."""

    __tablename__ = "behaviour_changes"

    id = Column(String(32), primary_key=True)
    file = Column(String(32), nullable=False)
    content = Column(Text, nullable=False)
    content_sha256 = Column(String(64), nullable=False)
    base_sha256 = Column(String(64), nullable=False)  # the file when the change was proposed
    reason = Column(Text, nullable=False)
    author = Column(String(64), nullable=False)
    status = Column(String(16), nullable=False, index=True)  # proposed, applied, rejected
    created_at = Column(UTCDateTime, nullable=False, index=True)
    decided_by = Column(String(64))
    decided_at = Column(UTCDateTime)
    decision_note = Column(Text)
