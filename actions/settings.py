"""Validated runtime settings of the action server, read once from the environment.

A wrong value stops the action server at start-up with a message naming the
variable, instead of failing in the middle of a customer's conversation.
"""

import os
from collections.abc import Mapping
from functools import lru_cache

from limits import parse_many
from pydantic import Field, validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from common.settings import EnvSettings, http_url

DEFAULT_ASSISTANT_DATABASE_URL = "sqlite:///var/assistant.db"


class SettingsError(ValueError):
    """An environment variable holds a value the action server cannot use."""


class Settings(EnvSettings):
    backend_url: str = Field("http://127.0.0.1:8000", env="BACKEND_URL", rule="an http(s) URL")
    # The Rasa lock store holds a conversation for 60 s: connect + read timeouts times
    # the attempts must stay well below that (checked in load_settings).
    backend_connect_timeout: float = Field(
        2.0, env="BACKEND_CONNECT_TIMEOUT", gt=0, le=10, rule="seconds between 0 and 10"
    )
    backend_read_timeout: float = Field(
        5.0, env="BACKEND_READ_TIMEOUT", gt=0, le=15, rule="seconds between 0 and 15"
    )
    backend_retries: int = Field(
        1, env="BACKEND_RETRIES", ge=0, le=2, rule="a whole number from 0 to 2"
    )
    integration_secret: str | None = Field(None, env="SWITCHBOARD_INTEGRATION_SECRET")
    verification_max_attempts: int = Field(
        3, env="VERIFICATION_MAX_ATTEMPTS", ge=1, le=10, rule="a whole number from 1 to 10"
    )
    # The agent desk; None: hand-overs are noted on file only.
    desk_url: str | None = Field(None, env="DESK_URL", rule="an http(s) URL")
    desk_token: str | None = Field(None, env="DESK_INTEGRATION_TOKEN")
    # Failed knowledge factors per customer record, across conversations and channels
    # (actions/lockout.py), and how long the record stays locked once they reach the limit.
    assistant_database_url: str = Field(
        DEFAULT_ASSISTANT_DATABASE_URL,
        env="ASSISTANT_DATABASE_URL",
        rule="an SQLAlchemy database URL such as sqlite:///var/assistant.db",
    )
    verification_max_failures: int = Field(
        5, env="VERIFICATION_MAX_FAILURES", ge=1, le=100, rule="a whole number from 1 to 100"
    )
    verification_lock_minutes: int = Field(
        60,
        env="VERIFICATION_LOCK_MINUTES",
        ge=1,
        le=10080,
        rule="a whole number of minutes from 1 to 10080 (a week)",
    )
    # Failed backend attempts in a row that open the circuit breaker, and how long
    # calls then fail at once before one probes (actions/backend_client.py).
    backend_breaker_failures: int = Field(
        3, env="BACKEND_BREAKER_FAILURES", ge=1, le=50, rule="a whole number from 1 to 50"
    )
    backend_breaker_cool_off: float = Field(
        5.0, env="BACKEND_BREAKER_COOL_OFF", ge=0.1, le=300, rule="seconds from 0.1 to 300"
    )
    # The longest a hand-over waits on reads it can go without (support hours, the
    # queue, the customer's records): during an outage it is queued with what is known.
    handoff_read_budget: float = Field(
        2.0, env="HANDOFF_READ_BUDGET", ge=0.1, le=10, rule="seconds from 0.1 to 10"
    )
    # The longest one action waits on the backend in all (every call, attempt and
    # retry of the turn): a frozen backend is apologised for within this, plus Rasa's
    # own few tenths of a second, from the very first failing turn. A voice turn must
    # end within Twilio's 15 s.
    backend_turn_budget: float = Field(
        2.5, env="BACKEND_TURN_BUDGET", ge=0.5, le=12, rule="seconds from 0.5 to 12"
    )
    # Writes to the CRM wait in the outbox (actions/outbox.py): how often its worker
    # looks for due ones, and the longest wait between two attempts at one.
    outbox_poll_seconds: float = Field(
        1.0, env="OUTBOX_POLL_SECONDS", ge=0.1, le=60, rule="seconds from 0.1 to 60"
    )
    outbox_max_backoff: float = Field(
        300.0, env="OUTBOX_MAX_BACKOFF", ge=1, le=3600, rule="seconds from 1 to 3600"
    )
    # Requests per client address to the identity-lock endpoints (`limits` notation).
    identity_admin_rate_limit: str = Field(
        "120/minute", env="IDENTITY_ADMIN_RATE_LIMIT", rule="a rate such as 60/minute"
    )
    # The customer memory (memory/, actions/memory_client.py); None: not used. A turn
    # waits on it at most memory_timeout (read; connecting gets half).
    memory_url: str | None = Field(None, env="MEMORY_URL", rule="an http(s) URL")
    memory_token: str | None = Field(None, env="MEMORY_API_TOKEN")
    memory_timeout: float = Field(
        1.0, env="MEMORY_TIMEOUT", ge=0.05, le=5, rule="seconds from 0.05 to 5"
    )

    # The outreach API (outreach/, actions/outreach_client.py): a customer's STOP goes
    # there; None: a STOP is answered as not possible now.
    outreach_url: str | None = Field(None, env="OUTREACH_URL", rule="an http(s) URL")
    outreach_token: str | None = Field(None, env="OUTREACH_API_TOKEN")

    _urls = validator("backend_url", "desk_url", "memory_url", "outreach_url", allow_reuse=True)(
        http_url
    )

    @validator("assistant_database_url")
    def _database_url(cls, value: str) -> str:
        try:
            make_url(value)
        except ArgumentError:
            raise ValueError("not a database URL") from None
        return value

    @validator("identity_admin_rate_limit")
    def _rate(cls, value: str) -> str:
        parse_many(value)  # ValueError when it is not a rate
        return value


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
    loaded = Settings.from_env(env, SettingsError)
    worst = worst_case_call_seconds(
        loaded.backend_connect_timeout, loaded.backend_read_timeout, loaded.backend_retries
    )
    if worst > BACKEND_CALL_BUDGET:
        raise SettingsError(
            f"BACKEND_CONNECT_TIMEOUT={loaded.backend_connect_timeout:g}, "
            f"BACKEND_READ_TIMEOUT={loaded.backend_read_timeout:g} and "
            f"BACKEND_RETRIES={loaded.backend_retries} let one backend call take "
            f"{worst:.1f} s: expected at most {BACKEND_CALL_BUDGET:g} s in all "
            f"(the Rasa lock store holds a conversation for 60 s)"
        )
    return loaded


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The process-wide settings, from os.environ."""
    return load_settings(os.environ)
