"""The desk's settings: where things are (environment) and how it behaves (YAML).

Environment:
- ``DESK_DATABASE_URL``: SQLAlchemy URL of the hand-over store
  (default ``sqlite:///<repo>/var/desk.db``).
- ``DESK_INTEGRATION_TOKEN``: bearer token of the action server, which posts packets.
- ``RASA_URL``: Rasa's internal listener (``RASA_INTERNAL_PORT``), where the desk's
  conversation endpoint is; ``SWITCHBOARD_DESK_RASA_SECRET``: the key of the
  short-lived, conversation-scoped JWTs the desk signs for it. The desk never holds
  Rasa's API token.
- ``ACTION_SERVER_BASE_URL``, ``IDENTITY_ADMIN_TOKEN``: where agents' unlocks of a
  customer's verification lockout go (optional: without them unlocking answers 503).
- ``OUTREACH_URL``, ``OUTREACH_READ_TOKEN``: outreach's API and its read-only token for
  the decision log supervisors read on the desk (optional: without them that view
  answers 503).
- ``ANALYTICS_URL``, ``ANALYTICS_API_TOKEN``: the analytics service the supervisors'
  dashboard reads (optional: without them the dashboard's data answers 503).
- ``MEMORY_URL``/``MEMORY_API_TOKEN``, ``OUTREACH_URL``/``OUTREACH_API_TOKEN``,
  ``ANALYTICS_URL``/``ANALYTICS_API_TOKEN``: the services an admin's erasure of a
  customer asks to erase their part (desk/erasure.py); one not set is reported as
  a part not done.
- ``CCAAS_WEBHOOK_URL``, ``CCAAS_WEBHOOK_SECRET``: optional outbound webhook, and the
  key of its ``X-Switchboard-Signature: sha256=<hex HMAC of the body>`` header.
- ``DESK_SETTINGS``: the behaviour file (default ``desk/settings.yml``): the queue, the
  support hours (`desk/hours.py`), what the customer is told when an agent moves
  (`desk/wording.py`), timeouts and sign-in limits.
- ``DESK_BEHAVIOUR_FILES_DIR``: the folder of the behaviour files supervisors change
  through the desk with a second approver (desk/changes.py; default the repository).

A wrong value stops the desk at start-up with a message naming it.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from limits import parse_many
from pydantic import (
    BaseModel,
    Extra,
    Field,
    PositiveFloat,
    PositiveInt,
    ValidationError,
    validator,
)

from common.config_files import problems, read_yaml
from common.settings import EnvSettings, http_url
from desk.hours import SupportHours
from desk.wording import AgentWording

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BEHAVIOUR = Path(__file__).resolve().parent / "settings.yml"
DEFAULT_DATABASE_URL = f"sqlite:///{ROOT / 'var' / 'desk.db'}"


class SettingsError(ValueError):
    """A setting the desk cannot use; the message names it."""


class _Strict(BaseModel):
    class Config:
        extra = Extra.forbid


class QueueSettings(_Strict):
    minutes_per_handoff: PositiveInt
    agents_on_duty: PositiveInt


class RasaSettings(_Strict):
    connect_timeout_seconds: PositiveFloat
    read_timeout_seconds: PositiveFloat


class WebhookSettings(_Strict):
    max_attempts: PositiveInt
    initial_backoff_seconds: PositiveFloat
    max_backoff_seconds: PositiveFloat
    timeout_seconds: PositiveFloat


class AccountSettings(_Strict):
    """Sign-in sessions, passwords and how often one may try (`limits` notation,
    e.g. "5/15 minutes")."""

    session_hours: PositiveFloat = 12
    idle_minutes: PositiveFloat = 30
    min_password_length: PositiveInt = 12
    cookie_secure: bool = False
    failed_sign_ins_per_account: str = "5/15 minutes"
    failed_sign_ins_per_client: str = "20/15 minutes"
    requests_per_account: str = "600/minute"

    @validator("failed_sign_ins_per_account", "failed_sign_ins_per_client", "requests_per_account")
    def _a_rate(cls, value: str) -> str:
        try:
            parse_many(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a rate such as '5/15 minutes'") from None
        return value


class IdentitySettings(_Strict):
    """Calls to the action server's identity lockouts (an agent's unlock)."""

    connect_timeout_seconds: PositiveFloat = 2
    read_timeout_seconds: PositiveFloat = 5


class AnalyticsSettings(_Strict):
    """Calls to the analytics service (the supervisors' dashboard)."""

    connect_timeout_seconds: PositiveFloat = 2
    read_timeout_seconds: PositiveFloat = 10


class ErasureSettings(_Strict):
    """Calls to the services that erase their part of a customer (an admin's erasure)."""

    connect_timeout_seconds: PositiveFloat = 2
    read_timeout_seconds: PositiveFloat = 15


class OfflineReplySettings(_Strict):
    """An agent's messages to a customer who is not in a live chat with them (by
    e-mail, or by text message to a caller who has hung up): which moves send one (a
    claim or a close is internal: nothing of its own) and the e-mail signature, with
    {agent}."""

    sent_moves: list[Literal["claim", "reply", "hand_back", "close"]] = ["reply", "hand_back"]
    signature: str = "Kind regards,\n{agent}\nBrightwave Customer Service"

    @validator("signature")
    def _a_template(cls, value: str) -> str:
        try:
            filled = value.format(agent="Dana")
        except (KeyError, IndexError, ValueError):
            raise ValueError("may name only {agent} (and write {{ }} for braces)") from None
        if not filled.strip():
            raise ValueError("must not be empty")
        return value


class Behaviour(_Strict):
    queue: QueueSettings
    rasa: RasaSettings
    webhook: WebhookSettings
    accounts: AccountSettings = AccountSettings()
    identity: IdentitySettings = IdentitySettings()
    analytics: AnalyticsSettings = AnalyticsSettings()
    erasure: ErasureSettings = ErasureSettings()
    hours: SupportHours
    agent_messages: AgentWording
    offline_replies: OfflineReplySettings = OfflineReplySettings()


@dataclass(frozen=True)
class Settings:
    database_url: str
    integration_token: str
    rasa_url: str
    desk_rasa_secret: str
    webhook_url: str | None
    webhook_secret: str | None
    action_server_url: str | None
    identity_admin_token: str | None
    behaviour: Behaviour
    # Outreach's read-only token, for supervisors' view of its decision log.
    outreach_read_token: str | None = None
    # The services that erase their part of a customer: (URL, token) each, or None.
    memory_url: str | None = None
    memory_api_token: str | None = None
    outreach_url: str | None = None
    outreach_api_token: str | None = None
    analytics_url: str | None = None
    analytics_api_token: str | None = None
    # Where escalation.yml, outreach.yml, metrics.yml and lifecycle.yml live (desk.changes).
    behaviour_files_dir: Path = ROOT


def load_behaviour(path: Path) -> Behaviour:
    """The validated behaviour file; SettingsError says which value is wrong and why."""
    raw = read_yaml(path, SettingsError)
    if not isinstance(raw, dict):
        raise SettingsError(f"{path}: expected a mapping with queue, rasa and webhook")
    try:
        return Behaviour.parse_obj(raw)
    except ValidationError as error:
        raise SettingsError(f"{path}: {'; '.join(problems(error))}") from None


MIN_SECRET_CHARS = 32  # HS256 wants a key of at least 256 bits (RFC 7518 3.2)


class _Environment(EnvSettings):
    """The desk's environment variables (see the module's docstring)."""

    database_url: str = Field(DEFAULT_DATABASE_URL, env="DESK_DATABASE_URL", secret=True)
    integration_token: str = Field(..., env="DESK_INTEGRATION_TOKEN", secret=True)
    rasa_url: str = Field(..., env="RASA_URL", rule="an http:// or https:// URL")
    desk_rasa_secret: str = Field(
        ...,
        env="SWITCHBOARD_DESK_RASA_SECRET",
        secret=True,
        min_length=MIN_SECRET_CHARS,
        rule=f"at least {MIN_SECRET_CHARS} characters",
    )
    webhook_url: str | None = Field(
        None, env="CCAAS_WEBHOOK_URL", rule="an http:// or https:// URL"
    )
    webhook_secret: str | None = Field(None, env="CCAAS_WEBHOOK_SECRET", secret=True)
    action_server_url: str | None = Field(
        None, env="ACTION_SERVER_BASE_URL", rule="an http:// or https:// URL"
    )
    identity_admin_token: str | None = Field(None, env="IDENTITY_ADMIN_TOKEN", secret=True)
    memory_url: str | None = Field(None, env="MEMORY_URL", rule="an http:// or https:// URL")
    memory_api_token: str | None = Field(None, env="MEMORY_API_TOKEN", secret=True)
    outreach_url: str | None = Field(None, env="OUTREACH_URL", rule="an http:// or https:// URL")
    outreach_api_token: str | None = Field(None, env="OUTREACH_API_TOKEN", secret=True)
    analytics_url: str | None = Field(None, env="ANALYTICS_URL", rule="an http:// or https:// URL")
    analytics_api_token: str | None = Field(None, env="ANALYTICS_API_TOKEN", secret=True)
    behaviour_path: Path = Field(DEFAULT_BEHAVIOUR, env="DESK_SETTINGS")
    outreach_read_token: str | None = Field(None, env="OUTREACH_READ_TOKEN", secret=True)
    behaviour_files_dir: Path = Field(ROOT, env="DESK_BEHAVIOUR_FILES_DIR")

    _urls = validator(
        "rasa_url",
        "webhook_url",
        "action_server_url",
        "memory_url",
        "outreach_url",
        "analytics_url",
        allow_reuse=True,
    )(http_url)

    @validator(
        "integration_token",
        "desk_rasa_secret",
        "webhook_secret",
        "identity_admin_token",
        "memory_api_token",
        "outreach_api_token",
        "analytics_api_token",
        pre=True,
    )
    def _stripped(cls, value: str | None) -> str | None:
        return (value or "").strip() or None


def load_settings(env: Mapping[str, str]) -> Settings:
    """Settings from an environment mapping, every value checked."""
    given = _Environment.from_env(env, SettingsError)
    return Settings(
        **given.dict(exclude={"behaviour_path"}), behaviour=load_behaviour(given.behaviour_path)
    )
