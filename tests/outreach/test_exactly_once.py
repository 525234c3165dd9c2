"""The outreach service as a real process (stack/launch.py) killed between its
decision to send and hearing that the send arrived, then started again: the message
goes out exactly once either way, and the decision log over the API says so."""

import dataclasses
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from stack.launch import Launch, outreach
from stack.processes import Service
from tests.outreach.rasa_fake import TOKEN, RasaStandIn
from tests.outreach.support import Sources, rules_now, sources, wait_for


@pytest.fixture
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sources]:
    """Fresh per test: the feed holds only the test's own event."""
    with sources(tmp_path_factory.mktemp("outreach-restart")) as started:
        yield started


@pytest.fixture
def rasa() -> Iterator[RasaStandIn]:
    with RasaStandIn() as fake:
        yield fake


def launch(running: Sources, rasa: RasaStandIn, home: Path) -> Launch:
    """Outreach sending at once (no delay, no quiet hours now), ticking often, through
    the stand-in."""
    rules = rules_now(home)
    config = dataclasses.replace(
        running.config, outreach_database_url=f"sqlite:///{home / 'outreach.db'}"
    )
    base = outreach(config)
    env = {
        **base.env,
        "RASA_URL": rasa.url,
        "RASA_API_TOKEN": TOKEN,
        "OUTREACH_CONFIG": str(rules),
        "OUTREACH_POLL_SECONDS": "0.3",
        "OUTREACH_SEND_LEASE_SECONDS": "2",  # the killed worker's send is picked up soon
    }
    return dataclasses.replace(base, env=env)


def killed(service: Service) -> None:
    os.killpg(service.process.pid, signal.SIGKILL)
    service.process.wait(10)


def log(running: Sources, customer_id: str) -> list[dict[str, Any]]:
    answer = requests.get(
        f"{running.config.outreach_url}/customers/{customer_id}/decisions",
        headers={"Authorization": f"Bearer {running.config.outreach_api_token}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["decisions"]


@pytest.mark.parametrize(
    ("customer_id", "invoice_id", "arrived_before_the_kill"),
    [("C-1021", "INV-900055", True), ("C-1015", "INV-900043", False)],
)
def test_a_restart_between_decision_and_send_sends_exactly_once(
    running: Sources,
    rasa: RasaStandIn,
    tmp_path: Path,
    customer_id: str,
    invoice_id: str,
    arrived_before_the_kill: bool,
) -> None:
    conversation = f"whatsapp-{customer_id}"
    running.link_whatsapp(customer_id, conversation)
    service = launch(running, rasa, tmp_path).start()
    try:
        if arrived_before_the_kill:
            rasa.hold.set()
        else:
            rasa.lose = True
        running.event(customer_id, invoice_id)
        assert rasa.arrived.wait(30), service.log_tail()
        killed(service)
        rasa.hold.clear()
        rasa.lose = False
        rasa.release.set()
        service = launch(running, rasa, tmp_path).start()
        [sent] = wait_for(lambda: log(running, customer_id))
        assert (sent["action"], sent["channel"], sent["response"]) == (
            "sent",
            "whatsapp",
            "utter_outreach_payment_failed",
        )
        assert len(rasa.sent(conversation)) == 1
        time.sleep(2)  # a few more ticks: still once
        assert len(log(running, customer_id)) == 1
    finally:
        service.stop()
    assert len(rasa.sent(conversation)) == 1


def test_the_decision_log_is_guarded_like_the_rest_of_the_api(
    running: Sources, rasa: RasaStandIn, tmp_path: Path
) -> None:
    base = launch(running, rasa, tmp_path)
    service = dataclasses.replace(
        base, env={**base.env, "OUTREACH_RATE_LIMIT": "25/minute"}
    ).start()
    url, token = running.config.outreach_url, running.config.outreach_api_token
    right = {"Authorization": f"Bearer {token}"}
    try:
        for path in ("/decisions", "/customers/C-1021/decisions"):
            for headers in ({}, {"Authorization": "Bearer guess-guess-guess"}, {"X-Token": token}):
                answer = requests.get(f"{url}{path}", headers=headers, timeout=10)
                assert answer.status_code == 401, answer.text
                assert answer.json() == {"detail": "missing or wrong bearer token"}
        for path, params, status, reason in [
            ("/customers/1021/decisions", {}, 400, "customer_id"),
            ("/customers/C-1021'--/decisions", {}, 400, "customer_id"),
            ("/decisions", {"after": -1}, 422, "after"),
            ("/decisions", {"after": "1e99"}, 422, "after"),
            ("/decisions", {"limit": 501}, 422, "limit"),
            ("/decisions", {"limit": 0}, 422, "limit"),
        ]:
            answer = requests.get(f"{url}{path}", params=params, headers=right, timeout=10)
            assert answer.status_code == status, (path, params, answer.text)
            assert reason in answer.json()["detail"]
        big = requests.request(
            "GET", f"{url}/decisions", data=b"x" * 5000, headers=right, timeout=10
        )
        assert big.status_code == 413 and "4096" in big.json()["detail"]
        # Past the last decision (the condition rules' scan may have logged some): none.
        past = requests.get(f"{url}/decisions", params={"after": 10**9}, headers=right, timeout=10)
        assert past.json() == {"decisions": [], "next": 10**9}
        statuses = [
            requests.get(f"{url}/decisions", headers=right, timeout=10).status_code
            for _ in range(15)
        ]
        assert 429 in statuses
        limited = requests.get(f"{url}/decisions", headers=right, timeout=10)
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    finally:
        service.stop()
