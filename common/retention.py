"""Retention (issue 17): how long each kind of data is kept (retention.yml, checked when
each service starts), and the job with which each owner deletes its own data once it
is older than that. No service reaches into another's tables: Rasa's process purges
the tracker store and the channels' state, the desk its hand-overs (its audit
log and erasure receipts are kept: the hash chain allows no gap), the
memory its timeline, analytics its events and sessions, outreach its decision log.

Each run is dated by common/clock.py (so a test can age data with
SWITCHBOARD_CLOCK_FILE), re-reads retention.yml (an approved change applies at the
next run; a broken file keeps the last good periods and says so), and reports what
it deleted: kind, channel, count and cut-off, never whose data it was.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from apscheduler.schedulers.background import BackgroundScheduler
from pydantic import Field, ValidationError, conint, validator

from common import clock
from common.config_files import Strict, problems, read_yaml
from common.periodic import every

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PATH = ROOT / "retention.yml"
DAY = 86400.0
# The channels a conversation or a hand-over comes in on (Rasa's input channel names).
Channel = Literal["rest", "socketio", "twilio", "twilio_voice", "email"]
Days = conint(ge=1, le=3650)

logger = logging.getLogger(__name__)


class RetentionConfigError(ValueError):
    """retention.yml is missing or has a bad value; the message names the key."""


class Period(Strict):
    days: Days  # type: ignore[valid-type]


class ChannelPeriod(Strict):
    """A period with exceptions per channel (a voice transcript may go sooner)."""

    days: Days  # type: ignore[valid-type]
    channels: dict[Channel, Days] = {}  # type: ignore[valid-type]

    def days_for(self, channel: str | None) -> int:
        return self.channels.get(channel, self.days)  # type: ignore[call-overload]


class RetentionConfig(Strict):
    run_every_minutes: int = Field(60, ge=1, le=1440)
    conversations: ChannelPeriod  # tracker store events, where replies go (Rasa)
    handoffs: ChannelPeriod  # the desk's hand-overs: packets, transcripts, ratings
    analytics_events: Period  # Rasa's event broker table (folded already)
    analytics_sessions: Period  # the figures' sessions
    memory_timeline: Period  # the memory's conversations and business events
    outreach_decisions: Period  # outreach's decision log

    @validator("analytics_sessions")
    def _figures_outlive_events(cls, value: Period, values: dict[str, Any]) -> Period:
        events = values.get("analytics_events")
        if events is not None and value.days < events.days:
            raise ValueError("sessions are the events' summary: keep them at least as long")
        return value


def parse_retention(data: object) -> RetentionConfig:
    if not isinstance(data, dict):
        raise RetentionConfigError("retention.yml: expected a mapping at the top level")
    try:
        return RetentionConfig.parse_obj(data)
    except ValidationError as error:
        raise RetentionConfigError("retention.yml: " + "; ".join(problems(error))) from None


def load_retention(path: Path = DEFAULT_PATH) -> RetentionConfig:
    return parse_retention(read_yaml(path, RetentionConfigError))


def cutoff(now: float, days: int) -> float:
    """Unix seconds before which data of a `days` period has expired."""
    return now - days * DAY


@dataclass(frozen=True)
class Deletion:
    kind: str  # e.g. "tracker_events"
    count: int
    cutoff: float
    channel: str | None = None

    def view(self) -> dict[str, Any]:
        at = datetime.fromtimestamp(self.cutoff, UTC).isoformat(timespec="seconds")
        return {**asdict(self), "cutoff": at}


Purge = Callable[[RetentionConfig, float], list[Deletion]]


class RetentionJob:
    """One owner's retention: run() now (a test, an operator) or every
    run_every_minutes in a background thread once started."""

    def __init__(self, owner: str, purge: Purge, path: Path = DEFAULT_PATH) -> None:
        self.owner, self.purge, self.path = owner, purge, path
        self.config = load_retention(path)  # a bad file stops the start
        self.last: dict[str, Any] | None = None
        self._running = threading.Lock()
        self._scheduler: BackgroundScheduler | None = None

    def _reload(self) -> str | None:
        try:
            self.config = load_retention(self.path)
        except RetentionConfigError as error:
            logger.error("retention %s: keeping the last good periods (%s)", self.owner, error)
            return str(error)
        return None

    def run(self) -> dict[str, Any]:
        """Delete what has expired; the report (also kept as `last` and logged)."""
        with self._running:
            problem = self._reload()
            now = clock.now()
            deletions = self.purge(self.config, now)
            report = {
                "owner": self.owner,
                "ran_at": datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds"),
                "config_problem": problem,
                "deleted": [deletion.view() for deletion in deletions],
            }
            for deletion in deletions:
                logger.info(
                    "retention %s: deleted %d %s%s older than %s",
                    self.owner,
                    deletion.count,
                    deletion.kind,
                    f" ({deletion.channel})" if deletion.channel else "",
                    deletion.view()["cutoff"],
                )
            self.last = report
            return report

    def _scheduled(self) -> None:
        try:
            self.run()
        except Exception:  # the store may be down: the next run tries again
            logger.exception("retention %s: the run failed", self.owner)

    def start(self) -> None:
        """Run every run_every_minutes (the first one after that much time)."""
        self._scheduler = every(self.config.run_every_minutes * 60, self._scheduled)

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None

    def status(self) -> dict[str, Any]:
        return {
            "owner": self.owner,
            "every_minutes": self.config.run_every_minutes,
            "last": self.last,
        }
