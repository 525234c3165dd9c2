"""The dashboard's outreach figures against what was seeded: decisions written through
outreach's own store (outreach.plans.PlanStore), served by the outreach service, copied
by the analytics service over outreach's API with the read-only token, and inbound
conversations published to Rasa's event broker. Sent, suppressed (why), failed, and
the preventable contacts against the hold-out group must be exactly what was seeded,
in total, per rule and per day, and the drill-down must name the customers."""

import asyncio
import csv
import io
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest
import requests
from playwright.sync_api import Page, expect

from analytics.broker import UrlSQLEventBroker
from analytics.outreach_feed import FeedFailed, decision_row
from analytics.report import figures_of, render
from analytics.settings import ROOT
from bench.fuzz.openapi import operations
from common.database import create_db_engine
from outreach.config import load_config
from outreach.governance import Decision
from outreach.plans import PlanStore
from stack.config import StackConfig, isolated_config
from stack.launch import analytics, outreach
from tests.analytics.dashboard_stack import Dashboard
from tests.analytics.events import T0, Script
from tests.analytics.test_api import Client
from tests.analytics.test_dashboard_browser import page, painted, sign_in  # noqa: F401 (page: a fixture)
from tests.desk.support import start_desk
from tests.support.services import free_port

HOUR, DAY = 3600.0, 86400.0
PERIOD = {"since": T0, "until": T0 + 3 * DAY}
TIMEOUT = 10


@dataclass(frozen=True)
class Seeded:
    """One decision as the outreach worker makes it."""

    customer: str
    rule: str
    action: str  # send, suppress, fail; "defer" first when deferred is set
    reason: str
    at: float
    channel: str | None = None
    deferred: bool = False


SEEDED = [
    # payment_failed: C-1001 contacted and came back; C-1002 held out and came back;
    # C-1003 held out, never back; C-1004 held out, back about something else.
    Seeded("C-1001", "payment_failed", "send", "allowed", T0 + HOUR, "whatsapp"),
    Seeded("C-1002", "payment_failed", "suppress", "holdout", T0 + HOUR),
    Seeded("C-1003", "payment_failed", "suppress", "holdout", T0 + 2 * HOUR),
    Seeded("C-1004", "payment_failed", "suppress", "holdout", T0 + 2 * HOUR),
    # Deferred for quiet hours at 02:00, sent at 08:00: one send.
    Seeded("C-1012", "payment_failed", "send", "allowed", T0 + 8 * HOUR, "whatsapp", True),
    # Back only after the FCR window; back before the decision and in the reply to it.
    Seeded("C-1005", "payment_failed", "send", "allowed", T0 + DAY + HOUR, "email"),
    Seeded("C-1006", "payment_failed", "send", "allowed", T0 + DAY + 2 * HOUR, "whatsapp"),
    Seeded("C-1007", "payment_failed", "suppress", "consent", T0 + 2 * DAY),
    Seeded("C-1008", "payment_failed", "suppress", "cap:per_day", T0 + 2 * DAY),
    Seeded("C-1009", "payment_failed", "fail", "delivery_failed", T0 + 2 * DAY),
    Seeded("C-1010", "shipment_delayed", "send", "allowed", T0 + 2 * DAY + HOUR, "whatsapp"),
    Seeded("C-1011", "shipment_delayed", "suppress", "holdout", T0 + 2 * DAY + HOUR),
]


def inbound(sender: str, customer: str, goal: str, at: float, reply: bool = False) -> Script:
    """A verified customer's conversation about goal (a reply to outreach's message
    when reply: the outreach intent opens it)."""
    script = Script(sender, "rest", at).start()
    if reply:
        script.user("EXTERNAL_outreach").bot()
    return (
        script.user(goal)
        .bot()
        .user("inform")
        .outcome("verify_identity", "verified", customer)
        .outcome(goal, "answered")
        .bot()
        .user("goodbye")
    )


SCRIPTS = [
    inbound("back-1001", "C-1001", "check_invoice", T0 + 2 * DAY),
    inbound("back-1002", "C-1002", "check_invoice", T0 + DAY),
    inbound("other-1004", "C-1004", "check_order_status", T0 + DAY),
    inbound("late-1005", "C-1005", "check_invoice", T0 + 9 * DAY),
    inbound("before-1006", "C-1006", "check_invoice", T0 + DAY),
    inbound("reply-1006", "C-1006", "check_invoice", T0 + DAY + 3 * HOUR, reply=True),
    inbound("back-1010", "C-1010", "check_order_status", T0 + 2 * DAY + 5 * HOUR),
]


def moment(at: float) -> datetime:
    return datetime.fromtimestamp(at, UTC)


def seed(config: StackConfig) -> int:
    """The decisions written through outreach's store as its worker writes them; the
    last decision's id."""
    store = PlanStore(create_db_engine(config.outreach_database_url))
    rules = load_config().rules
    for n, item in enumerate(SEEDED, start=1):
        event = {"id": n, "type": item.rule, "data": {"customer_id": item.customer}}
        assert store.plan([event], rules, n, moment(item.at - 2 * HOUR)) == 1
        (plan,) = [
            p for p in store.due(moment(item.at + DAY), 100) if p.customer_id == item.customer
        ]
        if item.deferred:
            wait = Decision("defer", "quiet_hours", "whatsapp", not_before=moment(item.at))
            store.decided(plan, wait, moment(item.at - 6 * HOUR))
            (plan,) = [p for p in store.due(moment(item.at), 100) if p.customer_id == item.customer]
        if item.action == "send":
            going = store.sending(plan, Decision("send", "allowed", item.channel), moment(item.at))
            store.sent(going, "free_form", moment(item.at))
        elif item.action == "suppress":
            store.decided(plan, Decision("suppress", item.reason), moment(item.at))
        else:
            store.failed(plan, item.reason, moment(item.at))
    return len(SEEDED) + 1  # the deferral is a decision too


class Api:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.auth_token = str(config.analytics_api_token)
        self.auth = {"Authorization": f"Bearer {self.auth_token}"}

    def get(self, path: str, **params: Any) -> requests.Response:
        return requests.get(
            f"{self.config.analytics_url}{path}", params=params, headers=self.auth, timeout=TIMEOUT
        )


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    home = tmp_path_factory.mktemp("outreach-figures")
    config = isolated_config(
        home, {"ANALYTICS_POLL_SECONDS": "0.05", "ANALYTICS_OUTREACH_POLL_SECONDS": "0.05"}
    )
    last = seed(config)
    broker = UrlSQLEventBroker(config.event_broker_url)
    for script in SCRIPTS:
        for event in script.events:
            broker.publish(event)
    asyncio.run(broker.close())
    services = [outreach(config).start()]
    try:
        services.append(analytics(config).start())
        client = Api(config)
        deadline = time.monotonic() + 15
        while True:
            status = client.get("/status").json()
            if status["outreach_last_decision_id"] == last and (
                status["last_event_id"] == status["broker_last_event_id"]
            ):
                break
            assert time.monotonic() < deadline, status
            time.sleep(0.05)
        yield client
    finally:
        for service in reversed(services):
            service.stop()


def test_the_outreach_figures_are_what_was_seeded(api: Api) -> None:
    answer = api.get("/figures/daily", **PERIOD, tz="UTC")
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["period"]["outreach"]["total"] == {
        "sent": 5,
        "suppressed": 6,
        "failed": 1,
        "suppressed_reasons": {"cap:per_day": 1, "consent": 1, "holdout": 4},
        "sent_by_channel": {"email": 1, "whatsapp": 4},
        "contacted": 5,
        "contacted_came_back": 2,
        "contacted_came_back_rate": 0.4,
        "held_out": 4,
        "held_out_came_back": 1,
        "held_out_came_back_rate": 0.25,
        "preventable_contacts": -0.75,  # 5 × 1/4 − 2
    }
    rules = found["period"]["outreach"]["by_rule"]
    comparison = ("contacted", "contacted_came_back", "held_out", "held_out_came_back")
    assert [rules["payment_failed"][k] for k in comparison] == [4, 1, 3, 1]
    assert rules["payment_failed"]["preventable_contacts"] == 0.33  # 4 × 1/3 − 1
    assert [rules["shipment_delayed"][k] for k in comparison] == [1, 1, 1, 0]
    assert rules["shipment_delayed"]["preventable_contacts"] == -1.0
    per_day = [
        [day["outreach"]["total"][k] for k in ("sent", "suppressed", "failed")]
        for day in found["days"]
    ]
    assert per_day == [[2, 3, 0], [2, 0, 0], [1, 3, 1]]
    assert found["days"][2]["outreach"]["total"]["suppressed_reasons"] == {
        "cap:per_day": 1,
        "consent": 1,
        "holdout": 1,
    }


def customers(api: Api, **filters: Any) -> dict[str, list[str]]:
    answer = api.get("/outreach/decisions", **PERIOD, **filters)
    assert answer.status_code == 200, answer.text
    rows = answer.json()["decisions"]
    assert answer.json()["total"] == len(rows)
    return {row["customer_id"]: row["came_back"] for row in rows}


def test_the_drill_down_names_the_customers_and_their_conversations(api: Api) -> None:
    assert customers(api, group="contacted", came_back=True) == {
        "C-1001": ["back-1001"],
        "C-1010": ["back-1010"],
    }
    assert customers(api, group="held_out", came_back=True) == {"C-1002": ["back-1002"]}
    assert set(customers(api, group="held_out", came_back=False)) == {"C-1003", "C-1004", "C-1011"}
    assert set(customers(api, action="suppressed", reason="consent")) == {"C-1007"}
    assert set(customers(api, action="failed")) == {"C-1009"}
    assert set(customers(api, action="sent", channel="email")) == {"C-1005"}
    assert len(customers(api, rule="payment_failed")) == 10


@pytest.mark.parametrize(
    "params",
    [
        {"group": "everyone"},
        {"action": "deferred"},
        {"came_back": "perhaps"},
        {"rule": "Robert'); DROP TABLE"},
        {"since": T0 + 10, "until": T0},
    ],
)
def test_a_bad_filter_is_a_4xx_with_the_reason(api: Api, params: dict) -> None:
    answer = api.get("/outreach/decisions", **{**PERIOD, **params})
    assert 400 <= answer.status_code < 500
    assert answer.json()["detail"]


def test_the_report_shows_the_same_outreach_figures(api: Api, tmp_path: Path) -> None:
    start, end = moment(T0).date(), moment(T0 + 2 * DAY).date()
    found = figures_of(api.config.analytics_database_url, ROOT / "metrics.yml", start, end, "UTC")
    assert (
        found["period"]["outreach"]
        == api.get("/figures/daily", **PERIOD).json()["period"]["outreach"]
    )
    page = render(found, "report")
    assert "<tr data-outreach='payment_failed'><td>payment_failed</td><td>4</td><td>5</td>" in page
    assert "chart-outreach" in page and "chart-holdout" in page


def test_the_decisions_need_the_token_and_a_small_request(api: Api) -> None:
    url = f"{api.config.analytics_url}/outreach/decisions"
    for headers in ({}, {"Authorization": f"Bearer {api.config.outreach_read_token}"}):
        refused = requests.get(url, params=PERIOD, headers=headers, timeout=TIMEOUT)
        assert refused.status_code == 401 and set(refused.json()) == {"detail"}
    big = requests.get(url, params=PERIOD, headers=api.auth, data=b"x" * 5000, timeout=TIMEOUT)
    assert big.status_code == 413


def test_the_fuzz_bench_reaches_the_new_routes(api: Api) -> None:
    """bench/fuzz's Analytics API entry point draws its requests from /openapi.json."""
    paths = {op.path for op in operations(api.get("/openapi.json").json())}
    assert {"/outreach/decisions", "/customers/{customer_id}/erase"} <= paths


@pytest.fixture(scope="module")
def board(api: Api, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """A desk reading the analytics service (its dashboard)."""
    home = tmp_path_factory.mktemp("outreach-desk")
    env = {"ANALYTICS_URL": api.config.analytics_url, "ANALYTICS_API_TOKEN": api.auth_token}
    desk = start_desk("desk", home, f"http://127.0.0.1:{free_port()}", env)
    try:
        yield Dashboard(cast(Client, None), desk)
    finally:
        desk.stop()


DAYS = {"start": "2025-11-29", "end": "2025-12-03"}  # the desk's days (Europe/Berlin)


def test_the_desk_shows_them_to_a_supervisor_with_the_csv(board: Dashboard) -> None:
    """The desk's dashboard API over the analytics service: the held-out customer who
    came back, the decisions' CSV and the outreach rows of the figures' CSV; an agent
    is refused."""
    supervisor = board.account("Sofia", "supervisor")
    found = supervisor.get(
        "/api/dashboard/outreach", params={**DAYS, "group": "held_out", "came_back": "true"}
    )
    assert found.status_code == 200, found.text
    assert [(r["customer_id"], r["came_back"]) for r in found.json()["decisions"]] == [
        ("C-1002", ["back-1002"])
    ]
    listed = supervisor.get("/api/dashboard/outreach.csv", params={**DAYS, "action": "failed"})
    (row,) = list(csv.DictReader(io.StringIO(listed.text)))
    assert (row["customer_id"], row["reason"]) == ("C-1009", "delivery_failed")
    figures = supervisor.get("/api/dashboard/figures.csv", params=DAYS)
    rows = list(csv.DictReader(io.StringIO(figures.text)))
    rule = next(r for r in rows if r["day"] == "period" and r["name"] == "payment_failed")
    assert (rule["scope"], rule["sent"], rule["preventable_contacts"]) == (
        "outreach_rule",
        "4",
        "0.33",
    )
    assert "holdout=3" in rule["suppressed_reasons"]
    plain = board.account("Dana", "agent")
    for path in ("/api/dashboard/outreach", "/api/dashboard/outreach.csv"):
        assert plain.get(path, params=DAYS).status_code == 403


def test_a_supervisor_sees_the_outreach_plots_and_drills_to_the_customers(
    page: Page, board: Dashboard
) -> None:
    errors = sign_in(page, board, "Sofia", "supervisor")
    page.goto(f"{board.desk.url}/dashboard")
    page.fill("#start", DAYS["start"])
    page.fill("#end", DAYS["end"])
    page.click("#period button[type=submit]")
    rule = page.locator('[data-testid="outreach-row"][data-rule="payment_failed"]')
    expect(rule.locator("td").nth(0)).to_have_text("4")
    for canvas in ("chart-outreach", "chart-holdout"):
        expect(page.get_by_test_id(canvas)).to_have_attribute("data-drawn", "true")
        assert painted(page, canvas), canvas
    # The held-out customers who came back on their own: C-1002, in back-1002.
    rule.locator("td").nth(7).get_by_role("button").click()
    expect(page.get_by_test_id("drill-title")).to_contain_text("held out, of payment failed")
    rows = page.get_by_test_id("drill-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-customer", "C-1002")
    expect(rows.first).to_contain_text("back-1002")
    assert not errors, errors


def test_an_erased_customers_decisions_keep_their_figures_under_another_id(api: Api) -> None:
    path = f"{api.config.analytics_url}/customers/C-1007/erase"
    assert requests.post(path, timeout=TIMEOUT).status_code == 401
    first = requests.post(path, headers=api.auth, timeout=TIMEOUT)
    assert first.json() == {"removed": {}, "anonymised": {"outreach_decisions": 1}}
    again = requests.post(path, headers=api.auth, timeout=TIMEOUT)
    assert again.json()["anonymised"] == {"outreach_decisions": 0}
    (pseudonym,) = customers(api, reason="consent")
    assert pseudonym.startswith("erased-")
    assert (
        api.get("/figures/daily", **PERIOD).json()["period"]["outreach"]["total"]["suppressed"] == 6
    )


@pytest.mark.parametrize(
    "change",
    [
        {"id": 0},
        {"id": True},
        {"action": "exploded"},
        {"at": "yesterday"},
        {"customer_id": "C" * 41},
        {"rule": None},
        {"channel": 7},
    ],
)
def test_a_malformed_decision_stops_the_copy_naming_the_field(change: dict) -> None:
    """Outreach's page is copied whole or not at all: a malformed entry is refused."""
    entry = {
        "id": 3,
        "customer_id": "C-1001",
        "rule": "payment_failed",
        "action": "sent",
        "reason": "allowed",
        "channel": "whatsapp",
        "at": "2025-11-30T01:00:00+00:00",
    }
    assert decision_row(entry)["at"] == T0 + HOUR
    with pytest.raises(FeedFailed, match=next(iter(change)) if "at" not in change else "time"):
        decision_row({**entry, **change})
