"""The scaled profile from scratch (issue #16): PostgreSQL, Redis, RabbitMQ and HAProxy
from Debian's packages, two Rasa processes and two action servers behind the balancer,
one conversation through it; then RabbitMQ stopped mid-conversation and started again,
and not one of the conversation's events missing from the analytics' broker table
(issue #15). One running profile serves both tests."""

import json
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from sqlalchemy import create_engine, select

from analytics.consumer import broker_events
from stack.config import isolated_config
from stack.processes import ROOT
from stack.scaled import Running, start
from stack.servers import missing_programs, restart_rabbitmq
from tests.support.stack import API_TOKEN, INTEGRATION_SECRET, Conversation, Stack, vouched

MISSING = missing_programs()
pytestmark = pytest.mark.skipif(
    bool(MISSING), reason=f"not installed: {', '.join(MISSING)} (`make servers` installs them)"
)
EVENTS_TIMEOUT = 60.0


@pytest.fixture(scope="module")
def scaled() -> Iterator[Running]:
    """The profile with two Rasa processes and two action servers, from an empty folder
    (under var/: PostgreSQL runs as its own user, which must reach its data)."""
    home = Path(tempfile.mkdtemp(prefix="scaled-test-", dir=ROOT / "var"))
    home.chmod(0o755)
    base = isolated_config(
        home, {"SWITCHBOARD_INTEGRATION_SECRET": INTEGRATION_SECRET}, rasa_api_token=API_TOKEN
    )
    if not base.model.exists():
        pytest.fail(f"No trained model at {base.model}: `make test` trains it first.")
    try:
        running = start(base, home / "servers", rasa_processes=2, action_servers=2, report=print)
        try:
            yield running
        finally:
            running.stop()
    finally:
        shutil.rmtree(home, ignore_errors=True)


def served(running: Running, backend: str) -> dict[str, int]:
    """Requests each server of one of HAProxy's backends has taken so far."""
    rows = running.profile.balancer.command("show stat").splitlines()
    header = rows[0].lstrip("# ").split(",")
    counts = {}
    for row in rows[1:]:
        fields = dict(zip(header, row.split(","), strict=False))
        if fields.get("pxname") == backend and fields["svname"] not in ("FRONTEND", "BACKEND"):
            counts[fields["svname"]] = int(fields["stot"] or 0)
    return counts


def test_the_scaled_profile_answers_a_conversation_through_the_balancer(
    scaled: Running,
) -> None:
    stack = Stack(scaled.profile.balanced)
    assert stack.config.rasa_url.endswith(f":{scaled.profile.balanced.rasa_port}")
    lock = redis.Redis(
        port=scaled.profile.servers.redis_port, password=scaled.profile.servers.passwords.redis
    )
    locks_before = lock.info("commandstats").get("cmdstat_set", {}).get("calls", 0)
    customer = vouched(stack, "C-1001")
    assert "Brightwave's virtual assistant" in customer.say("hello there")
    # A backend read through an action server behind the balancer.
    assert "BW-100002" in customer.say("where is my order BW-100002")
    assert "You're welcome" in customer.say("thanks a lot")

    # Both Rasa processes took turns, and the action servers were reached through HAProxy.
    assert all(count >= 1 for count in served(scaled, "rasa_public").values())
    assert len(served(scaled, "rasa_public")) == 2
    assert sum(served(scaled, "actions").values()) >= 1
    # Each turn took the conversation's lock in Redis.
    assert lock.info("commandstats")["cmdstat_set"]["calls"] - locks_before >= 3
    # The conversation is in PostgreSQL's tracker database, read back whole through
    # each process: each one's conversation cache shows the other's turns too.
    for rasa in scaled.profile.rasas:
        events = Stack(rasa).tracker(customer.sender)["events"]
        assert [e["text"] for e in events if e["event"] == "user"] == [
            "hello there",
            "where is my order BW-100002",
            "thanks a lot",
        ], rasa.rasa_port
    assert scaled.profile.balanced.tracker_store_url.startswith("postgresql://")


def broker_rows(running: Running, sender: str) -> list[dict[str, Any]]:
    """The events of sender the analytics relay has written to its broker table."""
    engine = create_engine(running.profile.balanced.event_broker_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(broker_events.c.data)
                .where(broker_events.c.sender_id == sender)
                .order_by(broker_events.c.id)
            )
            return [json.loads(row.data) for row in rows]
    finally:
        engine.dispose()


def keys(events: list[dict[str, Any]]) -> list[tuple[str, float]]:
    """Each event by kind and time, in time order: events kept during the outage are
    published after the broker is back, behind newer ones."""
    return sorted((e["event"], e["timestamp"]) for e in events)


def test_a_rabbitmq_outage_loses_no_event(scaled: Running) -> None:
    stack = Stack(scaled.profile.balanced)
    customer = Conversation(stack)
    assert "Brightwave's virtual assistant" in customer.say("hello there")
    rabbit = scaled.profile.servers.server("rabbitmq")
    rabbit.stop()
    # The conversation goes on while the broker is away.
    assert "You're welcome" in customer.say("thanks a lot")
    assert "Brightwave's virtual assistant" in customer.say("hi again")
    restart_rabbitmq(scaled.profile.servers)
    assert "Goodbye" in customer.say("bye")

    stored = keys(stack.tracker(customer.sender)["events"])
    deadline = time.monotonic() + EVENTS_TIMEOUT
    while (published := keys(broker_rows(scaled, customer.sender))) != stored:
        if time.monotonic() > deadline:
            missing = [key for key in stored if key not in published]
            pytest.fail(f"{len(missing)} of {len(stored)} events never reached: {missing}")
        time.sleep(0.5)
    # Analytics folded them too: the consumer catches up with its broker table.
    while (status := analytics_status(stack))["last_event_id"] != status["broker_last_event_id"]:
        if time.monotonic() > deadline:
            pytest.fail(f"the analytics consumer did not catch up: {status}")
        time.sleep(0.5)
    # ...and counted every turn, those published late (behind newer ones) included.
    assert [row["customer_turns"] for row in analytics_rows(stack, customer.sender)] == [4]


def analytics_rows(stack: Stack, sender: str) -> list[dict[str, Any]]:
    """The analytics drill-down's rows of the conversation (decided or still open)."""
    now = time.time()
    found = []
    for kind in ("conversations", "open"):
        response = requests.get(
            f"{stack.config.analytics_url}/conversations",
            params={"since": now - 3600, "until": now + 60, "kind": kind},
            headers={"Authorization": f"Bearer {stack.config.analytics_api_token}"},
            timeout=10,
        )
        response.raise_for_status()
        found += [r for r in response.json()["conversations"] if r["conversation_id"] == sender]
    return found


def analytics_status(stack: Stack) -> dict[str, Any]:
    response = requests.get(
        f"{stack.config.analytics_url}/status",
        headers={"Authorization": f"Bearer {stack.config.analytics_api_token}"},
        timeout=10,
    )
    response.raise_for_status()
    return dict(response.json())
