"""The stack's settings: every default in one place, each changeable by an
environment variable, checked before anything starts."""

import dataclasses
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field

from common.settings import EnvSettings
from stack.processes import ROOT, free_port

VENV_BIN = Path(os.environ.get("VIRTUAL_ENV") or ROOT / ".venv") / "bin"
# `rasa train` as the Makefile runs it. No story augmentation: MemoizationPolicy and
# RulePolicy train on the original trackers only, so augmented ones were made and thrown
# away (the same policies either way; a test compares them). No validation: it loaded
# the data a second time, and `make validate` and the release gate run the stricter
# `rasa data validate --fail-on-warnings`.
RASA_TRAIN = [str(VENV_BIN / "rasa"), "train", "--augmentation", "0", "--skip-validation"]


class ConfigError(ValueError):
    """An environment variable holds a value the stack cannot use."""


# Secrets a deployer sets for one service each; only that service is given them
# (stack/processes.py keeps every scoped secret out of what services inherit).
SERVICE_SECRETS: dict[str, frozenset[str]] = {
    "backend": frozenset({"BACKEND_ADMIN_TOKEN"}),
    "action-server": frozenset({"SWITCHBOARD_INTEGRATION_SECRET"}),
    "desk": frozenset({"CCAAS_WEBHOOK_SECRET"}),
    "memory": frozenset({"MEMORY_EVENT_SECRETS"}),
    "rasa": frozenset(
        {"TWILIO_AUTH_TOKEN", "SWITCHBOARD_SMTP_PASSWORD", "SWITCHBOARD_EMAIL_SECRET"}
    ),
    # To name a customer's e-mail conversation as the e-mail channel does (outreach/mail.py),
    # and to place outreach calls through Twilio's Calls API (outreach/voice.py).
    "outreach": frozenset({"SWITCHBOARD_EMAIL_SECRET", "TWILIO_AUTH_TOKEN"}),
}


@dataclass(frozen=True)
class StackConfig:
    """Where each service listens and what it is given."""

    host: str
    rasa_port: int
    action_port: int
    backend_port: int
    desk_port: int
    model: Path
    tracker_store_url: str
    tracker_store_journal: Path
    database_url: str
    action_server_token: str
    rasa_api_token: str
    desk_database_url: str
    desk_integration_token: str
    desk_admin_username: str
    desk_admin_password: str  # empty: `create-admin` generates one and prints it once
    log_dir: Path
    channel_state_url: str
    # The REST channel's JWT secret and the web chat's session-signing secret.
    rest_jwt_secret: str
    webchat_secret: str
    credentials: Path  # the input channels Rasa runs (credentials.yml)
    # Rasa's channels face the public interface; its HTTP API and the desk's thin
    # endpoint listen on the internal one (host) only, on their own port.
    public_host: str = "127.0.0.1"
    rasa_internal_port: int = 5006
    desk_rasa_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    # The supervisor's first wait before restarting a service that stopped.
    restart_backoff_seconds: float = 1.0
    # The endpoints file Rasa runs with; another for a second Rasa process (e.g. one
    # with a Redis lock store, tests/scale/test_redis_lock.py).
    endpoints: str = "endpoints.yml"
    # The action server's own store (verification lockouts) and the agents' token
    # for its identity-lock endpoints (contract C3).
    assistant_database_url: str = ""
    identity_admin_token: str = ""
    # The customer memory (memory/, issue #12): its port, database and callers' token.
    memory_port: int = 8200
    memory_database_url: str = ""
    memory_api_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    # Outcome metrics (analytics/, issue #15): Rasa's event broker, the analytics
    # store, the service's port and its read API's token.
    event_broker_url: str = ""
    analytics_database_url: str = ""
    analytics_port: int = 8300
    analytics_api_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    # Outreach (outreach/, issue #14): its API's port, database (the consent ledger) and token.
    outreach_port: int = 8400
    outreach_database_url: str = ""
    outreach_api_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    # Reads outreach's decision log only (the desk's supervisors' view), random per start.
    outreach_read_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    # Reads the backend's outreach lists (BACKEND_LIST_TOKEN), random per start.
    backend_list_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    # The deployer's secrets for one service each (SERVICE_SECRETS), as configured.
    service_secrets: dict[str, str] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def rasa_url(self) -> str:
        """Rasa's public listener: channel webhooks and the web chat page only."""
        return f"http://{_reachable(self.public_host)}:{self.rasa_port}"

    @property
    def rasa_internal_url(self) -> str:
        """Rasa's internal listener: the HTTP API (with RASA_API_TOKEN) and the desk's
        thin conversation endpoint (with a JWT signed by SWITCHBOARD_DESK_RASA_SECRET)."""
        return f"http://{_reachable(self.host)}:{self.rasa_internal_port}"

    @property
    def action_url(self) -> str:
        return f"http://{self.host}:{self.action_port}"

    @property
    def backend_url(self) -> str:
        return f"http://{self.host}:{self.backend_port}"

    @property
    def desk_url(self) -> str:
        return f"http://{self.host}:{self.desk_port}"

    @property
    def memory_url(self) -> str:
        return f"http://{self.host}:{self.memory_port}"

    @property
    def analytics_url(self) -> str:
        return f"http://{self.host}:{self.analytics_port}"

    @property
    def outreach_url(self) -> str:
        return f"http://{self.host}:{self.outreach_port}"

    def env(self) -> dict[str, str]:
        """What every service of the stack runs with; no secret among it."""
        return {
            **self.extra_env,
            "PYTHONPATH": str(ROOT),
            # No telemetry or crash reports leave the machine.
            "RASA_TELEMETRY_ENABLED": "false",
        }

    def _own(self, service: str) -> dict[str, str]:
        """The deployer's secrets for this service (SERVICE_SECRETS)."""
        return {
            name: value
            for name, value in self.service_secrets.items()
            if name in SERVICE_SECRETS[service]
        }

    def backend_env(self) -> dict[str, str]:
        """The sample backend's environment: its database, its admin token (if set) and the
        token of its outreach lists."""
        return {
            **self.env(),
            **self._own("backend"),
            "DATABASE_URL": self.database_url,
            "BACKEND_LIST_TOKEN": self.backend_list_token,
        }

    def action_env(self) -> dict[str, str]:
        """The action server's environment: the CRM and the desk it calls, the token
        Rasa calls it with, its own database and the identity-lock token, which only
        it and the desk are given."""
        return {
            **self.env(),
            **self._own("action-server"),
            "BACKEND_URL": self.backend_url,
            "ACTION_SERVER_TOKEN": self.action_server_token,
            "DESK_URL": self.desk_url,
            "DESK_INTEGRATION_TOKEN": self.desk_integration_token,
            "ASSISTANT_DATABASE_URL": self.assistant_database_url,
            "IDENTITY_ADMIN_TOKEN": self.identity_admin_token,
            **self.memory_client_env(),
            **self.outreach_client_env(),
        }

    def outreach_client_env(self) -> dict[str, str]:
        """Where the outreach API is and its callers' token (the action server, the desk)."""
        return {"OUTREACH_URL": self.outreach_url, "OUTREACH_API_TOKEN": self.outreach_api_token}

    def outreach_env(self) -> dict[str, str]:
        """Outreach's environment: its database (the consent ledger) and callers' token;
        the memory's feed, the backend and Rasa's API token, to send what it decides."""
        return {
            **self.env(),
            **self._own("outreach"),
            "OUTREACH_API_TOKEN": self.outreach_api_token,
            "OUTREACH_READ_TOKEN": self.outreach_read_token,
            "OUTREACH_DATABASE_URL": self.outreach_database_url,
            **self.memory_client_env(),
            "BACKEND_URL": self.backend_url,
            "BACKEND_LIST_TOKEN": self.backend_list_token,
            "RASA_URL": self.rasa_internal_url,
            "RASA_API_TOKEN": self.rasa_api_token,
        }

    def memory_client_env(self) -> dict[str, str]:
        """Where the memory is and its callers' token (the action server, the desk)."""
        return {"MEMORY_URL": self.memory_url, "MEMORY_API_TOKEN": self.memory_api_token}

    def memory_env(self) -> dict[str, str]:
        """The memory's environment: its database and callers' token, and Rasa's API
        token, which only it and outreach hold, to reach a live conversation
        (trigger_intent)."""
        return {
            **self.env(),
            **self._own("memory"),
            **self.memory_client_env(),
            "MEMORY_DATABASE_URL": self.memory_database_url,
            "RASA_URL": self.rasa_internal_url,
            "RASA_API_TOKEN": self.rasa_api_token,
        }

    def analytics_env(self) -> dict[str, str]:
        """The analytics service's environment: the broker's events it reads, its own
        store and its read API's token."""
        return {
            **self.env(),
            "EVENT_BROKER_URL": self.event_broker_url,
            "ANALYTICS_DATABASE_URL": self.analytics_database_url,
            "ANALYTICS_API_TOKEN": self.analytics_api_token,
            # Outreach's decision log, for the dashboard's outreach figures (read-only).
            "OUTREACH_URL": self.outreach_url,
            "OUTREACH_READ_TOKEN": self.outreach_read_token,
        }

    def desk_env(self) -> dict[str, str]:
        """The desk's environment: the integration token it checks and the secret of
        its conversation-scoped credential, which no other service but Rasa is given.
        Never RASA_API_TOKEN: the desk only reads and appends to conversations."""
        return {
            **self.env(),
            **self._own("desk"),
            "DESK_INTEGRATION_TOKEN": self.desk_integration_token,
            "IDENTITY_ADMIN_TOKEN": self.identity_admin_token,
            "ACTION_SERVER_BASE_URL": self.action_url,
            **self.memory_client_env(),
            # An admin's erasure asks each of these to erase its part (desk/erasure.py);
            # supervisors' view of outreach's decision log reads with the read-only token.
            **self.outreach_client_env(),
            "OUTREACH_READ_TOKEN": self.outreach_read_token,
            # The supervisors' dashboard and an erasure's analytics part.
            "ANALYTICS_URL": self.analytics_url,
            "ANALYTICS_API_TOKEN": self.analytics_api_token,
            "DESK_DATABASE_URL": self.desk_database_url,
            "RASA_URL": self.rasa_internal_url,
            "SWITCHBOARD_DESK_RASA_SECRET": self.desk_rasa_secret,
        }

    def rasa_env(self) -> dict[str, str]:
        """Rasa's environment: the action server and the token to call it, its stores,
        the secrets only its channels hold and the one that checks the desk's JWTs."""
        return {
            **self.env(),
            **self._own("rasa"),
            "ACTION_SERVER_URL": f"{self.action_url}/webhook",
            "ACTION_SERVER_TOKEN": self.action_server_token,
            "TRACKER_STORE_URL": self.tracker_store_url,
            "TRACKER_STORE_JOURNAL": str(self.tracker_store_journal),
            # What the channels remember across restarts (connectors/state.py).
            "CHANNEL_STATE_URL": self.channel_state_url,
            "SWITCHBOARD_REST_JWT_SECRET": self.rest_jwt_secret,
            "SWITCHBOARD_WEBCHAT_SECRET": self.webchat_secret,
            "SWITCHBOARD_DESK_RASA_SECRET": self.desk_rasa_secret,
            # Rasa's SQL event broker (endpoints.yml), read by the analytics service.
            "EVENT_BROKER_URL": self.event_broker_url,
        }

    def backend_argv(self) -> list[str]:
        return [
            str(VENV_BIN / "python"),
            "-m",
            "backend",
            "--host",
            self.host,
            "--port",
            str(self.backend_port),
        ]

    def desk_argv(self) -> list[str]:
        return [
            str(VENV_BIN / "python"),
            "-m",
            "desk",
            "--host",
            self.host,
            "--port",
            str(self.desk_port),
        ]

    def memory_argv(self) -> list[str]:
        return [
            str(VENV_BIN / "python"),
            "-m",
            "memory",
            "--host",
            self.host,
            "--port",
            str(self.memory_port),
        ]

    def analytics_argv(self) -> list[str]:
        return [
            str(VENV_BIN / "python"),
            "-m",
            "analytics",
            "--host",
            self.host,
            "--port",
            str(self.analytics_port),
        ]

    def outreach_argv(self) -> list[str]:
        return [
            str(VENV_BIN / "python"),
            "-m",
            "outreach",
            "serve",
            "--host",
            self.host,
            "--port",
            str(self.outreach_port),
        ]

    def action_server_argv(self) -> list[str]:
        return [
            str(VENV_BIN / "python"),
            "-m",
            "stack.action_server",
            "--host",
            self.host,
            "--port",
            str(self.action_port),
        ]

    def rasa_argv(self, command: str = "run") -> list[str]:
        """`rasa run` (or `rasa shell`), with stack/rasa_server.py's fix, on the trained
        model with our endpoints."""
        argv = [
            str(VENV_BIN / "python"),
            "-m",
            "stack.rasa_server",
            command,
            "--model",
            str(self.model),
            "--endpoints",
            self.endpoints,
            "--credentials",
            str(self.credentials),
            "--port",
            str(self.rasa_port),
        ]
        # Channels on the public interface; the HTTP API only ever with a token (an
        # open one is CVE-2024-49375's precondition), and only on the internal
        # listener (stack/rasa_server.py). One argument, "--auth-token=…": a random
        # token may begin with "-", which argparse would take for an option of its own.
        return argv + [
            "--interface",
            self.public_host,
            "--enable-api",
            f"--auth-token={self.rasa_api_token}",
            "--internal-interface",
            self.host,
            "--internal-port",
            str(self.rasa_internal_port),
        ]


def _reachable(host: str) -> str:
    """The address a local client uses for a listener bound to host."""
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)


VAR = ROOT / "var"


def _port(default: int, variable: str) -> Any:
    return Field(default, env=variable, ge=1, le=65535, rule="a TCP port from 1 to 65535")


def _sqlite(name: str) -> str:
    return f"sqlite:///{VAR / name}"


class StackSettings(EnvSettings):
    """The stack's environment, every value checked (common/settings.py). Secrets left
    unset are made fresh for each start: only the services are told them."""

    host: str = Field("127.0.0.1", env="SWITCHBOARD_HOST")
    public_host: str = Field("127.0.0.1", env="SWITCHBOARD_PUBLIC_HOST")
    rasa_port: int = _port(5005, "RASA_PORT")
    rasa_internal_port: int = _port(5006, "RASA_INTERNAL_PORT")
    action_port: int = _port(5055, "ACTION_SERVER_PORT")
    backend_port: int = _port(8000, "BACKEND_PORT")
    desk_port: int = _port(8100, "DESK_PORT")
    memory_port: int = _port(8200, "MEMORY_PORT")
    analytics_port: int = _port(8300, "ANALYTICS_PORT")
    outreach_port: int = _port(8400, "OUTREACH_PORT")
    restart_backoff_seconds: float = Field(
        1.0,
        env="SWITCHBOARD_RESTART_BACKOFF_SECONDS",
        gt=0,
        le=60,
        rule="seconds above 0 and at most 60",
    )
    model: Path = Field(ROOT / "models" / "switchboard.tar.gz", env="SWITCHBOARD_MODEL")
    credentials: Path = Field(ROOT / "credentials.yml", env="SWITCHBOARD_CREDENTIALS")
    log_dir: Path = Field(VAR / "log", env="SWITCHBOARD_LOG_DIR")
    tracker_store_url: str = Field(_sqlite("tracker.db"), env="TRACKER_STORE_URL")
    tracker_store_journal: Path = Field(VAR / "unsaved_turns.jsonl", env="TRACKER_STORE_JOURNAL")
    database_url: str = Field(_sqlite("backend.db"), env="DATABASE_URL")
    desk_database_url: str = Field(_sqlite("desk.db"), env="DESK_DATABASE_URL")
    channel_state_url: str = Field(_sqlite("channels.db"), env="CHANNEL_STATE_URL")
    assistant_database_url: str = Field(_sqlite("assistant.db"), env="ASSISTANT_DATABASE_URL")
    memory_database_url: str = Field(_sqlite("memory.db"), env="MEMORY_DATABASE_URL")
    event_broker_url: str = Field(_sqlite("events.db"), env="EVENT_BROKER_URL")
    analytics_database_url: str = Field(_sqlite("analytics.db"), env="ANALYTICS_DATABASE_URL")
    outreach_database_url: str = Field(_sqlite("outreach.db"), env="OUTREACH_DATABASE_URL")
    desk_admin_username: str = Field("admin", env="DESK_ADMIN_USERNAME")
    desk_admin_password: str = Field("", env="DESK_ADMIN_PASSWORD", secret=True)
    desk_rasa_secret: str | None = Field(None, env="SWITCHBOARD_DESK_RASA_SECRET", secret=True)
    action_server_token: str | None = Field(None, env="ACTION_SERVER_TOKEN", secret=True)
    rasa_api_token: str | None = Field(None, env="RASA_API_TOKEN", secret=True)
    desk_integration_token: str | None = Field(None, env="DESK_INTEGRATION_TOKEN", secret=True)
    identity_admin_token: str | None = Field(None, env="IDENTITY_ADMIN_TOKEN", secret=True)
    memory_api_token: str | None = Field(None, env="MEMORY_API_TOKEN", secret=True)
    analytics_api_token: str | None = Field(None, env="ANALYTICS_API_TOKEN", secret=True)
    outreach_api_token: str | None = Field(None, env="OUTREACH_API_TOKEN", secret=True)
    rest_jwt_secret: str | None = Field(None, env="SWITCHBOARD_REST_JWT_SECRET", secret=True)
    webchat_secret: str | None = Field(None, env="SWITCHBOARD_WEBCHAT_SECRET", secret=True)


def _fresh(value: str | None, size: int = 24) -> str:
    return value or secrets.token_urlsafe(size)


def load_config(env: Mapping[str, str] = os.environ) -> StackConfig:
    """The stack's configuration from the environment, with the documented defaults."""
    given = StackSettings.from_env(env, ConfigError)
    if given.rasa_internal_port == given.rasa_port:
        raise ConfigError(
            f"RASA_INTERNAL_PORT={given.rasa_internal_port}: must differ from RASA_PORT "
            "(the public listener's port)"
        )
    return StackConfig(
        **given.dict(
            exclude={
                "desk_rasa_secret",
                "action_server_token",
                "rasa_api_token",
                "desk_integration_token",
                "identity_admin_token",
                "memory_api_token",
                "analytics_api_token",
                "outreach_api_token",
                "rest_jwt_secret",
                "webchat_secret",
            }
        ),
        desk_rasa_secret=_fresh(given.desk_rasa_secret, 32),
        action_server_token=_fresh(given.action_server_token),
        rasa_api_token=_fresh(given.rasa_api_token),
        desk_integration_token=_fresh(given.desk_integration_token),
        identity_admin_token=_fresh(given.identity_admin_token),
        memory_api_token=_fresh(given.memory_api_token),
        analytics_api_token=_fresh(given.analytics_api_token),
        outreach_api_token=_fresh(given.outreach_api_token),
        rest_jwt_secret=_fresh(given.rest_jwt_secret, 32),
        webchat_secret=_fresh(given.webchat_secret, 32),
        service_secrets={
            name: env[name] for names in SERVICE_SECRETS.values() for name in names if env.get(name)
        },
    )


def isolated_config(
    home: Path, extra_env: dict[str, str] | None = None, rasa_api_token: str | None = None
) -> StackConfig:
    """A stack on free loopback ports with its own databases and logs under home,
    for tests and benchmarks that must not disturb (or be disturbed by) `make run`."""
    config = load_config(
        {
            "RASA_PORT": str(free_port()),
            "RASA_INTERNAL_PORT": str(free_port()),
            "ACTION_SERVER_PORT": str(free_port()),
            "BACKEND_PORT": str(free_port()),
            "DESK_PORT": str(free_port()),
            "MEMORY_PORT": str(free_port()),
            "ANALYTICS_PORT": str(free_port()),
            "EVENT_BROKER_URL": f"sqlite:///{home / 'events.db'}",
            "ANALYTICS_DATABASE_URL": f"sqlite:///{home / 'analytics.db'}",
            "MEMORY_DATABASE_URL": f"sqlite:///{home / 'memory.db'}",
            "OUTREACH_PORT": str(free_port()),
            "OUTREACH_DATABASE_URL": f"sqlite:///{home / 'outreach.db'}",
            "DESK_DATABASE_URL": f"sqlite:///{home / 'desk.db'}",
            "TRACKER_STORE_URL": f"sqlite:///{home / 'tracker.db'}",
            "TRACKER_STORE_JOURNAL": str(home / "unsaved_turns.jsonl"),
            "DATABASE_URL": f"sqlite:///{home / 'backend.db'}",
            "ASSISTANT_DATABASE_URL": f"sqlite:///{home / 'assistant.db'}",
            "RASA_API_TOKEN": rasa_api_token or "",
            "DESK_ADMIN_PASSWORD": secrets.token_urlsafe(18),
            "SWITCHBOARD_LOG_DIR": str(home / "log"),
            "CHANNEL_STATE_URL": f"sqlite:///{home / 'channels.db'}",
        }
    )
    return dataclasses.replace(config, extra_env=dict(extra_env or {}))
