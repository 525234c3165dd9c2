"""Supervisors read outreach's decision log on the desk (a real desk and a real
outreach process): agents may not, every read is audited, bad input is refused, and
outreach down is a 503 with the reason."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from common.database import create_db_engine
from outreach.config import load_config
from outreach.governance import Decision
from outreach.plans import PlanStore
from stack.config import StackConfig, isolated_config
from stack.launch import start_outreach
from tests.support.services import Service, free_port

from .support import admin, agent, start_desk

AT = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def outreach(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackConfig]:
    """Outreach with two decisions in its log: one suppressed for C-1021, one for C-1003."""
    config = isolated_config(tmp_path_factory.mktemp("outreach-view"))
    engine = create_db_engine(config.outreach_database_url)
    plans = PlanStore(engine)
    events = [
        {"id": n, "type": "payment_failed", "record": None, "data": {"customer_id": c}}
        for n, c in ((1, "C-1021"), (2, "C-1003"))
    ]
    plans.plan(events, load_config().rules, 2, AT)
    for plan in plans.due(datetime(2026, 12, 1, tzinfo=UTC)):
        plans.decided(plan, Decision("suppress", "consent"), AT)
    engine.dispose()
    service = start_outreach(config)
    yield config
    service.stop()


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, outreach: StackConfig) -> Iterator[Service]:
    env = {
        "OUTREACH_URL": outreach.outreach_url,
        "OUTREACH_READ_TOKEN": outreach.outreach_read_token,
    }
    rasa = f"http://127.0.0.1:{free_port()}"
    service = start_desk("desk-outreach", tmp_path_factory.mktemp("desk-outreach"), rasa, env)
    yield service
    service.stop()


def test_a_supervisor_reads_the_log_overall_and_per_customer(desk: Service) -> None:
    supervisor = agent(desk.url, "Sasha", "supervisor")
    overall = supervisor.get("/api/outreach/decisions")
    assert overall.status_code == 200, overall.text
    assert [(d["customer_id"], d["action"], d["reason"]) for d in overall.json()["decisions"]] == [
        ("C-1021", "suppressed", "consent"),
        ("C-1003", "suppressed", "consent"),
    ]
    one = supervisor.get("/api/outreach/decisions", params={"customer_id": "C-1003"}).json()
    assert [d["customer_id"] for d in one["decisions"]] == ["C-1003"]
    audit = admin(desk.url).get("/api/audit", params={"action": "read_outreach"}).json()
    assert {(a["actor"], a["subject"]) for a in audit} >= {("Sasha", None), ("Sasha", "C-1003")}


def test_agents_and_strangers_may_not_and_bad_input_is_refused(desk: Service) -> None:
    dana = agent(desk.url, "Dana")
    assert dana.get("/api/outreach/decisions").status_code == 403
    stranger = agent(desk.url, "Sasha", "supervisor")
    stranger.session.cookies.clear()
    stranger.session.headers.pop("Authorization", None)
    assert stranger.get("/api/outreach/decisions").status_code == 401
    supervisor = agent(desk.url, "Sasha", "supervisor")
    for params in ({"customer_id": "C-1003'--"}, {"after": -1}, {"limit": 501}):
        refused = supervisor.get("/api/outreach/decisions", params=params)
        assert refused.status_code == 422 and "detail" in refused.json(), params


def test_outreach_down_is_a_503_with_the_reason(tmp_path: Path) -> None:
    env = {"OUTREACH_URL": f"http://127.0.0.1:{free_port()}", "OUTREACH_READ_TOKEN": "t" * 20}
    down = start_desk("desk-no-outreach", tmp_path, f"http://127.0.0.1:{free_port()}", env)
    try:
        answer = agent(down.url, "Sasha", "supervisor").get("/api/outreach/decisions")
        assert answer.status_code == 503 and "outreach" in answer.json()["detail"]
    finally:
        down.stop()
