"""Validated runtime settings of the action server, read once from the environment.

A wrong value stops the action server at start-up with a message naming the
variable, instead of failing in the middle of a customer's conversation.
"""

import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Mapping, Optional, TypeVar
from urllib.parse import urlparse

from limits import parse_many
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

T = TypeVar("T")

DEFAULT_ASSISTANT_DATABASE_URL = "sqlite:///var/assistant.db"


class SettingsError(ValueError):
    """An environment variable holds a value the action server cannot use."""


@dataclass(frozen=True)
class Settings:
    backend_url: str
    backend_connect_timeout: float
    backend_read_timeout: float
    backend_retries: int
    integration_secret: Optional[str]
    verification_max_attempts: int
    desk_url: Optional[str] = None  # the agent desk; None: hand-overs are noted on file only
    desk_token: Optional[str] = None
    # Failed knowledge factors per customer record, across conversations and channels
    # (actions/lockout.py), and how long the record stays locked once they reach the limit.
    assistant_database_url: str = DEFAULT_ASSISTANT_DATABASE_URL
    verification_max_failures: int = 5
    verification_lock_minutes: int = 60
    # Failed backend attempts in a row that open the circuit breaker, and how long
    # calls then fail at once before one probes (actions/backend_client.py).
    backend_breaker_failures: int = 3
    backend_breaker_cool_off: float = 5.0
    # The longest a hand-over waits on reads it can go without (support hours, the
    # queue, the customer's records): during an outage it is queued with what is known.
    handoff_read_budget: float = 2.0
    # The longest one action waits on the backend in all (every call, attempt and
    # retry of the turn): a frozen backend is apologised for within this, plus Rasa's
    # own few tenths of a second, from the very first failing turn.
    backend_turn_budget: float = 2.5
    # Writes to the CRM wait in the outbox (actions/outbox.py): how often its worker
    # looks for due ones, and the longest wait between two attempts at one.
    outbox_poll_seconds: float = 1.0
    outbox_max_backoff: float = 300.0
    # Requests per client address to the identity-lock endpoints (`limits` notation).
    identity_admin_rate_limit: str = "120/minute"
    # The customer memory (memory/, actions/memory_client.py); None: not used.
    memory_url: Optional[str] = None
    memory_token: Optional[str] = None
    memory_timeout: float = 1.0


def _read(
    env: Mapping[str, str], name: str, default: T, parse: Callable[[str], T],
    check: Callable[[T], bool], rule: str,
) -> T:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = parse(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r}: expected {rule}") from None
    if not check(value):
        raise SettingsError(f"{name}={raw!r}: expected {rule}")
    return value


def _is_database_url(value: str) -> bool:
    try:
        make_url(value)
    except ArgumentError:
        return False
    return True


def _is_rate(value: str) -> bool:
    try:
        parse_many(value)
    except ValueError:
        return False
    return True


def _is_http_url(value: str) -> bool:
    parsed = urlparse(value)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


# The Rasa lock store holds a conversation for 60 s. One backend call, at its worst
# (every attempt waiting out the connect and the read timeout, plus the back-off
# between attempts), must stay well below that. In a turn, BACKEND_TURN_BUDGET cuts
# it much shorter; this bound still holds the calls made outside a turn (the outbox
# worker) and the desk's, which the turn's budget does not cut.
BACKEND_CALL_BUDGET = 40.0


def worst_case_call_seconds(connect: float, read: float, retries: int) -> float:
    """The longest one backend read may take with these settings (see BackendClient)."""
    return (connect + read) * (1 + retries) + sum(0.2 * 2**n for n in range(retries))


def load_settings(env: Mapping[str, str]) -> Settings:
    """Build settings from an environment mapping, validating every value."""
    loaded = _load(env)
    worst = worst_case_call_seconds(loaded.backend_connect_timeout,
                                    loaded.backend_read_timeout, loaded.backend_retries)
    if worst > BACKEND_CALL_BUDGET:
        raise SettingsError(
            f"BACKEND_CONNECT_TIMEOUT={loaded.backend_connect_timeout:g}, "
            f"BACKEND_READ_TIMEOUT={loaded.backend_read_timeout:g} and "
            f"BACKEND_RETRIES={loaded.backend_retries} let one backend call take "
            f"{worst:.1f} s: expected at most {BACKEND_CALL_BUDGET:g} s in all "
            f"(the Rasa lock store holds a conversation for 60 s)")
    return loaded


def _load(env: Mapping[str, str]) -> Settings:
    return Settings(
        backend_url=_read(
            env, "BACKEND_URL", "http://127.0.0.1:8000", str, _is_http_url,
            "an http(s) URL",
        ).rstrip("/"),
        # The Rasa lock store holds a conversation for 60 s: connect + read
        # timeouts times the attempts must stay well below that (checked above).
        backend_connect_timeout=_read(
            env, "BACKEND_CONNECT_TIMEOUT", 2.0, float, lambda v: 0 < v <= 10,
            "seconds between 0 and 10",
        ),
        backend_read_timeout=_read(
            env, "BACKEND_READ_TIMEOUT", 5.0, float, lambda v: 0 < v <= 15,
            "seconds between 0 and 15",
        ),
        backend_retries=_read(
            env, "BACKEND_RETRIES", 1, int, lambda v: 0 <= v <= 2,
            "a whole number from 0 to 2",
        ),
        integration_secret=env.get("SWITCHBOARD_INTEGRATION_SECRET") or None,
        verification_max_attempts=_read(
            env, "VERIFICATION_MAX_ATTEMPTS", 3, int, lambda v: 1 <= v <= 10,
            "a whole number from 1 to 10",
        ),
        desk_url=_read(env, "DESK_URL", None, str, _is_http_url, "an http(s) URL"),
        desk_token=env.get("DESK_INTEGRATION_TOKEN") or None,
        assistant_database_url=_read(
            env, "ASSISTANT_DATABASE_URL", DEFAULT_ASSISTANT_DATABASE_URL, str,
            _is_database_url, "an SQLAlchemy database URL such as sqlite:///var/assistant.db",
        ),
        verification_max_failures=_read(
            env, "VERIFICATION_MAX_FAILURES", 5, int, lambda v: 1 <= v <= 100,
            "a whole number from 1 to 100",
        ),
        verification_lock_minutes=_read(
            env, "VERIFICATION_LOCK_MINUTES", 60, int, lambda v: 1 <= v <= 10080,
            "a whole number of minutes from 1 to 10080 (a week)",
        ),
        backend_breaker_failures=_read(
            env, "BACKEND_BREAKER_FAILURES", 3, int, lambda v: 1 <= v <= 50,
            "a whole number from 1 to 50",
        ),
        backend_breaker_cool_off=_read(
            env, "BACKEND_BREAKER_COOL_OFF", 5.0, float, lambda v: 0.1 <= v <= 300,
            "seconds from 0.1 to 300",
        ),
        handoff_read_budget=_read(
            env, "HANDOFF_READ_BUDGET", 2.0, float, lambda v: 0.1 <= v <= 10,
            "seconds from 0.1 to 10",
        ),
        backend_turn_budget=_read(
            env, "BACKEND_TURN_BUDGET", 2.5, float, lambda v: 0.5 <= v <= 12,
            "seconds from 0.5 to 12",  # a voice turn must end within Twilio's 15 s
        ),
        outbox_poll_seconds=_read(
            env, "OUTBOX_POLL_SECONDS", 1.0, float, lambda v: 0.1 <= v <= 60,
            "seconds from 0.1 to 60",
        ),
        outbox_max_backoff=_read(
            env, "OUTBOX_MAX_BACKOFF", 300.0, float, lambda v: 1 <= v <= 3600,
            "seconds from 1 to 3600",
        ),
        identity_admin_rate_limit=_read(
            env, "IDENTITY_ADMIN_RATE_LIMIT", "120/minute", str, _is_rate,
            "a rate such as 60/minute",
        ),
        memory_url=_read(env, "MEMORY_URL", None, str, _is_http_url, "an http(s) URL"),
        memory_token=env.get("MEMORY_API_TOKEN") or None,
        # A turn waits on the memory at most this long (read; connecting gets half).
        memory_timeout=_read(
            env, "MEMORY_TIMEOUT", 1.0, float, lambda v: 0.05 <= v <= 5,
            "seconds from 0.05 to 5",
        ),
    )


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The process-wide settings, from os.environ."""
    return load_settings(os.environ)
