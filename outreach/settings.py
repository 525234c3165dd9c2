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
- ``TWILIO_VOICE_NUMBER``: the number outreach calls customers from (``+`` and the
  country code); set, outreach calls through Twilio's Calls API (outreach/voice.py) and
  needs ``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN`` and ``SWITCHBOARD_PUBLIC_URL``
  (where Twilio reaches the voice webhook when the customer answers); ``TWILIO_API_URL``
  only for another address than Twilio's. Unset, no outreach goes out by phone.
- ``OUTREACH_POLL_SECONDS``: how often the worker reads the feed and sends what is due (5).
- ``BACKEND_LIST_TOKEN``: the backend's outreach lists (policies pending activation,
  customers by lifecycle stage); unset, the rules triggered by a condition or a
  lifecycle stage plan nothing (a warning each scan).
- ``OUTREACH_SCAN_SECONDS``: how often the worker scans those lists (300).
- ``OUTREACH_SEND_LEASE_SECONDS``: how long a send is its worker's (120): longer than a
  send with its retries takes; a worker that dies mid-send has it picked up after this.
"""

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from limits import parse_many
from pydantic import Field, validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from common.settings import EnvSettings, http_url
from connectors.settings import TWILIO_API_URL
from outreach.config import DEFAULT_PATH

ROOT = Path(__file__).resolve().parents[1]
PHONE_NUMBER = re.compile(r"\+[1-9][0-9]{6,14}")
ACCOUNT_SID = re.compile(r"AC[0-9a-f]{32}")


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
    # Calls (outreach/voice.py): the account, and where Twilio reaches our voice webhook;
    # read (and checked) only when TWILIO_VOICE_NUMBER is set.
    twilio_account_sid: str | None = Field(None, env="TWILIO_ACCOUNT_SID")
    twilio_auth_token: str | None = Field(None, env="TWILIO_AUTH_TOKEN", secret=True)
    twilio_api_url: str = Field(TWILIO_API_URL, env="TWILIO_API_URL")
    public_url: str | None = Field(None, env="SWITCHBOARD_PUBLIC_URL")
    voice_number: str | None = Field(None, env="TWILIO_VOICE_NUMBER")
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

    @property
    def calls(self) -> bool:
        """Whether outreach calls customers (TWILIO_VOICE_NUMBER and what it needs)."""
        return self.voice_number is not None

    @validator("voice_number")
    def _voice(cls, value: str | None, values: dict[str, Any]) -> str | None:
        """Calls need the account and an https address for Twilio to call back."""
        if value is None:
            return None
        if not PHONE_NUMBER.fullmatch(value):
            raise ValueError("expected a phone number: + and the country code, no spaces")
        account, public = values.get("twilio_account_sid"), values.get("public_url")
        if not (account and ACCOUNT_SID.fullmatch(account)):
            raise ValueError("calls need TWILIO_ACCOUNT_SID: AC and 32 hexadecimal digits")
        if not values.get("twilio_auth_token"):
            raise ValueError("calls need TWILIO_AUTH_TOKEN")
        if not (public and public.startswith("https://") and _url(public)):
            raise ValueError("calls need SWITCHBOARD_PUBLIC_URL: the https URL of Rasa")
        if not _url(values.get("twilio_api_url")):
            raise ValueError("calls need TWILIO_API_URL as an http(s) URL")
        return value

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


def _url(value: str | None) -> bool:
    try:
        return http_url(value) is not None
    except ValueError:
        return False


def load_settings(env: Mapping[str, str]) -> Settings:
    """Settings from env; SettingsError naming the first bad variable."""
    return Settings.from_env(env, SettingsError)
