"""The audit log's hash chain: each entry stores the hash of the entry before it
(`prev_hash`) and its own (`entry_hash`, SHA-256 over its canonical content and
`prev_hash`), so an entry edited or removed in the database breaks the chain at the
first entry after it, and `python -m desk verify-audit` names that entry.

Entries written before the chain existed (a database from before; they have no
hashes) are its genesis: the first chained entry's `prev_hash` is the SHA-256 over
their canonical content in id order (64 zeros on a new database), so an edit to them
breaks the chain too. Removing the newest entries leaves a shorter chain that still
verifies; the command prints the head (id and hash) so it can be recorded elsewhere.

The desk runs as one process: a lock held from a session's first write (a flush or a
bulk statement) to the end of its transaction serialises the desk's write transactions (SQLite serialises
them anyway), so two entries never chain to the same predecessor.
"""

import hashlib
import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy import event, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from desk.models import AuditEntry, Base

GENESIS = "0" * 64
CONTENT = (
    "at",
    "actor",
    "role",
    "action",
    "handoff_id",
    "conversation_id",
    "subject",
    "outcome",
    "detail",
)
_WRITING = threading.Lock()
_HOLDS = "audit_chain_holds_lock"


def canonical(entry: AuditEntry) -> bytes:
    """The entry's content as canonical JSON (sorted keys, no spaces, ASCII)."""
    content: dict[str, Any] = {name: getattr(entry, name) for name in CONTENT}
    content["at"] = entry.at.astimezone(UTC).isoformat(timespec="microseconds")
    return json.dumps(content, sort_keys=True, separators=(",", ":")).encode("ascii")


def entry_hash(entry: AuditEntry, prev_hash: str) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + canonical(entry)).hexdigest()


def genesis(legacy: Iterable[AuditEntry]) -> str:
    """What the first chained entry follows: the digest of the unchained entries."""
    digest = hashlib.sha256()
    found = False
    for entry in legacy:
        found = True
        digest.update(canonical(entry) + b"\n")
    return digest.hexdigest() if found else GENESIS


def _head(session: Session) -> str:
    """The hash the next entry chains to."""
    latest = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).first()
    if latest is None:
        return GENESIS
    if latest.entry_hash:
        return str(latest.entry_hash)
    return genesis(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def _is_desk_row(row: object) -> bool:
    return isinstance(row, Base)


def _hold(session: Session) -> None:
    """Take the write lock for the rest of the session's transaction (once)."""
    if not session.info.get(_HOLDS):
        _WRITING.acquire()
        session.info[_HOLDS] = True


@event.listens_for(Session, "do_orm_execute")
def _bulk_write(state: ORMExecuteState) -> None:
    """A DELETE, UPDATE or INSERT statement writes as a flush does, so it takes the lock
    first too: else it holds SQLite's write lock while a later flush of its transaction
    waits for this one, held by a flush that waits for SQLite's (seen: a sign-in and a
    hand-over's enrichment stuck for SQLite's 30 s busy timeout)."""
    writes = state.is_delete or state.is_update or state.is_insert
    if writes and any(issubclass(mapper.class_, Base) for mapper in state.all_mappers):
        _hold(state.session)


@event.listens_for(Session, "before_flush")
def _chain(session: Session, flush_context: Any, instances: Any) -> None:
    changed = [*session.new, *session.dirty, *session.deleted]
    if not any(_is_desk_row(row) for row in changed):
        return
    _hold(session)
    new = [row for row in session.new if isinstance(row, AuditEntry)]
    if not new:
        return
    # In the order the flush inserts them (and so the order of their ids).
    new.sort(key=lambda row: inspect(row).insert_order)
    with session.no_autoflush:
        previous = _head(session)
    for row in new:
        row.prev_hash = previous
        row.entry_hash = previous = entry_hash(row, previous)


@event.listens_for(Session, "after_transaction_end")
def _release(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and session.info.pop(_HOLDS, False):
        _WRITING.release()


def add_chain_columns(connection: Connection) -> bool:
    """Give an audit log from before the chain its two columns (rows are kept and
    become the genesis); True if they were added."""
    table = AuditEntry.__tablename__
    columns = {column["name"] for column in inspect(connection).get_columns(table)}
    if "entry_hash" in columns:
        return False
    for name in ("prev_hash", "entry_hash"):
        connection.execute(text(f"ALTER TABLE {table} ADD COLUMN {name} VARCHAR(64)"))
    return True


@dataclass(frozen=True)
class Verdict:
    """What verification found: entries checked, the head, or the first broken one."""

    checked: int
    legacy: int
    head_id: int | None
    head_hash: str | None
    broken_id: int | None = None
    reason: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_id is None


def verify(session: Session) -> Verdict:
    """Walk the log in id order and check every link; stop at the first break."""
    legacy: list[AuditEntry] = []
    previous: str | None = None
    checked = 0
    last: AuditEntry | None = None
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id)):
        if previous is None and not entry.entry_hash and not entry.prev_hash:
            legacy.append(entry)
            continue
        if previous is None:
            previous = genesis(legacy)
        broken = _broken(entry, previous, last)
        if broken:
            return Verdict(checked, len(legacy), _id(last), previous, entry.id, broken)
        previous, last = str(entry.entry_hash), entry
        checked += 1
    return Verdict(checked, len(legacy), _id(last), previous)


def _id(entry: AuditEntry | None) -> int | None:
    return int(entry.id) if entry is not None else None


def _broken(entry: AuditEntry, previous: str, last: AuditEntry | None) -> str | None:
    if not entry.entry_hash or not entry.prev_hash:
        return "it has no hash (added outside the desk)"
    if entry.prev_hash != previous:
        before = f"entry {last.id}" if last is not None else "the genesis"
        return f"its previous hash does not match {before} (an entry was removed or edited)"
    if entry.entry_hash != entry_hash(entry, previous):
        return "its content does not match its hash (it was edited)"
    return None
