"""The memory service's settings, read from the environment and checked at start.

- ``MEMORY_DATABASE_URL``: SQLAlchemy URL (default ``sqlite:///<repo>/var/memory.db``;
  ``postgresql://…`` by URL).
- ``MEMORY_API_TOKEN``: bearer token of its callers (the action server, the desk).
- ``MEMORY_EVENT_SECRETS``: ``source=secret[,source=secret…]``, the key each of the
  enterprise's systems signs its events with (32+ characters); unset: ``POST /events``
  answers 503.
- ``MEMORY_EVENT_MAX_SKEW``: seconds an event's signed timestamp may be off (300).
- ``MEMORY_RATE_LIMIT``: requests per client address (``limits`` notation, 1200/minute).
- ``MEMORY_LIVE_MINUTES``: a conversation active this recently is live (10): an event for
  its customer goes to it at once.
- ``MEMORY_JOURNEY_DAYS``: a journey left half-way is offered for resuming this long (7).
- ``RASA_URL``, ``RASA_API_TOKEN``: Rasa's internal listener and HTTP API token, held by
  this service alone, to reach a live conversation (``trigger_intent``).
- ``BRIGHTWAVE_FIXTURE``: the fixture whose ``events`` are ingested at start.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from limits import parse_many
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ROOT = Path(__file__).resolve().parents[1]
SOURCE = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
MIN_SECRET = 32


class SettingsError(ValueError):
    """A setting the memory cannot use; the message names it."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    api_token: str
    event_secrets: dict[str, str]
    event_max_skew: float = 300.0
    rate_limit: str = "1200/minute"
    live_minutes: float = 10.0
    journey_days: float = 7.0
    rasa_url: str | None = None
    rasa_token: str | None = None
    fixture: Path | None = None


def _secrets(raw: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        source, _, secret = part.partition("=")
        if not SOURCE.fullmatch(source):
            raise SettingsError(
                f"MEMORY_EVENT_SECRETS: source {source!r} is not 1-40 "
                "lower-case letters, digits, '_' or '-'"
            )
        if len(secret) < MIN_SECRET:
            raise SettingsError(
                f"MEMORY_EVENT_SECRETS: the secret of {source!r} has fewer "
                f"than {MIN_SECRET} characters"
            )
        found[source] = secret
    return found


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name) or str(default)
    try:
        value = float(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise SettingsError(f"{name}={raw!r}: expected a number from {low:g} to {high:g}")
    return value


def load_settings(env: Mapping[str, str]) -> Settings:
    """Settings from the environment; SettingsError naming the first bad one."""
    database_url = env.get("MEMORY_DATABASE_URL") or f"sqlite:///{ROOT / 'var' / 'memory.db'}"
    try:
        make_url(database_url)
    except ArgumentError:
        raise SettingsError("MEMORY_DATABASE_URL: not an SQLAlchemy database URL") from None
    token = env.get("MEMORY_API_TOKEN") or ""
    if len(token) < 16:
        raise SettingsError("MEMORY_API_TOKEN: must be set, at least 16 characters")
    rate = env.get("MEMORY_RATE_LIMIT") or "1200/minute"
    try:
        parse_many(rate)
    except ValueError:
        raise SettingsError(
            f"MEMORY_RATE_LIMIT={rate!r}: expected a rate such as '1200/minute'"
        ) from None
    fixture = env.get("BRIGHTWAVE_FIXTURE") or str(ROOT / "fixtures" / "brightwave_crm.json")
    return Settings(
        database_url=database_url,
        api_token=token,
        event_secrets=_secrets(env.get("MEMORY_EVENT_SECRETS") or ""),
        event_max_skew=_number(env, "MEMORY_EVENT_MAX_SKEW", 300, 1, 3600),
        rate_limit=rate,
        live_minutes=_number(env, "MEMORY_LIVE_MINUTES", 10, 0.1, 24 * 60),
        journey_days=_number(env, "MEMORY_JOURNEY_DAYS", 7, 0.01, 90),
        rasa_url=(env.get("RASA_URL") or "").rstrip("/") or None,
        rasa_token=env.get("RASA_API_TOKEN") or None,
        fixture=Path(fixture) if fixture else None,
    )
