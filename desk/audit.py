"""The audit log: every read and every move, who made it, on what, and when.

Append-only: this module only adds rows and reads them, and a flush that would
change or delete a row is refused, so no code path can rewrite history.
"""

from datetime import datetime
from typing import Any, Dict, List, Optional

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from desk.models import AuditEntry
from desk.queue import now

OK = "ok"
REFUSED = "refused"
FAILED = "failed"
MAX_DETAIL = 500


class AuditTampering(RuntimeError):
    """Something tried to change or delete an audit entry."""


@event.listens_for(Session, "before_flush")
def _append_only(session: Session, flush_context: Any, instances: Any) -> None:
    if any(isinstance(row, AuditEntry) for row in (*session.dirty, *session.deleted)):
        raise AuditTampering("audit entries are never changed or deleted")


def record(session: Session, actor: str, action: str, *, role: Optional[str] = None,
           handoff_id: Optional[str] = None, conversation_id: Optional[str] = None,
           subject: Optional[str] = None, outcome: str = OK,
           detail: Optional[str] = None) -> None:
    """Add an entry; the caller's commit stores it with the change it describes."""
    session.add(AuditEntry(at=now(), actor=actor[:64], role=role, action=action,
                           handoff_id=handoff_id, conversation_id=conversation_id,
                           subject=subject[:255] if subject else None, outcome=outcome,
                           detail=detail[:MAX_DETAIL] if detail else None))


def search(session: Session, limit: int, **filters: Any) -> List[Dict[str, Any]]:
    """Entries matching every given filter (actor, action, handoff_id,
    conversation_id, subject, outcome; since/until on the time), newest first."""
    since: Optional[datetime] = filters.pop("since", None)
    until: Optional[datetime] = filters.pop("until", None)
    query = select(AuditEntry)
    for column, value in filters.items():
        if value is not None:
            query = query.where(getattr(AuditEntry, column) == value)
    if since:
        query = query.where(AuditEntry.at >= since)
    if until:
        query = query.where(AuditEntry.at < until)
    rows = session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit))
    return [{"id": row.id, "at": row.at.isoformat(timespec="seconds"), "actor": row.actor,
             "role": row.role, "action": row.action, "handoff_id": row.handoff_id,
             "conversation_id": row.conversation_id, "subject": row.subject,
             "outcome": row.outcome, "detail": row.detail} for row in rows]
