"""Controlled changes to the behaviour files (issue #17): in production escalation.yml,
outreach.yml, metrics.yml, lifecycle.yml and retention.yml change only through a release or
here.

A supervisor or admin proposes a file's whole new content with a reason; it is checked
with the file's own validator (a bad one is refused naming the key and why). A second
person with the supervisor or admin role, not the author, approves it: it is checked
again, against the file as it is now (a file changed meanwhile refuses the approval),
and written atomically. Every step, refusals included, is an entry of the audit hash
chain (desk.audit_chain) naming the change and the SHA-256 of what was written, so
`make verify-audit` shows any later edit of the record. The services read a file at
their start: an applied change takes effect when they next start (retention.yml at the
next retention run).
"""

import hashlib
import os
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.lifecycle_config import parse_config as parse_lifecycle
from analytics.metrics_config import parse_metrics_config
from common.retention import parse_retention
from desk import audit
from desk.accounts import Identity
from desk.models import BehaviourChange
from desk.queue import now
from escalation.config import parse_escalation_config
from outreach.config import parse_config as parse_outreach

PROPOSED, APPLIED, REJECTED = "proposed", "applied", "rejected"
VALIDATORS: dict[str, Callable[[Any], object]] = {
    "escalation.yml": parse_escalation_config,
    "outreach.yml": parse_outreach,
    "metrics.yml": parse_metrics_config,
    "lifecycle.yml": parse_lifecycle,
    "retention.yml": parse_retention,
}
FILES = tuple(VALIDATORS)


class ChangeRefused(Exception):
    """A step that is not allowed; status is the HTTP answer's, reason its detail."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def problem(file: str, content: str) -> str | None:
    """Why the content is not a valid `file` (the validator's key and reason), or None."""
    try:
        # libyaml: linear in the nesting (PyYAML's own parser takes a minute on 5,000
        # brackets) and refuses more than 1,000 levels. Aliases would let a few bytes
        # expand into a huge document for the validator.
        events = yaml.parse(content, Loader=yaml.CSafeLoader)
        if any(isinstance(event, yaml.AliasEvent) for event in events):
            return f"{file}: YAML aliases (*name) are not allowed in a behaviour file"
        raw = yaml.load(content, Loader=yaml.CSafeLoader)
    except yaml.YAMLError as error:
        return f"{file}: not YAML ({str(error).splitlines()[0]})"
    except RecursionError:
        return f"{file}: nested too deeply"
    try:
        VALIDATORS[file](raw)
    except ValueError as error:
        return f"{file}: {error}"
    return None


def _current(folder: Path, file: str) -> str:
    path = folder / file
    return path.read_text(encoding="utf-8") if path.exists() else ""


def _write(folder: Path, file: str, content: str) -> None:
    """Atomically: a reader sees the old file or the new one, never half of it."""
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{file}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(content)
        os.replace(temporary, folder / file)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _record(
    session: Session, who: Identity, action: str, change: str, outcome: str, detail: str
) -> None:
    audit.record(
        session, who.username, action, role=who.role, subject=change, outcome=outcome, detail=detail
    )


def _refuse(
    session: Session, who: Identity, action: str, change: str, refusal: ChangeRefused
) -> None:
    _record(session, who, action, change, audit.REFUSED, refusal.reason)
    session.commit()
    raise refusal


def propose(
    session: Session, folder: Path, who: Identity, file: str, content: str, reason: str
) -> BehaviourChange:
    """A new proposed change, or ChangeRefused (422) when the content is not valid."""
    change_id = uuid.uuid4().hex
    subject = f"{file}#{change_id}"
    invalid = problem(file, content)
    if invalid:
        _refuse(session, who, "propose_change", subject, ChangeRefused(422, invalid))
    change = BehaviourChange(
        id=change_id,
        file=file,
        content=content,
        content_sha256=sha256(content),
        base_sha256=sha256(_current(folder, file)),
        reason=reason,
        author=who.username,
        status=PROPOSED,
        created_at=now(),
    )
    session.add(change)
    _record(
        session,
        who,
        "propose_change",
        subject,
        audit.OK,
        f"sha256 {change.content_sha256}; reason: {reason}",
    )
    session.commit()
    return change


def _open_change(session: Session, who: Identity, action: str, change_id: str) -> BehaviourChange:
    change = session.get(BehaviourChange, change_id)
    if change is None:
        _refuse(session, who, action, change_id, ChangeRefused(404, "no change with this id"))
    assert change is not None
    subject = f"{change.file}#{change.id}"
    if change.status != PROPOSED:
        _refuse(
            session,
            who,
            action,
            subject,
            ChangeRefused(409, f"the change is already {change.status}"),
        )
    if change.author == who.username:
        _refuse(
            session,
            who,
            action,
            subject,
            ChangeRefused(
                403, "the author of a change cannot approve or reject it: a second person must"
            ),
        )
    return change


def approve(session: Session, folder: Path, who: Identity, change_id: str) -> BehaviourChange:
    """Check the change again and write it; ChangeRefused when it may not be applied."""
    change = _open_change(session, who, "apply_change", change_id)
    subject = f"{change.file}#{change.id}"
    if sha256(_current(folder, change.file)) != change.base_sha256:
        _refuse(
            session,
            who,
            "apply_change",
            subject,
            ChangeRefused(
                409, f"{change.file} changed since this change was proposed: propose it again"
            ),
        )
    invalid = problem(change.file, change.content)
    if invalid:
        _refuse(session, who, "apply_change", subject, ChangeRefused(422, invalid))
    change.status, change.decided_by, change.decided_at = APPLIED, who.username, now()
    _record(
        session,
        who,
        "apply_change",
        subject,
        audit.OK,
        f"sha256 {change.content_sha256} written, proposed by {change.author}",
    )
    session.flush()  # the audit entry is chained before the file changes
    _write(folder, change.file, change.content)
    session.commit()
    return change


def reject(session: Session, who: Identity, change_id: str, note: str) -> BehaviourChange:
    change = _open_change(session, who, "reject_change", change_id)
    change.status, change.decided_by, change.decided_at = REJECTED, who.username, now()
    change.decision_note = note
    _record(session, who, "reject_change", f"{change.file}#{change.id}", audit.OK, note)
    session.commit()
    return change


def listed(session: Session, status: str | None, limit: int) -> list[BehaviourChange]:
    query = select(BehaviourChange)
    if status:
        query = query.where(BehaviourChange.status == status)
    return list(session.scalars(query.order_by(BehaviourChange.created_at.desc()).limit(limit)))
