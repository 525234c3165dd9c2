"""The supervisors' dashboard as it runs: the analytics service over a broker holding a
few days of conversations, and a desk reading it over HTTP (Rasa is not needed)."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.analytics.events import (
    T0,
    Script,
    abandoned,
    contained,
    fraud_handover,
    handed_over,
    resolved_order,
)
from tests.analytics.test_api import Client, caught_up, serving
from tests.desk.support import agent, start_desk
from tests.support.services import Service, free_port
from tests.support.stack import DeskClient

DAY = 86400.0
# The desk's support hours are in Europe/Berlin: T0 (00:00 UTC) is 01:00 on 30 Nov there.
START, END = "2025-11-29", "2025-12-02"
# A REST client chooses its sender id: one a spreadsheet would run as a formula.
FORMULA_SENDER = "=HYPERLINK(x)"


def scripts() -> list[Script]:
    return [
        resolved_order("alice", "rest", T0 + 3600),
        handed_over("bob", "socketio", T0 + 7200),
        abandoned(FORMULA_SENDER, "rest", T0 + DAY + 3600),
        contained("dave", "socketio", T0 + DAY + 7200),
        fraud_handover("erin", T0 + DAY + 9000),
        resolved_order("alice", "twilio", T0 + 2 * DAY + 3600),
    ]


@dataclass
class Dashboard:
    analytics: Client
    desk: Service

    def account(self, name: str, role: str) -> DeskClient:
        return agent(self.desk.url, name, role)


@contextmanager
def dashboard(home: Path, analytics_url: str | None = None) -> Iterator[Dashboard]:
    """The analytics service and a desk given its URL and token (or analytics_url)."""
    service = serving(home / "analytics", scripts())
    client = next(service)
    try:
        caught_up(client)
        token = client.auth["Authorization"].removeprefix("Bearer ")
        env = {"ANALYTICS_URL": analytics_url or client.url, "ANALYTICS_API_TOKEN": token}
        (home / "desk").mkdir(exist_ok=True)
        desk = start_desk("desk", home / "desk", f"http://127.0.0.1:{free_port()}", env)
        try:
            yield Dashboard(client, desk)
        finally:
            desk.stop()
    finally:
        service.close()
