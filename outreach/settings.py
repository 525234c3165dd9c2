"""The outreach package's settings, read from the environment and checked at start.

- ``OUTREACH_DATABASE_URL``: SQLAlchemy URL of its own store, the consent ledger
  (default ``sqlite:///<repo>/var/outreach.db``; ``postgresql://…`` by URL).
- ``OUTREACH_CONFIG``: the rules file (default ``outreach.yml`` in the repository).
- ``BRIGHTWAVE_FIXTURE``: the CRM fixture whose consent flags seed the ledger, once.
- ``OUTREACH_API_TOKEN``: bearer token of the outreach API's callers (the action
  server); the API does not start without it.
- ``OUTREACH_READ_TOKEN``: a bearer token that reads the decision log and nothing else
  (the desk's supervisors' view); unset, only OUTREACH_API_TOKEN reads it.
- ``OUTREACH_RATE_LIMIT``: requests per client address (``limits`` notation, 600/minute).
- ``MEMORY_URL``, ``MEMORY_API_TOKEN``: the memory's API, whose event feed starts outreach
  and whose timeline says who contacted us lately; ``BACKEND_URL``: the CRM (is the
  invoice paid now?); ``RASA_URL``, ``RASA_API_TOKEN``: Rasa's internal HTTP API, through
  which the message goes out in the customer's WhatsApp conversation. Without all of
  them the worker does not run (the consent API still does).
- ``OUTREACH_POLL_SECONDS``: how often the worker reads the feed and sends what is due (5).
- ``BACKEND_LIST_TOKEN``: the backend's outreach lists (policies pending activation,
  customers by lifecycle stage); unset, the rules triggered by a condition or a
  lifecycle stage plan nothing (a warning each scan).
- ``OUTREACH_SCAN_SECONDS``: how often the worker scans those lists (300).
- ``OUTREACH_SEND_LEASE_SECONDS``: how long a send is its worker's (120): longer than a
  send with its retries takes; a worker that dies mid-send has it picked up after this.
"""

from collections.abc import Mapping
from pathlib import Path

from limits import parse_many
from pydantic import Field, validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from common.settings import EnvSettings
from outreach.config import DEFAULT_PATH

ROOT = Path(__file__).resolve().parents[1]


class SettingsError(ValueError):
    """A setting outreach cannot use; the message names it."""


class Settings(EnvSettings):
    database_url: str = Field(
        f"sqlite:///{ROOT / 'var' / 'outreach.db'}",
        env="OUTREACH_DATABASE_URL",
        rule="an SQLAlchemy database URL such as sqlite:///var/outreach.db",
    )
    config_path: Path = Field(DEFAULT_PATH, env="OUTREACH_CONFIG", rule="a path to outreach.yml")
    fixture: Path = Field(
        ROOT / "fixtures" / "brightwave_crm.json",
        env="BRIGHTWAVE_FIXTURE",
        rule="a path to the CRM fixture",
    )
    api_token: str | None = Field(
        None, env="OUTREACH_API_TOKEN", min_length=16, secret=True, rule="at least 16 characters"
    )
    read_token: str | None = Field(
        None, env="OUTREACH_READ_TOKEN", min_length=16, secret=True, rule="at least 16 characters"
    )
    rate_limit: str = Field(
        "600/minute", env="OUTREACH_RATE_LIMIT", rule="a rate such as '600/minute'"
    )

    memory_url: str | None = Field(None, env="MEMORY_URL", rule="the memory's URL")
    memory_token: str | None = Field(
        None, env="MEMORY_API_TOKEN", min_length=16, secret=True, rule="at least 16 characters"
    )
    backend_url: str | None = Field(None, env="BACKEND_URL", rule="the backend's URL")
    backend_list_token: str | None = Field(
        None, env="BACKEND_LIST_TOKEN", min_length=16, secret=True, rule="at least 16 characters"
    )
    rasa_url: str | None = Field(None, env="RASA_URL", rule="Rasa's internal URL")
    rasa_token: str | None = Field(
        None, env="RASA_API_TOKEN", secret=True, rule="Rasa's HTTP API token"
    )
    # The e-mail channel's secret: outreach names the customer's e-mail conversation
    # the way the channel will name their reply's (outreach/mail.py); without it, no
    # outreach goes out by e-mail.
    email_secret: str | None = Field(
        None, env="SWITCHBOARD_EMAIL_SECRET", secret=True, rule="the e-mail channel's secret"
    )
    email_domain: str = Field(
        "brightwave.example",
        env="OUTREACH_EMAIL_DOMAIN",
        regex=r"^[a-z0-9-]+(\.[a-z0-9-]+)+$",
        rule="the domain of outreach e-mails' Message-IDs, such as brightwave.example",
    )
    send_lease_seconds: float = Field(
        120.0,
        env="OUTREACH_SEND_LEASE_SECONDS",
        ge=1,
        le=3600,
        rule="seconds from 1 to 3600",
    )
    scan_seconds: float = Field(
        300.0, env="OUTREACH_SCAN_SECONDS", ge=0.2, le=86400, rule="seconds from 0.2 to 86400"
    )
    poll_seconds: float = Field(
        5.0, env="OUTREACH_POLL_SECONDS", ge=0.2, le=3600, rule="seconds from 0.2 to 3600"
    )

    @property
    def sends(self) -> bool:
        """Whether the worker has everything it reads from and sends through."""
        return all(
            (self.memory_url, self.memory_token, self.backend_url, self.rasa_url, self.rasa_token)
        )

    @validator("rate_limit")
    def _rate(cls, value: str) -> str:
        parse_many(value)
        return value

    @validator("database_url")
    def _database_url(cls, value: str) -> str:
        try:
            make_url(value)
        except ArgumentError:
            raise ValueError("not an SQLAlchemy database URL") from None
        return value


def load_settings(env: Mapping[str, str]) -> Settings:
    """Settings from env; SettingsError naming the first bad variable."""
    return Settings.from_env(env, SettingsError)
