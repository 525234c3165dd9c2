"""The one client through which the desk reaches a conversation: the thin endpoint
on Rasa's internal listener (stack/desk_endpoint.py), never Rasa's HTTP API.

Each call carries a JWT signed with SWITCHBOARD_DESK_RASA_SECRET that lives one
minute and may only read (`conversation:read`) or only append to
(`conversation:append`) conversations: the desk cannot load a model or rewrite a
tracker. Every call has a connect and a read timeout and fails with a typed
error; the app answers RasaUnreachable with 503 and RasaFailed with 502, each
with the reason.
"""

import logging
import time
from typing import Any
from urllib.parse import quote

import jwt
import requests

logger = logging.getLogger(__name__)
Event = dict[str, Any]
READ_SCOPE = "conversation:read"
APPEND_SCOPE = "conversation:append"
ERASE_SCOPE = "conversation:erase"
TOKEN_TTL_SECONDS = 60


class RasaError(Exception):
    """Rasa did not do what the desk asked; the message says why."""


class RasaUnreachable(RasaError):
    """Rasa could not be reached or did not answer in time."""


class RasaFailed(RasaError):
    """Rasa answered, but with an error or something that is not what was asked."""


def desk_token(
    secret: str, scope: str, conversation_id: str, ttl_seconds: int = TOKEN_TTL_SECONDS
) -> str:
    """A short-lived JWT for one scope of the desk endpoint on one conversation."""
    now = int(time.time())
    return jwt.encode(
        {"scope": scope, "sub": conversation_id, "iat": now, "exp": now + ttl_seconds},
        secret,
        algorithm="HS256",
    )


class RasaClient:
    """Appends events to a conversation and reads its messages."""

    def __init__(
        self, base_url: str, secret: str, connect_timeout: float, read_timeout: float
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.secret = secret
        self.timeout = (connect_timeout, read_timeout)
        self.session = requests.Session()

    def _call(
        self, method: str, conversation_id: str, scope: str, suffix: str = "/events", **kwargs: Any
    ) -> dict[str, Any]:
        quoted = quote(conversation_id, safe="")
        url = f"{self.base_url}/internal/conversations/{quoted}{suffix}"
        headers = {"Authorization": f"Bearer {desk_token(self.secret, scope, conversation_id)}"}
        what = f"{method} conversation {conversation_id}"
        try:
            response = self.session.request(
                method, url, headers=headers, timeout=self.timeout, **kwargs
            )
        except requests.Timeout:
            raise RasaUnreachable(f"Rasa did not answer in time ({what})") from None
        except requests.RequestException as error:
            raise RasaUnreachable(
                f"Rasa is unreachable ({what}: {error.__class__.__name__})"
            ) from None
        if response.status_code in (401, 403):
            raise RasaFailed(
                f"Rasa refused the desk's API token ({what}: HTTP {response.status_code})"
            )
        if response.status_code == 503:
            raise RasaUnreachable(f"Rasa is not ready ({what}: HTTP 503)")
        if response.status_code >= 400:
            raise RasaFailed(f"Rasa answered HTTP {response.status_code} ({what})")
        try:
            body = response.json()
        except ValueError:
            raise RasaFailed(f"Rasa answered without JSON ({what})") from None
        if not isinstance(body, dict):
            raise RasaFailed(f"Rasa answered something unexpected ({what})")
        return body

    def append(self, conversation_id: str, events: list[Event]) -> None:
        """Log events in the conversation; bot messages are also sent on the
        customer's latest channel (socket.io, Twilio…), REST customers poll them."""
        self._call("POST", conversation_id, APPEND_SCOPE, json=events)
        logger.info(
            "appended %s to conversation %s",
            ", ".join(str(event["event"]) for event in events),
            conversation_id,
        )

    def events(self, conversation_id: str) -> list[Event]:
        """The conversation's customer and assistant messages, oldest first."""
        events = self._call("GET", conversation_id, READ_SCOPE).get("events")
        if not isinstance(events, list):
            raise RasaFailed(f"Rasa answered without events (GET conversation {conversation_id})")
        return events

    def erase(self, conversation_id: str) -> dict[str, int]:
        """Erase the conversation in Rasa's stores (a customer's erasure): the rows
        removed per table, as Rasa reports them."""
        removed = self._call("DELETE", conversation_id, ERASE_SCOPE, suffix="").get("removed")
        if not isinstance(removed, dict):
            raise RasaFailed(f"Rasa answered the erasure without counts ({conversation_id})")
        return {str(name): int(count) for name, count in removed.items()}
