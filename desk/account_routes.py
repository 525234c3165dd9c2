"""Signing in and out, accounts (admins), the audit log (supervisors and admins) and
unlocking a customer's verification (agents). Each of them is audited, save asking
who is signed in."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from starlette.exceptions import HTTPException

from common.errors import Conflict, RequestRejected
from desk import accounts, audit, sessions
from desk.auth import COOKIE, Admin, Agent, Credentials, Supervisor, session_token
from desk.identity_client import IdentityClient, IdentityError
from desk.models import Account
from desk.routes import SIGNED_IN_ERRORS, SessionDep, errors
from desk.schemas import (
    AccountChange,
    AccountRequest,
    AccountView,
    AuditEntry,
    SessionInfo,
    SignInRequest,
    UnlockResult,
)
from desk.text import safe_text

Json = dict[str, Any]
WRONG = "wrong username or password"
ANONYMOUS = "anonymous"  # a failed sign-in's actor: the typed name is only its subject
CustomerId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]

session_api = APIRouter(prefix="/api/session", tags=["session"])
accounts_api = APIRouter(
    prefix="/api/accounts", tags=["accounts"], responses=errors(*SIGNED_IN_ERRORS, 400, 404, 409)
)
audit_api = APIRouter(tags=["audit"], responses=errors(*SIGNED_IN_ERRORS, 400))
unlock_api = APIRouter(tags=["agents"], responses=errors(*SIGNED_IN_ERRORS, 400, 404, 502, 503))


def _account_settings(request: Request) -> Any:
    return request.app.state.settings.behaviour.accounts


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


@session_api.post(
    "",
    response_model=SessionInfo,
    responses=errors(401, 413, 422, 429),
    summary="Sign in: a session token, also set as an HttpOnly cookie",
)
def sign_in(body: SignInRequest, request: Request, response: Response, session: SessionDep) -> Json:
    """A wrong username or password is 401 with the reason; too many failed sign-ins
    for one account name or from one client address are 429 with Retry-After."""
    limits = request.app.state.limits
    client = request.client.host if request.client else "unknown"
    with limits.sign_in_attempt(body.username, client) as failed:
        account = accounts.verify(session, body.username, body.password)
        if account is None:
            failed()
    if account is None:
        audit.record(
            session,
            ANONYMOUS,
            "sign_in",
            subject=safe_text(body.username),
            outcome=audit.REFUSED,
            detail=f"{WRONG} (from {client})",
        )
        session.commit()
        raise _wrong()
    settings = _account_settings(request)
    token, expires = sessions.open_session(session, account, settings)
    audit.record(session, account.username, "sign_in", role=account.role)
    session.commit()
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(settings.session_hours * 3600),
        path="/",
        httponly=True,
        samesite="strict",
        secure=settings.cookie_secure,
    )
    return {
        "username": account.username,
        "role": account.role,
        "token": token,
        "expires_at": _iso(expires),
    }


def _wrong() -> HTTPException:
    return HTTPException(401, WRONG, headers={"WWW-Authenticate": "Bearer"})


@session_api.get(
    "", response_model=SessionInfo, responses=errors(*SIGNED_IN_ERRORS), summary="Who is signed in"
)
def whoami(me: Agent) -> Json:
    return {"username": me.username, "role": me.role, "token": None, "expires_at": None}


@session_api.delete(
    "",
    status_code=204,
    response_class=Response,
    responses=errors(*SIGNED_IN_ERRORS),
    summary="Sign out",
)
def sign_out(
    me: Agent, request: Request, credentials: Credentials, session: SessionDep
) -> Response:
    sessions.close_session(session, str(session_token(request, credentials)))
    audit.record(session, me.username, "sign_out", role=me.role)
    session.commit()
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response


def _view(account: Account, password: str | None = None) -> Json:
    return {
        "username": account.username,
        "role": account.role,
        "active": account.active,
        "created_at": _iso(account.created_at),
        "created_by": account.created_by,
        "password": password,
    }


@accounts_api.get("", response_model=list[AccountView], summary="Every account")
def account_list(me: Admin, session: SessionDep) -> list[Json]:
    found = accounts.listing(session)
    audit.record(session, me.username, "read_accounts", role=me.role)
    session.commit()
    return [_view(account) for account in found]


@accounts_api.post(
    "",
    response_model=AccountView,
    status_code=201,
    summary="Create an account (its password is generated when not given)",
)
def account_create(body: AccountRequest, me: Admin, request: Request, session: SessionDep) -> Json:
    generated = body.password is None
    password = accounts.generated_password() if generated else str(body.password)
    account = accounts.create(
        session,
        body.username,
        password,
        body.role,
        me.username,
        _account_settings(request).min_password_length,
    )
    audit.record(
        session,
        me.username,
        "create_account",
        role=me.role,
        subject=account.username,
        detail=f"role {account.role}",
    )
    session.commit()
    return _view(account, password if generated else None)


@accounts_api.patch(
    "/{username}",
    response_model=AccountView,
    summary="Change an account's role, password or whether it is active",
)
def account_change(
    username: Annotated[str, Path(max_length=64)],
    body: AccountChange,
    me: Admin,
    request: Request,
    session: SessionDep,
) -> Json:
    account = accounts.get(session, username)
    changes = []
    if body.role is not None and body.role != account.role:
        changes.append(f"role {account.role} -> {body.role}")
        account.role = body.role
    if body.active is not None and body.active != account.active:
        changes.append("enabled" if body.active else "disabled")
        account.active = body.active
    if body.password is not None:
        accounts.set_password(
            account, body.password, _account_settings(request).min_password_length
        )
        changes.append("password changed")
    session.flush()
    if not accounts.has_admin(session):
        session.rollback()
        raise Conflict("the desk must keep at least one active admin")
    if body.password is not None or body.active is False:
        sessions.close_all(session, account.username)
    audit.record(
        session,
        me.username,
        "change_account",
        role=me.role,
        subject=account.username,
        detail=", ".join(changes) or "no change",
    )
    session.commit()
    return _view(account)


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


@audit_api.get(
    "/api/audit",
    response_model=list[AuditEntry],
    summary="The audit log, newest first (supervisors and admins)",
)
def audit_log(
    me: Supervisor,
    session: SessionDep,
    actor: str | None = Query(None, max_length=64),
    action: str | None = Query(None, max_length=32),
    handoff_id: str | None = Query(None, max_length=64),
    conversation_id: str | None = Query(None, max_length=255),
    subject: str | None = Query(None, max_length=255),
    outcome: str | None = Query(None, max_length=16),
    since: datetime | None = Query(None, description="ISO 8601; UTC if no zone"),
    until: datetime | None = Query(None, description="ISO 8601; UTC if no zone"),
    limit: int = Query(100, ge=1, le=1000),
) -> list[Json]:
    found = audit.search(
        session,
        limit,
        actor=actor,
        action=action,
        handoff_id=handoff_id,
        conversation_id=conversation_id,
        subject=subject,
        outcome=outcome,
        since=_utc(since),
        until=_utc(until),
    )
    audit.record(session, me.username, "read_audit", role=me.role, detail=f"{len(found)} entries")
    session.commit()
    return found


def get_identity_client(request: Request) -> IdentityClient:
    return request.app.state.identity


@unlock_api.post(
    "/api/customers/{customer_id}/unlock",
    response_model=UnlockResult,
    summary="Unlock a customer's verification after too many failed attempts",
)
def unlock(
    customer_id: CustomerId,
    me: Agent,
    session: SessionDep,
    client: Annotated[IdentityClient, Depends(get_identity_client)],
) -> Json:
    """The action server lifts the lockout (contract C3); 503 when it cannot be
    reached, 502 when it fails, each with the reason."""
    try:
        result = client.unlock(customer_id, me.username)
    except (IdentityError, RequestRejected) as error:
        audit.record(
            session,
            me.username,
            "unlock",
            role=me.role,
            subject=customer_id,
            outcome=audit.FAILED,
            detail=str(error),
        )
        session.commit()
        raise
    audit.record(session, me.username, "unlock", role=me.role, subject=customer_id)
    session.commit()
    return result
