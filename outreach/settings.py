"""The outreach package's settings, read from the environment and checked at start.

- ``OUTREACH_DATABASE_URL``: SQLAlchemy URL of its own store, the consent ledger
  (default ``sqlite:///<repo>/var/outreach.db``; ``postgresql://…`` by URL).
- ``OUTREACH_CONFIG``: the rules file (default ``outreach.yml`` in the repository).
- ``BRIGHTWAVE_FIXTURE``: the CRM fixture whose consent flags seed the ledger, once.
"""

from collections.abc import Mapping
from pathlib import Path

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
