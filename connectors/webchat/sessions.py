"""Web chat session tokens: issued by the server, signed, and never the conversation id.

A browser gets a token on `session_request` (32 random hex digits, a dot, and
their HMAC with the web chat secret) and keeps it to continue the conversation
after a reload. A token the server did not sign is replaced by a fresh one. The
Rasa conversation id is derived from the token with the secret ("webchat-" + 32
hex digits), so the id agents, logs and the CCaaS see cannot be turned back into
a token, and knowing it does not let anyone join the conversation.

A token expires: its first 8 hex digits are the time it was issued (the other 24
are random), covered by the HMAC, and a token older than `max_age_seconds` is
replaced by a fresh one, so a token copied from a shared computer or a log stops
opening the conversation.
"""

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from typing import Any, TypeGuard

TOKEN = re.compile(r"([0-9a-f]{32})\.([0-9a-f]{32})", re.ASCII)
CONVERSATION_PREFIX = "webchat-"
MIN_SECRET_CHARS = 32
DEFAULT_MAX_AGE_SECONDS = 7 * 24 * 3600
CLOCK_LEEWAY_SECONDS = 60


class SessionTokens:
    """Issues and checks session tokens, and names their conversations."""

    def __init__(
        self,
        secret: str,
        max_age_seconds: float = DEFAULT_MAX_AGE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if len(secret) < MIN_SECRET_CHARS:
            raise ValueError(
                f"the web chat secret (SWITCHBOARD_WEBCHAT_SECRET) must have at "
                f"least {MIN_SECRET_CHARS} characters"
            )
        self._key = secret.encode("utf-8")
        self.max_age_seconds = max_age_seconds
        self._clock = clock

    def _mac(self, purpose: str, value: str) -> str:
        return hmac.new(self._key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()[:32]

    def issue(self) -> str:
        """A fresh token."""
        nonce = f"{int(self._clock()) & 0xFFFFFFFF:08x}{secrets.token_hex(12)}"
        return f"{nonce}.{self._mac('session', nonce)}"

    def valid(self, token: Any) -> TypeGuard[str]:
        """Whether this server signed the token, and not too long ago."""
        match = TOKEN.fullmatch(token) if isinstance(token, str) else None
        if match is None or not hmac.compare_digest(
            match.group(2), self._mac("session", match.group(1))
        ):
            return False
        age = self._clock() - int(match.group(1)[:8], 16)
        return -CLOCK_LEEWAY_SECONDS <= age <= self.max_age_seconds

    def conversation(self, token: str) -> str:
        """The Rasa conversation id of a (valid) token."""
        return f"{CONVERSATION_PREFIX}{self._mac('conversation', token)}"
