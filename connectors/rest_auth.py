"""The REST channel's credential: a JWT whose subject is the sender id.

REST is the trusted-integration channel: the client chooses the sender id, so
whoever may write as (or read the replies of) a sender must show a token issued
for that sender. HS256 with `SWITCHBOARD_REST_JWT_SECRET`, claims `sub` (the
sender id) and `exp`, sent as `Authorization: Bearer <token>`, like Rasa's own
`--jwt-secret` does for its HTTP API. The integration mints tokens with the
secret (`rest_token`, or `python -m stack token <sender>`).
"""

import re
import time
from collections.abc import Mapping
from typing import Any

import jwt

from connectors.webhook import BadRequest

ALGORITHM = "HS256"
SECRET_ENV = "SWITCHBOARD_REST_JWT_SECRET"
DEFAULT_TTL_SECONDS = 3600
# A token a few seconds past its expiry still counts: clocks drift between hosts.
LEEWAY_SECONDS = 10
# The longest a token may be valid for: a leaked one stops working within a day.
MAX_TTL_SECONDS = 24 * 3600
MIN_SECRET_CHARS = 32
SENDER = re.compile(r"[\w.:@+-]{1,128}", re.ASCII)
# Conversation ids other channels derive (connectors/conversation_ids.py, the web
# chat's): shown to agents and in logs, so never usable as a REST sender.
OTHER_CHANNELS = re.compile(
    r"(?:whatsapp|twilio|voice|email|socketio|webchat)(?:[-:_.@+].*)?|[0-9a-f]{32}",
    re.ASCII | re.IGNORECASE | re.DOTALL,
)


def checked_sender(sender: Any) -> str:
    """A sender id the REST channel may use; BadRequest 400 otherwise."""
    if not isinstance(sender, str) or not SENDER.fullmatch(sender):
        raise BadRequest(400, "'sender' must be 1-128 letters, digits or . _ : @ + -")
    if OTHER_CHANNELS.fullmatch(sender):
        raise BadRequest(400, "'sender' has the form of another channel's conversation id")
    return sender


def checked_secret(secret: str) -> str:
    """The configured secret, if it is long enough to sign with (a bad one stops the start)."""
    if len(secret) < MIN_SECRET_CHARS:
        raise ValueError(f"{SECRET_ENV} must have at least {MIN_SECRET_CHARS} characters")
    return secret


def rest_token(secret: str, sender: str, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> str:
    """A token that lets its holder write as, and poll for, one sender (for at most
    MAX_TTL_SECONDS)."""
    if ttl_seconds > MAX_TTL_SECONDS:
        raise ValueError(f"a token is valid for at most {MAX_TTL_SECONDS} s")
    now = int(time.time())
    return jwt.encode(
        {"sub": sender, "iat": now, "exp": now + ttl_seconds}, secret, algorithm=ALGORITHM
    )


def authorization(
    secret: str, sender: str, ttl_seconds: int = DEFAULT_TTL_SECONDS
) -> dict[str, str]:
    """The request header a REST client sends for one sender."""
    return {"Authorization": f"Bearer {rest_token(secret, sender, ttl_seconds)}"}


def check_sender(headers: Mapping[str, str], secret: str, sender: str) -> None:
    """Pass when the request's bearer token was issued for this sender; BadRequest
    401 without a token, 403 with a token that is invalid, expired or another sender's."""
    scheme, _, token = (headers.get("authorization") or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise BadRequest(
            401,
            "an 'Authorization: Bearer <token>' header issued for the sender is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        claims = jwt.decode(
            token.strip(),
            secret,
            algorithms=[ALGORITHM],
            leeway=LEEWAY_SECONDS,
            options={"require": ["sub", "exp"]},
        )
    except jwt.ExpiredSignatureError:
        raise BadRequest(403, "the token has expired") from None
    except jwt.InvalidTokenError:
        raise BadRequest(403, "the token is not valid") from None
    if claims["sub"] != sender:
        raise BadRequest(403, "the token was issued for another sender")
    if (
        not isinstance(claims["exp"], (int, float))
        or claims["exp"] > time.time() + MAX_TTL_SECONDS + LEEWAY_SECONDS
    ):
        raise BadRequest(403, f"the token is valid for longer than {MAX_TTL_SECONDS} s")
