"""Who may call what: the action server (integration token) posts hand-overs,
agents (agent token) work them; each names themselves in `X-Agent-Name`."""

import hmac
from typing import Annotated, Optional
from urllib.parse import unquote

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from backend.errors import RequestRejected

AGENT_HEADER = "X-Agent-Name"
MAX_NAME = 100
_bearer = HTTPBearer(auto_error=False, description="DESK_INTEGRATION_TOKEN or DESK_AGENT_TOKEN")
Credentials = Annotated[Optional[HTTPAuthorizationCredentials], Depends(_bearer)]


def _matches(credentials: Optional[HTTPAuthorizationCredentials], *tokens: str) -> bool:
    given = (credentials.credentials if credentials else "").encode()
    return any(hmac.compare_digest(given, token.encode()) for token in tokens)


def _refuse(who: str) -> HTTPException:
    return HTTPException(401, f"missing or wrong bearer token: this needs the {who} token",
                         headers={"WWW-Authenticate": "Bearer"})


def integration(request: Request, credentials: Credentials) -> None:
    if not _matches(credentials, request.app.state.settings.integration_token):
        raise _refuse("integration")


def agent(request: Request, credentials: Credentials) -> None:
    if not _matches(credentials, request.app.state.settings.agent_token):
        raise _refuse("agent")


def agent_or_integration(request: Request, credentials: Credentials) -> None:
    settings = request.app.state.settings
    if not _matches(credentials, settings.integration_token, settings.agent_token):
        raise _refuse("integration or agent")


def agent_name(request: Request, credentials: Credentials,
               x_agent_name: Annotated[Optional[str], Header(
                   description="The agent's name, UTF-8 percent-encoded where not ASCII")] = None,
               ) -> str:
    """The signed-in agent's name, after their token is checked."""
    agent(request, credentials)
    name = " ".join(unquote(x_agent_name or "").split())
    if not name:
        raise RequestRejected(f"{AGENT_HEADER} header: the agent's name is required")
    if len(name) > MAX_NAME or not name.isprintable():
        raise RequestRejected(f"{AGENT_HEADER} header: at most {MAX_NAME} printable characters")
    return name


Agent = Annotated[str, Depends(agent_name)]
