"""The analytics service's settings, read from the environment and checked at start."""

from pathlib import Path
from urllib.parse import urlparse

from limits import parse_many
from pydantic import Field, validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from common.settings import EnvSettings

ROOT = Path(__file__).resolve().parents[1]
_URL_RULE = "an SQLAlchemy database URL such as sqlite:///var/analytics.db"


class SettingsError(ValueError):
    """A setting the analytics service cannot use; the message names it."""


class Settings(EnvSettings):
    # Switchboard's own analytics store, and Rasa's SQL event broker it reads.
    database_url: str = Field(
        f"sqlite:///{ROOT / 'var' / 'analytics.db'}", env="ANALYTICS_DATABASE_URL", rule=_URL_RULE
    )
    event_broker_url: str = Field(
        f"sqlite:///{ROOT / 'var' / 'events.db'}", env="EVENT_BROKER_URL", rule=_URL_RULE
    )
    api_token: str = Field(
        ..., env="ANALYTICS_API_TOKEN", min_length=16, secret=True, rule="at least 16 characters"
    )
    metrics_file: Path = Field(ROOT / "metrics.yml", env="ANALYTICS_METRICS_FILE")
    poll_seconds: float = Field(
        1.0, env="ANALYTICS_POLL_SECONDS", ge=0.05, le=60, rule="seconds from 0.05 to 60"
    )
    batch_size: int = Field(
        500, env="ANALYTICS_BATCH_SIZE", ge=1, le=10000, rule="a whole number from 1 to 10000"
    )
    rate_limit: str = Field(
        "120/minute", env="ANALYTICS_RATE_LIMIT", rule="a rate such as '120/minute'"
    )

    # The scaled profile's path: Rasa's Pika broker publishes to this RabbitMQ queue and
    # the service relays it into the broker table (analytics/rabbit.py); empty: off.
    rabbitmq_url: str = Field(
        "",
        env="ANALYTICS_RABBITMQ_URL",
        secret=True,
        rule="an amqp:// or amqps:// URL such as amqp://user:password@127.0.0.1:5672/",
    )
    rabbitmq_queue: str = Field(
        "switchboard_events",
        env="ANALYTICS_RABBITMQ_QUEUE",
        regex=r"^[A-Za-z0-9_.:-]{1,255}$",
        rule="a queue name of letters, digits, '_', '.', ':' or '-' (at most 255)",
    )

    # Where a raised or cleared alert is POSTed (analytics/alerts.py); empty: no webhook.
    alert_webhook_url: str = Field(
        "",
        env="ANALYTICS_ALERT_WEBHOOK_URL",
        secret=True,
        rule="an http:// or https:// URL such as https://alerts.example.com/switchboard",
    )
    # Outreach's decision log (GET /decisions, its read-only token), copied into the
    # store for the dashboard's outreach figures (analytics/outreach_feed.py); unset: off.
    outreach_url: str = Field("", env="OUTREACH_URL", rule="the outreach API's URL")
    outreach_token: str = Field(
        "", env="OUTREACH_READ_TOKEN", secret=True, rule="outreach's read-only token"
    )
    outreach_poll_seconds: float = Field(
        5.0, env="ANALYTICS_OUTREACH_POLL_SECONDS", ge=0.05, le=600, rule="seconds from 0.05 to 600"
    )

    @validator("alert_webhook_url", "outreach_url")
    def _http_url(cls, value: str) -> str:
        parsed = urlparse(value)
        if value and (parsed.scheme not in ("http", "https") or not parsed.hostname):
            raise ValueError("not an http:// or https:// URL with a host")
        return value

    @validator("rabbitmq_url")
    def _amqp_url(cls, value: str) -> str:
        parsed = urlparse(value)
        if value and (parsed.scheme not in ("amqp", "amqps") or not parsed.hostname):
            raise ValueError("not an amqp:// or amqps:// URL with a host")
        return value

    @validator("database_url", "event_broker_url")
    def _database_url(cls, value: str) -> str:
        try:
            make_url(value)
        except ArgumentError:
            raise ValueError("not an SQLAlchemy database URL") from None
        return value

    @validator("rate_limit")
    def _rate(cls, value: str) -> str:
        parse_many(value)
        return value
