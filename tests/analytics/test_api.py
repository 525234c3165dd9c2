"""The figures' read API, in process: the token, the rate limit, the size limit, the
period's bounds, and the figures of what the broker holds."""

import asyncio
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from analytics.__main__ import LOWER_PRIORITY
from analytics.broker import UrlSQLEventBroker
from stack.config import StackConfig, isolated_config
from stack.launch import analytics
from tests.analytics.events import T0, Script, abandoned, handed_over, resolved_order

PERIOD = {"since": T0, "until": T0 + 86400}
TIMEOUT = 10


class Client:
    """The analytics API as a caller reaches it, with the token unless told otherwise."""

    def __init__(self, config: StackConfig, pid: int) -> None:
        self.pid = pid
        self.url = config.analytics_url
        self.auth = {"Authorization": f"Bearer {config.analytics_api_token}"}

    def get(self, path: str, headers: dict | None = None, **kwargs: Any) -> requests.Response:
        given = self.auth if headers is None else headers
        return requests.get(f"{self.url}{path}", headers=given, timeout=TIMEOUT, **kwargs)


def serving(home: Path, scripts: list[Script] | None = None, **env: str) -> Iterator[Client]:
    """The analytics service as the stack starts it, over a broker holding three
    conversations (or those scripts)."""
    config = isolated_config(home, {"ANALYTICS_POLL_SECONDS": "0.05", **env})
    broker = UrlSQLEventBroker(config.event_broker_url)
    for script in scripts or (resolved_order(), handed_over(), abandoned()):
        for event in script.events:
            broker.publish(event)
    asyncio.run(broker.close())
    service = analytics(config).start()
    try:
        yield Client(config, service.process.pid)
    finally:
        service.stop()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    yield from serving(tmp_path_factory.mktemp("analytics-api"))


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[Client]:
    yield from serving(tmp_path, ANALYTICS_RATE_LIMIT="5/minute")


def caught_up(client: Client) -> None:
    deadline = time.monotonic() + 10
    while (status := client.get("/status").json())["last_event_id"] < (
        status["broker_last_event_id"] or 1
    ):
        assert time.monotonic() < deadline, status
        time.sleep(0.05)


def test_the_figures_of_the_broker_events(client: Client) -> None:
    caught_up(client)
    answer = client.get("/figures", params=PERIOD)
    assert answer.status_code == 200
    total = answer.json()["total"]
    assert (total["resolved"], total["handed_over"], total["abandoned"]) == (1, 1, 1)
    assert answer.json()["currency"] == "EUR"


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", "Basic token", "Bearer "])
def test_without_the_token_nothing_is_shown(client: Client, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    for path in ("/figures", "/status"):
        answer = client.get(path, params=PERIOD, headers=headers)
        assert answer.status_code in (401, 403)
        assert set(answer.json()) == {"detail"}


def test_over_the_rate_limit_is_429_with_retry_after(limited: Client) -> None:
    answers = [limited.get("/status") for _ in range(6)]
    assert [a.status_code for a in answers[:5]] == [200] * 5
    assert answers[5].status_code == 429
    assert int(answers[5].headers["Retry-After"]) >= 1
    # A guessing client is limited before its token is looked at.
    assert limited.get("/status", headers={"Authorization": "Bearer x"}).status_code == 429


@pytest.mark.parametrize(
    "params",
    [
        {"since": T0 + 10, "until": T0},  # backwards
        {"since": T0, "until": T0 + 400 * 86400},  # over a year
        {"since": "yesterday", "until": T0},
        {"since": -1, "until": T0},
        {"since": "nan", "until": "inf"},
        {"until": T0},
    ],
)
def test_a_bad_period_is_a_4xx_with_the_reason(client: Client, params: dict) -> None:
    answer = client.get("/figures", params=params)
    assert 400 <= answer.status_code < 500
    assert answer.json()["detail"]


def test_an_oversized_body_is_refused_before_it_is_read(client: Client) -> None:
    answer = client.get("/figures", params=PERIOD, data=b"x" * 5000)
    assert answer.status_code == 413


def test_the_service_runs_below_the_conversations_cpu_priority(client: Client) -> None:
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    assert os.getpriority(os.PRIO_PROCESS, client.pid) == min(19, ours + LOWER_PRIORITY)


def test_an_erased_conversation_keeps_its_figures_under_another_id(tmp_path: Path) -> None:
    """Erasure (issue 17): the conversation's broker events go, its session stays in
    the totals under a random id, without the record it was about; the token is
    needed and a second erasure finds nothing."""
    for client in serving(tmp_path):
        caught_up(client)
        before = client.get("/figures", params=PERIOD).json()["total"]
        path = f"{client.url}/conversations/c-resolved/erase"
        assert requests.post(path, timeout=TIMEOUT).status_code == 401
        first = requests.post(path, headers=client.auth, timeout=TIMEOUT)
        assert first.status_code == 200, first.text
        assert first.json()["anonymised"] == {"sessions": 1}
        assert first.json()["removed"]["broker_events"] > 3
        assert client.get("/figures", params=PERIOD).json()["total"] == before
        again = requests.post(path, headers=client.auth, timeout=TIMEOUT).json()
        assert again == {"removed": {"broker_events": 0}, "anonymised": {"sessions": 0}}
        with sqlite3.connect(tmp_path / "analytics.db") as db:
            ids = [row[0] for row in db.execute("SELECT sender_id FROM sessions")]
        assert "c-resolved" not in ids and len(ids) == 3
