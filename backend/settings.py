"""Validated settings of the sample backend, read once from the environment.

- ``DATABASE_URL``: an SQLAlchemy URL, ``sqlite:///path`` or ``postgresql://…``
  (default ``sqlite:///<repo>/var/backend.db``).
- ``BRIGHTWAVE_FIXTURE``: the JSON fixture the database is built from
  (default ``<repo>/fixtures/brightwave_crm.json``).
- ``BACKEND_ADMIN_TOKEN``: optional; when set, ``POST /admin/rebuild`` needs
  ``Authorization: Bearer <token>``, when unset it is open to loopback clients only.
- ``BACKEND_LIST_TOKEN``: optional; the bearer token of the outreach lists
  (``GET /lists/...``, backend/lists.py); unset, those lists are off (403).
- ``BACKEND_LIST_RATE_LIMIT``: requests per client to the lists (default ``60/minute``).
- ``BACKEND_TODAY``: the date the writes treat as today (claim dates, return windows,
  notice periods), e.g. ``2026-11-24``; default: the fixture's ``as_of``.
- ``BACKEND_PAYMENT_LINK_URL``: the https address a payment-update link starts with
  (default ``https://pay.brightwave.example/update/``; the link's token follows it).
- ``BACKEND_PAYMENT_LINK_MINUTES``: how long such a link is valid (default 1440).

A wrong value stops the backend at start-up with a message naming the variable.
"""

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

from limits import parse_many
from pydantic import Field, validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from common.settings import EnvSettings

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE_URL = f"sqlite:///{REPO_ROOT / 'var' / 'backend.db'}"
DEFAULT_FIXTURE = REPO_ROOT / "fixtures" / "brightwave_crm.json"
SUPPORTED_DATABASES = ("sqlite", "postgresql")


class SettingsError(ValueError):
    """An environment variable holds a value the backend cannot use."""


def _masked(url: str) -> str:
    """The URL with its password masked (ValueError when it is no URL)."""
    try:
        return str(make_url(url).render_as_string(hide_password=True))
    except ArgumentError:
        raise ValueError("not a database URL") from None


class Settings(EnvSettings):
    """Everything the backend needs to know about its environment."""

    database_url: str = Field(DEFAULT_DATABASE_URL, env="DATABASE_URL", show=_masked)
    fixture_path: Path = Field(DEFAULT_FIXTURE, env="BRIGHTWAVE_FIXTURE")
    admin_token: str | None = Field(None, env="BACKEND_ADMIN_TOKEN")
    list_token: str | None = Field(
        None, env="BACKEND_LIST_TOKEN", min_length=16, secret=True, rule="at least 16 characters"
    )
    list_rate_limit: str = Field(
        "60/minute", env="BACKEND_LIST_RATE_LIMIT", rule="a rate such as '60/minute'"
    )
    today: date | None = Field(None, env="BACKEND_TODAY", rule="a date such as 2026-11-24")
    payment_link_url: str = Field(
        "https://pay.brightwave.example/update/", env="BACKEND_PAYMENT_LINK_URL"
    )
    payment_link_minutes: int = Field(
        1440,
        env="BACKEND_PAYMENT_LINK_MINUTES",
        ge=5,
        le=10080,
        rule="a whole number of minutes from 5 to 10080",
    )

    @validator("database_url")
    def _database(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            # The value may carry a password: never echo it.
            raise ValueError(
                "not a database URL (expected sqlite:///path "
                "or postgresql://user:password@host/name)"
            ) from None
        if url.get_backend_name() not in SUPPORTED_DATABASES:
            raise ValueError(f"expected one of {', '.join(SUPPORTED_DATABASES)}")
        return value

    @validator("fixture_path")
    def _fixture(cls, value: Path) -> Path:
        if not value.is_file():
            raise ValueError("no such file")
        return value

    @validator("payment_link_url")
    def _link(cls, value: str) -> str:
        url = urlparse(value)
        if url.scheme != "https" or not url.hostname or url.query or url.fragment:
            raise ValueError("expected an https address without query or fragment")
        return value

    @validator("list_rate_limit")
    def _rate(cls, value: str) -> str:
        parse_many(value)
        return value

    @validator("admin_token")
    def _token(cls, value: str | None) -> str | None:
        return (value or "").strip() or None


def load_settings(env: Mapping[str, str]) -> Settings:
    """Build settings from an environment mapping, validating every value."""
    return Settings.from_env(env, SettingsError)
