"""Validated settings of the sample backend, read once from the environment.

- ``DATABASE_URL``: an SQLAlchemy URL, ``sqlite:///path`` or ``postgresql://…``
  (default ``sqlite:///<repo>/var/backend.db``).
- ``BRIGHTWAVE_FIXTURE``: the JSON fixture the database is built from
  (default ``<repo>/fixtures/brightwave_crm.json``).
- ``BACKEND_ADMIN_TOKEN``: optional; when set, ``POST /admin/rebuild`` needs
  ``Authorization: Bearer <token>``, when unset it is open to loopback clients only.

A wrong value stops the backend at start-up with a message naming the variable.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE_URL = f"sqlite:///{REPO_ROOT / 'var' / 'backend.db'}"
DEFAULT_FIXTURE = REPO_ROOT / "fixtures" / "brightwave_crm.json"
SUPPORTED_DATABASES = ("sqlite", "postgresql")


class SettingsError(ValueError):
    """An environment variable holds a value the backend cannot use."""


@dataclass(frozen=True)
class Settings:
    """Everything the backend needs to know about its environment."""

    database_url: str
    fixture_path: Path
    admin_token: Optional[str] = None


def _database_url(env: Mapping[str, str]) -> str:
    raw = env.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    try:
        url = make_url(raw)
    except ArgumentError:
        # The value may carry a password: never echo it.
        raise SettingsError("DATABASE_URL: not a database URL (expected sqlite:///path "
                            "or postgresql://user:password@host/name)") from None
    if url.get_backend_name() not in SUPPORTED_DATABASES:
        raise SettingsError(f"DATABASE_URL={url.render_as_string(hide_password=True)!r}: "
                            f"expected one of {', '.join(SUPPORTED_DATABASES)}")
    return raw


def _fixture_path(env: Mapping[str, str]) -> Path:
    path = Path(env.get("BRIGHTWAVE_FIXTURE") or DEFAULT_FIXTURE)
    if not path.is_file():
        raise SettingsError(f"BRIGHTWAVE_FIXTURE={str(path)!r}: no such file")
    return path


def load_settings(env: Mapping[str, str]) -> Settings:
    """Build settings from an environment mapping, validating every value."""
    return Settings(
        database_url=_database_url(env),
        fixture_path=_fixture_path(env),
        admin_token=(env.get("BACKEND_ADMIN_TOKEN") or "").strip() or None,
    )
