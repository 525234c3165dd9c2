"""Who may call what. The action server presents the integration token; people sign
in (desk.sessions) and present their session's token as a bearer token (API
clients) or in an HttpOnly, SameSite=Strict cookie (the page). Roles nest: agent <
supervisor < admin."""

from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from common.service_api import token_matches
from desk import sessions
from desk.accounts import Identity
from desk.models import ADMIN, AGENT, SUPERVISOR

COOKIE = "desk_session"
_bearer = HTTPBearer(
    auto_error=False,
    description="A session token from POST /api/session, or DESK_INTEGRATION_TOKEN",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _unauthorized(reason: str) -> HTTPException:
    return HTTPException(401, reason, headers={"WWW-Authenticate": "Bearer"})


def integration(request: Request, credentials: Credentials) -> None:
    if not token_matches(credentials, request.app.state.settings.integration_token):
        raise _unauthorized("missing or wrong bearer token: this needs the integration token")


def _same_origin(request: Request) -> bool:
    """A cookie-borne change must come from the desk's own page: the Origin a browser
    sends with it (when it sends one) is the desk's."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    parts = urlsplit(origin)
    return parts.scheme == request.url.scheme and parts.netloc == request.url.netloc


def session_token(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None,
) -> str | None:
    """The session token the request carries, bearer first, then the cookie."""
    if credentials is not None:
        return credentials.credentials
    token = request.cookies.get(COOKIE)
    if token and request.method in UNSAFE_METHODS and not _same_origin(request):
        raise HTTPException(403, "a change sent with the desk's cookie must come from its page")
    return token


def signed_in(request: Request, credentials: Credentials) -> Identity:
    """The signed-in account; 401 with the reason otherwise."""
    token = session_token(request, credentials)
    if not token:
        raise _unauthorized("not signed in: sign in with POST /api/session")
    state = request.app.state
    with state.sessions() as session:
        account = sessions.account_of(session, token, state.settings.behaviour.accounts)
        if account is None:
            raise _unauthorized("your session has expired or was ended: sign in again")
        identity = Identity(account.username, account.role)
    state.limits.request(identity.username)
    return identity


def _role(role: str) -> Callable[[Identity], Identity]:
    def at_least(identity: Annotated[Identity, Depends(signed_in)]) -> Identity:
        if not identity.at_least(role):
            raise HTTPException(403, f"this needs the {role} role; you are {identity.role}")
        return identity

    return at_least


def agent_or_integration(request: Request, credentials: Credentials) -> None:
    if not token_matches(credentials, request.app.state.settings.integration_token):
        signed_in(request, credentials)


Agent = Annotated[Identity, Depends(_role(AGENT))]
Supervisor = Annotated[Identity, Depends(_role(SUPERVISOR))]
Admin = Annotated[Identity, Depends(_role(ADMIN))]
