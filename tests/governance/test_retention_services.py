"""Retention in the real services (issue 17): analytics, the memory and outreach each
delete their own expired data when told (`POST /retention/run`, behind their token),
dated by SWITCHBOARD_CLOCK_FILE; old rows are gone from each store, new ones stay,
and the report's counts are what the stores lost."""

import asyncio
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from analytics.broker import UrlSQLEventBroker
from common.clock import CLOCK_FILE, set_clock
from desk.models import Base as DeskBase
from desk.models import Handoff
from memory.models import Base as MemoryBase
from memory.models import Conversation, Event
from outreach.models import Base as OutreachBase
from outreach.models import DecisionEntry
from stack.config import StackConfig, isolated_config
from stack.desk_admin import first_desk_admin
from stack.launch import Launch, analytics, desk, memory, outreach
from stack.processes import Service, spawn, wait_ready
from tests.analytics.events import resolved_order
from tests.support.stack import DeskClient

DAY = 86400.0
NOW = float(int(time.time()))  # the services' clock, frozen (what the fixtures seed is new)
RAN_AT = datetime.fromtimestamp(NOW, UTC).isoformat(timespec="seconds")
TIMEOUT = 10


def _spawned(launch: Launch) -> tuple:
    return launch.name, launch.argv, launch.url, launch.log_dir, launch.env


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackConfig]:
    home = tmp_path_factory.mktemp("retention")
    set_clock(home / "clock", NOW)
    config = isolated_config(
        home, {CLOCK_FILE: str(home / "clock"), "ANALYTICS_POLL_SECONDS": "0.05"}
    )
    broker = UrlSQLEventBroker(config.event_broker_url)
    for sender, age in (("c-ancient", 800), ("c-quiet", 100), ("c-recent", 1)):
        for event in resolved_order(sender, at=NOW - age * DAY).events:
            broker.publish(event)
    asyncio.run(broker.close())
    services: list[Service] = []
    try:  # started side by side: the desk once its first admin is written
        launches = [launch(config) for launch in (analytics, memory, outreach)]
        services += [spawn(*_spawned(launch)) for launch in launches]
        first_desk_admin(config)
        launches.append(desk(config))
        services.append(spawn(*_spawned(launches[-1])))
        for service, launch in zip(services, launches, strict=True):
            wait_ready(service, launch.ready_url, 120)
        yield config
    finally:
        for service in services:
            service.stop()


def run(url: str, token: str) -> dict[str, Any]:
    answer = requests.post(
        f"{url}/retention/run", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
    )
    assert answer.status_code == 200, answer.text
    return {item["kind"]: item["count"] for item in answer.json()["deleted"]}


def rows(url: str, query: str) -> list[tuple]:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        return list(db.execute(query))


def test_each_route_wants_the_services_token(stack: StackConfig) -> None:
    for url in (stack.analytics_url, stack.memory_url, stack.outreach_url):
        for method, path in (("POST", "/retention/run"), ("GET", "/retention")):
            answer = requests.request(method, f"{url}{path}", timeout=TIMEOUT)
            assert answer.status_code == 401, (url, path)
            wrong = {"Authorization": "Bearer not-the-token-at-all"}
            answer = requests.request(method, f"{url}{path}", headers=wrong, timeout=TIMEOUT)
            assert answer.status_code == 401, (url, path)


def test_analytics_deletes_its_expired_events_and_sessions(stack: StackConfig) -> None:
    auth = {"Authorization": f"Bearer {stack.analytics_api_token}"}
    deadline = time.monotonic() + 20
    while True:  # every event folded first: only folded events may go
        status = requests.get(f"{stack.analytics_url}/status", headers=auth, timeout=TIMEOUT).json()
        if status["sessions"] == 3 and status["last_event_id"] == status["broker_last_event_id"]:
            break
        assert time.monotonic() < deadline, status
        time.sleep(0.1)
    events = dict(rows(stack.event_broker_url, "SELECT sender_id, count(*) FROM events GROUP BY 1"))
    deleted = run(stack.analytics_url, stack.analytics_api_token)
    # events go after 90 days of quiet, sessions after 730 (retention.yml)
    assert deleted == {
        "broker_events": events["c-ancient"] + events["c-quiet"],
        "analytics_sessions": 1,
    }
    assert rows(stack.event_broker_url, "SELECT DISTINCT sender_id FROM events") == [("c-recent",)]
    kept = rows(stack.analytics_database_url, "SELECT sender_id FROM sessions ORDER BY 1")
    assert kept == [("c-quiet",), ("c-recent",)]
    assert run(stack.analytics_url, stack.analytics_api_token) == {
        "broker_events": 0,
        "analytics_sessions": 0,
    }
    shown = requests.get(f"{stack.analytics_url}/retention", headers=auth, timeout=TIMEOUT).json()
    assert shown["every_minutes"] == 60 and shown["last"]["ran_at"] == RAN_AT


def _timeline(ages: dict[str, float]) -> list[Any]:
    found: list[Any] = []
    for name, age in ages.items():
        at = NOW - age * DAY
        found += [
            Conversation(
                conversation_id=name,
                customer_id="C-1",
                channel="rest",
                started_at=at - 60,
                last_at=at,
                outcome="resolved",
                goals=[],
                records=[],
                summary="",
                outcomes=[],
            ),
            Event(
                source="crm",
                idempotency_key=name,
                digest="0" * 64,
                type="order_shipped",
                customer_id="C-1",
                occurred_at="2030-01-01",
                received_at=at,
                data={},
            ),
        ]
    return found


def test_the_memory_deletes_its_expired_timeline(stack: StackConfig) -> None:
    engine = create_engine(stack.memory_database_url)
    MemoryBase.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all(_timeline({"m-old": 400, "m-new": 300}))  # the period: 365 days
        session.commit()
    deleted = run(stack.memory_url, stack.memory_api_token)
    assert deleted == {"memory_conversations": 1, "memory_events": 1}
    assert rows(stack.memory_database_url, "SELECT conversation_id FROM conversations") == [
        ("m-new",)
    ]
    seeded = "SELECT idempotency_key FROM events WHERE idempotency_key LIKE 'm-%'"
    assert rows(stack.memory_database_url, seeded) == [("m-new",)]


def test_outreach_deletes_its_expired_decisions(stack: StackConfig) -> None:
    engine = create_engine(stack.outreach_database_url)
    OutreachBase.metadata.create_all(engine)
    with Session(engine) as session:
        for plan, age in ((900001, 731), (900002, 729)):  # the period: 730 days
            session.add(
                DecisionEntry(
                    plan_id=plan,
                    customer_id="C-1",
                    rule="renewal",
                    action="sent",
                    reason="ok",
                    skipped=[],
                    at=datetime.fromtimestamp(NOW - age * DAY, UTC),
                )
            )
        session.commit()
    assert run(stack.outreach_url, stack.outreach_api_token) == {"outreach_decisions": 1}
    assert rows(
        stack.outreach_database_url, "SELECT plan_id FROM outreach_decisions WHERE plan_id > 900000"
    ) == [(900002,)]


def _handoff(name: str, channel: str, status: str, ended_days_ago: float | None) -> Handoff:
    ended = (
        None if ended_days_ago is None else datetime.fromtimestamp(NOW - ended_days_ago * DAY, UTC)
    )
    return Handoff(
        id=name,
        conversation_id=f"conv-{name}",
        status=status,
        packet={"channel": channel},
        created_at=datetime.fromtimestamp(NOW - 400 * DAY, UTC),
        ended_at=ended,
    )


def test_the_desk_deletes_ended_handoffs_past_their_channels_period(stack: StackConfig) -> None:
    engine = create_engine(stack.desk_database_url)
    DeskBase.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all(
            [  # handoffs: 90 days, e-mail 180 (retention.yml)
                _handoff("h-rest-old", "rest", "closed", 91),
                _handoff("h-rest-new", "rest", "handed_back", 89),
                _handoff("h-mail-kept", "email", "closed", 120),
                _handoff("h-mail-old", "email", "closed", 181),
                _handoff("h-open", "rest", "waiting", None),  # still to be answered
            ]
        )
        session.commit()
    admin = DeskClient.signed_in(
        stack.desk_url, stack.desk_admin_username, stack.desk_admin_password
    )
    agent = admin.account("retention-agent", "agent")
    assert agent.post("/admin/retention/run").status_code == 403
    assert DeskClient(stack.desk_url).post("/admin/retention/run").status_code == 401
    answer = admin.post("/admin/retention/run")
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert {(d["kind"], d["channel"], d["count"]) for d in report["deleted"]} == {
        ("handoffs", "email", 1),
        ("handoffs", "rest", 1),
    }
    kept = rows(stack.desk_database_url, "SELECT id FROM handoffs ORDER BY id")
    assert kept == [("h-mail-kept",), ("h-open",), ("h-rest-new",)]
    audited = admin.get("/api/audit", params={"action": "retention"}).json()
    before = datetime.fromtimestamp(NOW - 180 * DAY, UTC).isoformat(timespec="seconds")
    assert f"handoffs (email): 1 ended before {before}" in audited[0]["detail"]
    assert admin.get("/admin/retention").json()["last"] == report
