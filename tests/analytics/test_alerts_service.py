"""Alerts from the running analytics service (issue 17): a hand-over rate over its bound
in the window raises one alert (a log line without personal data, the dashboard's
figures, one POST to a local webhook receiver), evaluating again repeats nothing, and
the rate back inside clears it with one more POST."""

import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import yaml

from analytics.sessions import SessionFacts
from analytics.store import create_schema, save_session
from common.clock import CLOCK_FILE, set_clock
from common.database import create_db_engine
from stack.config import StackConfig, isolated_config
from stack.launch import analytics
from stack.processes import ROOT

NOW = 1_900_000_000.0
TIMEOUT = 10


class Receiver(http.server.ThreadingHTTPServer):
    """The alert webhook's receiving end: keeps each JSON body it is sent."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        received = self.bodies

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)


def sessions(names: list[str], over: bool) -> list[SessionFacts]:
    at = NOW - 3600
    return [SessionFacts(n, at, at + 60, user_turns=2, handed_over=over) for n in names]


def seed(config: StackConfig, found: list[SessionFacts]) -> None:
    store = create_db_engine(config.analytics_database_url)
    create_schema(store)
    with store.begin() as connection:
        for facts in found:
            save_session(connection, facts)
    store.dispose()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[StackConfig, Receiver]]:
    home = tmp_path_factory.mktemp("alerts")
    set_clock(home / "clock", NOW)
    metrics = yaml.safe_load((ROOT / "metrics.yml").read_text(encoding="utf-8"))
    metrics["alerts"] = {
        "window_hours": 24,
        "min_conversations": 4,
        "evaluate_every_seconds": 3600,  # the test evaluates when it wants
        "bounds": {"handover_rate": {"max": 0.5}},
    }
    (home / "metrics.yml").write_text(yaml.safe_dump(metrics), encoding="utf-8")
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    config = isolated_config(
        home,
        {
            CLOCK_FILE: str(home / "clock"),
            "ANALYTICS_METRICS_FILE": str(home / "metrics.yml"),
            "ANALYTICS_ALERT_WEBHOOK_URL": f"http://127.0.0.1:{receiver.server_port}/alerts",
        },
    )
    seed(config, sessions(["+447700900123", "c-2", "c-3"], over=True) + sessions(["c-4"], False))
    service = analytics(config).start()
    try:
        yield config, receiver
    finally:
        service.stop()
        receiver.shutdown()


def call(config: StackConfig, method: str, path: str, **kwargs: Any) -> requests.Response:
    auth = {"Authorization": f"Bearer {config.analytics_api_token}"}
    return requests.request(
        method, f"{config.analytics_url}{path}", headers=auth, timeout=TIMEOUT, **kwargs
    )


def test_the_alert_routes_want_the_token(served: tuple[StackConfig, Receiver]) -> None:
    config, _ = served
    for method, path in (("GET", "/alerts"), ("POST", "/alerts/evaluate")):
        assert requests.request(method, f"{config.analytics_url}{path}").status_code == 401


def test_a_crossed_bound_raises_once_and_clears_once(served: tuple[StackConfig, Receiver]) -> None:
    config, receiver = served
    raised = call(config, "POST", "/alerts/evaluate").json()["changed"]
    assert [(a["metric"], a["state"], a["value"]) for a in raised] == [
        ("handover_rate", "raised", 0.75)
    ]
    assert call(config, "POST", "/alerts/evaluate").json()["changed"] == []
    assert receiver.bodies == raised  # one POST, the alert itself
    day = {"since": NOW - 86400, "until": NOW + 1}
    shown = call(config, "GET", "/figures/daily", params=day).json()["alerts"]
    assert [a["metric"] for a in shown["active"]] == ["handover_rate"]
    logged = (config.log_dir / "analytics.log").read_text(encoding="utf-8")
    assert "analytics.alert raised metric=handover_rate value=0.75 min=None max=0.5" in logged
    assert "+447700900123" not in logged and "7700" not in logged

    seed(config, sessions(["c-5", "c-6", "c-7", "c-8"], over=False))
    cleared = call(config, "POST", "/alerts/evaluate").json()["changed"]
    assert [(a["state"], a["value"]) for a in cleared] == [("cleared", 0.375)]
    assert call(config, "POST", "/alerts/evaluate").json()["changed"] == []
    assert [b["state"] for b in receiver.bodies] == ["raised", "cleared"]
    assert call(config, "GET", "/alerts").json()["active"] == []
