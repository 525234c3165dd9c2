"""Watching after launch (issue 17): the fallback rate, hand-over rate, verification
failure rate and mean satisfaction over the last window (metrics.yml `alerts`), from
the analytics store's sessions, checked against their bounds.

An alert is raised once, when its figure leaves its bound, and cleared once, when it
is back inside: a log line (figures only, no personal data), an entry on the
supervisors' dashboard (`active` and `recent` in `GET /figures/daily`) and, when
ANALYTICS_ALERT_WEBHOOK_URL is set, a POST of the same JSON to it (with a timeout; a
failing webhook is logged and never stops the figures). A window with too few
conversations is not judged: the alert stays as it was.
"""

import logging
import threading
from collections import deque
from datetime import UTC, datetime
from typing import Any

import requests
from sqlalchemy.engine import Engine

from analytics.figures import VERIFY_IDENTITY, handed_over
from analytics.metrics_config import Alerts, MetricsConfig
from analytics.sessions import SessionFacts
from analytics.store import sessions_between
from common import clock

logger = logging.getLogger("analytics.alerts")
UNKNOWN_GOAL = "unknown"  # contract K1: the goal of a message the assistant could not place
RECENT = 50  # raised and cleared alerts kept for the dashboard
Json = dict[str, Any]


def _share(part: int, whole: int, enough: int) -> float | None:
    return round(part / whole, 4) if whole >= enough else None


def measure(sessions: list[SessionFacts], enough: int) -> dict[str, float | None]:
    """Each watched figure over these sessions; None with fewer than `enough` of what
    it is a share of (conversations, identity checks, satisfaction answers)."""
    talked = [s for s in sessions if s.user_turns > 0]
    checks = [o for s in talked for o in s.outcomes if o.get("goal") == VERIFY_IDENTITY]
    scores = [s.satisfaction for s in talked if s.satisfaction is not None]
    return {
        "fallback_rate": _share(
            sum(1 for s in talked if any(o.get("goal") == UNKNOWN_GOAL for o in s.outcomes)),
            len(talked),
            enough,
        ),
        "handover_rate": _share(sum(1 for s in talked if handed_over(s)), len(talked), enough),
        "verification_failure_rate": _share(
            sum(1 for o in checks if o.get("result") != "verified"), len(checks), enough
        ),
        "satisfaction_mean": round(sum(scores) / len(scores), 4) if len(scores) >= enough else None,
    }


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


class Watch:
    """The alerts' state; evaluate() is called by the service's scheduler or a test."""

    def __init__(self, store: Engine, config: MetricsConfig, webhook_url: str) -> None:
        self.store, self.config, self.webhook_url = store, config.alerts, webhook_url
        self.active: dict[str, Json] = {}
        self.recent: deque[Json] = deque(maxlen=RECENT)
        self.evaluated_at: str | None = None
        self._lock = threading.Lock()

    def evaluate(self) -> list[Json]:
        """Measure the window, raise and clear; the alerts raised or cleared now."""
        settings: Alerts = self.config
        with self._lock:
            now = clock.now()
            since = now - settings.window_hours * 3600
            with self.store.connect() as connection:
                window = sessions_between(connection, since, now)
            figures = measure(window, settings.min_conversations)
            changed = []
            for metric, bound in settings.bounds.items():
                value = figures[metric]
                if value is None:
                    continue
                outside, raised = bound.breached(value), metric in self.active
                if outside == raised:
                    continue
                alert = {
                    "metric": metric,
                    "state": "raised" if outside else "cleared",
                    "value": value,
                    "min": bound.min,
                    "max": bound.max,
                    "window_hours": settings.window_hours,
                    "conversations": sum(1 for s in window if s.user_turns > 0),
                    "at": _iso(now),
                }
                if outside:
                    self.active[metric] = alert
                else:
                    del self.active[metric]
                self.recent.appendleft(alert)
                changed.append(alert)
            self.evaluated_at = _iso(now)
        for alert in changed:
            logger.warning(
                "analytics.alert %s metric=%s value=%s min=%s max=%s window_hours=%s",
                alert["state"],
                alert["metric"],
                alert["value"],
                alert["min"],
                alert["max"],
                alert["window_hours"],
            )
            self._post(alert)
        return changed

    def _post(self, alert: Json) -> None:
        if not self.webhook_url:
            return
        try:
            answer = requests.post(
                self.webhook_url, json=alert, timeout=self.config.webhook_timeout_seconds
            )
        except requests.RequestException as error:
            logger.error("analytics.alert webhook failed: %s", type(error).__name__)
            return
        if not answer.ok:
            logger.error("analytics.alert webhook answered HTTP %d", answer.status_code)

    def scheduled(self) -> None:
        try:
            self.evaluate()
        except Exception:  # the store may be down: the next evaluation tries again
            logger.exception("analytics.alert evaluation failed")

    def view(self) -> Json:
        """What the dashboard shows: the alerts raised now and the latest changes."""
        return {
            "active": list(self.active.values()),
            "recent": list(self.recent),
            "evaluated_at": self.evaluated_at,
        }
