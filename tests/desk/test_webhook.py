"""The outbound CCaaS webhook, delivered to a real local HTTP receiver that fails
the first attempts."""

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.support.services import Service, free_port
from tests.support.stack import DeskClient

from .support import (
    ALWAYS_OPEN,
    RasaApi,
    agent,
    agent_messages,
    integration,
    packet,
    start_desk,
)

SECRET = "test-webhook-secret"
FAILURES = 2
SETTINGS = (
    """
queue: {minutes_per_handoff: 6, agents_on_duty: 2}
rasa: {connect_timeout_seconds: 1, read_timeout_seconds: 5}
webhook: {max_attempts: 4, initial_backoff_seconds: 0.1, max_backoff_seconds: 0.5,
          timeout_seconds: 5}
"""
    + ALWAYS_OPEN
    + agent_messages()
)
WAIT = 20.0


class Receiver(ThreadingHTTPServer):
    """A CCaaS endpoint: holds its first answer until released, answers 503 to the
    first FAILURES attempts, then 200; records every request."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict[str, Any]] = []
        self.answered = 0
        self.first_arrived = threading.Event()
        self.release = threading.Event()
        self.delivered = threading.Event()
        self.arrival = threading.Condition()

    def arrived(self, count: int) -> bool:
        """Wait until count requests have been answered."""
        with self.arrival:
            return self.arrival.wait_for(lambda: self.answered >= count, WAIT)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/handoffs"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append({"headers": dict(self.headers), "body": body})
        attempt = len(self.server.requests)
        if attempt == 1:
            self.server.first_arrived.set()
            self.server.release.wait(WAIT)
        self.send_response(503 if attempt <= FAILURES else 200)
        self.end_headers()
        if attempt > FAILURES:
            self.server.delivered.set()
        with self.server.arrival:
            self.server.answered += 1
            self.server.arrival.notify_all()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def webhook_desk(tmp_path: Path, rasa: RasaApi, receiver: Receiver) -> Iterator[Service]:
    settings = tmp_path / "settings.yml"
    settings.write_text(SETTINGS)
    service = start_desk(
        "webhook-desk",
        tmp_path,
        rasa.url,
        {
            "DESK_SETTINGS": str(settings),
            "CCAAS_WEBHOOK_URL": receiver.url,
            "CCAAS_WEBHOOK_SECRET": SECRET,
        },
    )
    yield service
    service.stop()


def recorded(
    dana: DeskClient,
    handoff_id: str,
    done: Callable[[dict[str, Any]], bool],
) -> dict[str, Any]:
    """The hand-over's delivery state once done says so (or WAIT has passed): the
    desk records each attempt just after it."""
    deadline = time.monotonic() + WAIT
    while True:
        webhook = dana.get(f"/api/handoffs/{handoff_id}").json()["webhook"]
        if done(webhook) or time.monotonic() > deadline:
            return webhook


def recorded_delivery(dana: DeskClient, handoff_id: str) -> dict[str, Any]:
    return recorded(dana, handoff_id, lambda webhook: webhook["delivered_at"] is not None)


def recorded_attempt(dana: DeskClient, handoff_id: str) -> dict[str, Any]:
    return recorded(dana, handoff_id, lambda webhook: webhook["attempts"] > 0)


def test_each_new_packet_is_delivered_with_retries_under_one_key(
    webhook_desk: Service, receiver: Receiver
) -> None:
    sent = packet()
    response = integration(webhook_desk.url).post("/api/handoffs", json=sent)
    assert response.status_code == 201
    handoff_id = response.json()["id"]
    # The hand-over was answered while the receiver still holds its first attempt.
    assert receiver.first_arrived.wait(WAIT) and not receiver.release.is_set()
    receiver.release.set()
    assert receiver.delivered.wait(WAIT)

    assert len(receiver.requests) == FAILURES + 1
    for request in receiver.requests:
        assert request["headers"]["Idempotency-Key"] == handoff_id
        expected = hmac.new(SECRET.encode(), request["body"], hashlib.sha256).hexdigest()
        assert request["headers"]["X-Switchboard-Signature"] == f"sha256={expected}"
        body = json.loads(request["body"])
        assert body["handoff_id"] == handoff_id and body["packet"] == sent

    webhook = recorded_delivery(agent(webhook_desk.url), handoff_id)
    assert webhook["attempts"] == FAILURES + 1
    assert webhook["delivered_at"] is not None and webhook["last_error"] is None


def test_a_repeated_packet_is_not_sent_again(webhook_desk: Service, receiver: Receiver) -> None:
    receiver.release.set()
    action_server = integration(webhook_desk.url)
    conversation = packet()
    first = action_server.post("/api/handoffs", json=conversation).json()
    assert receiver.arrived(FAILURES + 1)
    assert action_server.post("/api/handoffs", json=conversation).status_code == 200
    other = action_server.post("/api/handoffs", json=packet()).json()
    assert receiver.arrived(FAILURES + 2)
    keys = [r["headers"]["Idempotency-Key"] for r in receiver.requests]
    assert keys == [first["id"]] * (FAILURES + 1) + [other["id"]]


def test_a_delivery_cut_short_by_a_restart_goes_on_after_it(
    tmp_path: Path, rasa: RasaApi, receiver: Receiver
) -> None:
    """The first run's CCaaS is down and it stops between attempts; the next run of
    the desk, on the same database, delivers under the same key."""
    receiver.release.set()
    slow, quick = tmp_path / "slow.yml", tmp_path / "settings.yml"
    slow.write_text(
        SETTINGS.replace("initial_backoff_seconds: 0.1", "initial_backoff_seconds: 60").replace(
            "max_backoff_seconds: 0.5", "max_backoff_seconds: 60"
        )
    )
    quick.write_text(SETTINGS)
    env = {"DESK_SETTINGS": str(quick), "CCAAS_WEBHOOK_SECRET": SECRET}
    first = start_desk(
        "restarted-desk",
        tmp_path,
        rasa.url,
        {
            **env,
            "DESK_SETTINGS": str(slow),
            "CCAAS_WEBHOOK_URL": f"http://127.0.0.1:{free_port()}/down",
        },
    )
    try:
        handoff_id = integration(first.url).post("/api/handoffs", json=packet()).json()["id"]
        webhook = recorded_attempt(agent(first.url), handoff_id)
        assert webhook["attempts"] == 1 and webhook["last_error"] == "ConnectionError"
    finally:
        first.stop()
    second = start_desk(
        "restarted-desk", tmp_path, rasa.url, {**env, "CCAAS_WEBHOOK_URL": receiver.url}
    )
    try:
        assert receiver.arrived(FAILURES + 1)
        assert {r["headers"]["Idempotency-Key"] for r in receiver.requests} == {handoff_id}
        webhook = recorded_delivery(agent(second.url), handoff_id)
        assert webhook["attempts"] == 1 + FAILURES + 1
    finally:
        second.stop()
