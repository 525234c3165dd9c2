"""The desk's admin API for controlled changes to behaviour files (desk.changes):
supervisors and admins propose, a second one approves or rejects; each step audited."""

import difflib
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import Field, constr, validator

from common.errors import NotFound
from desk import changes
from desk.auth import Supervisor
from desk.models import BehaviourChange
from desk.routes import SIGNED_IN_ERRORS, SessionDep, errors
from desk.schemas import _safe_text, _Strict

# The largest behaviour file today is a few KiB; the desk's body limit is 1 MiB.
MAX_CONTENT = 200_000
MAX_REASON = 500
ChangeId = Annotated[str, Path(min_length=32, max_length=32, pattern=r"^[0-9a-f]{32}$")]
BehaviourFile = Literal[
    "escalation.yml", "outreach.yml", "metrics.yml", "lifecycle.yml", "retention.yml"
]
Reason = constr(strip_whitespace=True, min_length=3, max_length=MAX_REASON)

changes_api = APIRouter(
    prefix="/admin/changes", tags=["accounts"], responses=errors(*SIGNED_IN_ERRORS, 404, 409)
)


class ChangeProposal(_Strict):
    file: BehaviourFile = Field(description="The behaviour file to change")
    content: constr(min_length=1, max_length=MAX_CONTENT) = Field(  # type: ignore[valid-type]
        description="The file's whole new content (YAML)"
    )
    reason: Reason = Field(description="Why: kept with the change and in the audit log")  # type: ignore[valid-type]

    _safe = validator("content", "reason", pre=True, allow_reuse=True)(_safe_text)


class ChangeRejection(_Strict):
    reason: Reason = Field(description="Why it is rejected")  # type: ignore[valid-type]

    _safe = validator("reason", pre=True, allow_reuse=True)(_safe_text)


class ChangeView(_Strict):
    id: str
    file: str
    status: str = Field(description="proposed, applied or rejected")
    author: str
    reason: str
    content_sha256: str
    created_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_note: str | None = None
    content: str | None = Field(None, description="The proposed content (one change only)")
    diff: str | None = Field(None, description="Unified diff against the file as it is now")


def view(change: BehaviourChange) -> dict[str, Any]:
    return {
        name: getattr(change, name)
        for name in ChangeView.__fields__
        if name not in ("content", "diff")
    }


def _settled(step: Callable[[], BehaviourChange]) -> BehaviourChange:
    """The step's change, or its refusal as the HTTP answer {"detail": reason}."""
    try:
        return step()
    except changes.ChangeRefused as refused:
        raise HTTPException(refused.status, refused.reason) from None


@changes_api.post(
    "", status_code=201, response_model=ChangeView, summary="Propose a change to a behaviour file"
)
def propose(
    body: ChangeProposal, me: Supervisor, request: Request, session: SessionDep
) -> dict[str, Any]:
    """Checked with the file's own validator now (422 naming the key and why) and again
    when approved; another supervisor or admin must approve it."""
    folder = request.app.state.settings.behaviour_files_dir
    change = _settled(
        lambda: changes.propose(session, folder, me, body.file, body.content, body.reason)
    )
    return view(change)


@changes_api.get("", response_model=list[ChangeView], summary="Changes, newest first")
def list_changes(
    me: Supervisor,
    session: SessionDep,
    status: Literal["proposed", "applied", "rejected"] | None = None,
    limit: int = Query(50, ge=1, le=200),
) -> list[dict[str, Any]]:
    return [view(change) for change in changes.listed(session, status, limit)]


@changes_api.get(
    "/{change_id}", response_model=ChangeView, summary="One change, its content and diff"
)
def one_change(
    change_id: ChangeId, me: Supervisor, request: Request, session: SessionDep
) -> dict[str, Any]:
    change = session.get(BehaviourChange, change_id)
    if change is None:
        raise NotFound("no change with this id")
    folder = request.app.state.settings.behaviour_files_dir
    now_text = (
        (folder / change.file).read_text(encoding="utf-8")
        if (folder / change.file).exists()
        else ""
    )
    diff = difflib.unified_diff(
        now_text.splitlines(keepends=True),
        change.content.splitlines(keepends=True),
        f"{change.file} (now)",
        f"{change.file} (proposed)",
    )
    return {**view(change), "content": change.content, "diff": "".join(diff)}


@changes_api.post(
    "/{change_id}/approve", response_model=ChangeView, summary="Approve and apply a change"
)
def approve(
    change_id: ChangeId, me: Supervisor, request: Request, session: SessionDep
) -> dict[str, Any]:
    """Not by its author (403); refused when the file changed since (409) or the content
    no longer validates (422)."""
    folder = request.app.state.settings.behaviour_files_dir
    return view(_settled(lambda: changes.approve(session, folder, me, change_id)))


@changes_api.post("/{change_id}/reject", response_model=ChangeView, summary="Reject a change")
def reject(
    change_id: ChangeId, body: ChangeRejection, me: Supervisor, session: SessionDep
) -> dict[str, Any]:
    return view(_settled(lambda: changes.reject(session, me, change_id, body.reason)))
