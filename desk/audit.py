"""The audit log: every read and every move, who made it, on what, and when.

Append-only: this module only adds rows and reads them, a flush that would change
or delete a row is refused, and the database itself refuses an UPDATE, DELETE (or,
on PostgreSQL, TRUNCATE) of the table by triggers installed with the tables, so
neither code nor someone with the desk's database credentials and a SQL prompt
rewrites history without dropping the triggers first; and if they do, the hash
chain (desk.audit_chain, `python -m desk verify-audit`) shows where.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from desk import audit_chain  # also chains every entry as it is flushed
from desk.models import AuditEntry, Base
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


_TABLE = AuditEntry.__tablename__
_REFUSAL = "audit entries are never changed or deleted"
_SQLITE_TRIGGERS = [
    f"CREATE TRIGGER IF NOT EXISTS {_TABLE}_no_{verb.lower()} BEFORE {verb} ON {_TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END"
    for verb in ("UPDATE", "DELETE")
]
_POSTGRESQL_TRIGGERS = [
    f"CREATE OR REPLACE FUNCTION {_TABLE}_append_only() RETURNS trigger LANGUAGE plpgsql "
    f"AS $$ BEGIN RAISE EXCEPTION '{_REFUSAL}'; END $$",
    f"CREATE OR REPLACE TRIGGER {_TABLE}_no_change BEFORE UPDATE OR DELETE ON {_TABLE} "
    f"FOR EACH ROW EXECUTE FUNCTION {_TABLE}_append_only()",
    f"CREATE OR REPLACE TRIGGER {_TABLE}_no_truncate BEFORE TRUNCATE ON {_TABLE} "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {_TABLE}_append_only()",
]


@event.listens_for(Base.metadata, "after_create")
def _database_refuses_changes(target: Any, connection: Connection, **kw: Any) -> None:
    """After every create_all (also on a database made before the triggers or the
    hash chain existed)."""
    audit_chain.add_chain_columns(connection)
    statements = {"sqlite": _SQLITE_TRIGGERS, "postgresql": _POSTGRESQL_TRIGGERS}.get(
        connection.dialect.name, []
    )
    for statement in statements:
        connection.exec_driver_sql(statement)


def record(
    session: Session,
    actor: str,
    action: str,
    *,
    role: str | None = None,
    handoff_id: str | None = None,
    conversation_id: str | None = None,
    subject: str | None = None,
    outcome: str = OK,
    detail: str | None = None,
) -> None:
    """Add an entry; the caller's commit stores it with the change it describes."""
    session.add(
        AuditEntry(
            at=now(),
            actor=actor[:64],
            role=role,
            action=action,
            handoff_id=handoff_id,
            conversation_id=conversation_id,
            subject=subject[:255] if subject else None,
            outcome=outcome,
            detail=detail[:MAX_DETAIL] if detail else None,
        )
    )


def search(session: Session, limit: int, **filters: Any) -> list[dict[str, Any]]:
    """Entries matching every given filter (actor, action, handoff_id,
    conversation_id, subject, outcome; since/until on the time), newest first."""
    since: datetime | None = filters.pop("since", None)
    until: datetime | None = filters.pop("until", None)
    query = select(AuditEntry)
    for column, value in filters.items():
        if value is not None:
            query = query.where(getattr(AuditEntry, column) == value)
    if since:
        query = query.where(AuditEntry.at >= since)
    if until:
        query = query.where(AuditEntry.at < until)
    rows = session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit))
    return [
        {
            "id": row.id,
            "at": row.at.isoformat(timespec="seconds"),
            "actor": row.actor,
            "role": row.role,
            "action": row.action,
            "handoff_id": row.handoff_id,
            "conversation_id": row.conversation_id,
            "subject": row.subject,
            "outcome": row.outcome,
            "detail": row.detail,
        }
        for row in rows
    ]
