"""The supervisors' dashboard on the desk, over HTTP against a running analytics
service: the figures are the service's, each number lists its conversations, CSV
export, and only supervisors and admins see any of it."""

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bench.fuzz.openapi import operations
from tests.analytics.dashboard_stack import END, FORMULA_SENDER, START, Dashboard, dashboard
from tests.desk.support import admin
from tests.support.services import free_port
from tests.support.stack import DeskClient

PERIOD = {"start": START, "end": END}


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    with dashboard(tmp_path_factory.mktemp("dashboard")) as running:
        yield running


@pytest.fixture(scope="module")
def supervisor(board: Dashboard) -> DeskClient:
    return board.account("Sofia", "supervisor")


def test_the_figures_are_the_analytics_services_per_local_day(
    board: Dashboard, supervisor: DeskClient
) -> None:
    answer = supervisor.get("/api/dashboard/figures", params=PERIOD)
    assert answer.status_code == 200, answer.text
    shown = answer.json()
    assert (shown["start"], shown["end"], shown["time_zone"]) == (START, END, "Europe/Berlin")
    assert [d["day"] for d in shown["days"]] == [
        "2025-11-29",
        "2025-11-30",
        "2025-12-01",
        "2025-12-02",
    ]
    direct = board.analytics.get(
        "/figures/daily",
        params={"since": shown["since"], "until": shown["until"], "tz": "Europe/Berlin"},
    ).json()
    assert shown["days"] == direct["days"] and shown["period"] == direct["period"]
    total = shown["period"]["total"]
    assert (total["resolved"], total["handed_over"], total["abandoned"], total["contained"]) == (
        2,
        2,
        1,
        1,
    )
    assert total["handover_reasons"] == {"sensitive_topic:fraud": 1, "unknown": 1}
    assert set(shown["period"]["by_channel"]) == {"rest", "socketio", "twilio"}


def test_each_number_lists_its_conversations(supervisor: DeskClient) -> None:
    figures = supervisor.get("/api/dashboard/figures", params=PERIOD).json()["period"]["total"]
    for kind in ("handed_over", "resolved", "abandoned", "contained", "conversations"):
        listed = supervisor.get("/api/dashboard/conversations", params={**PERIOD, "kind": kind})
        assert listed.status_code == 200, listed.text
        assert listed.json()["total"] == figures[kind] == len(listed.json()["conversations"])
    fraud = supervisor.get(
        "/api/dashboard/conversations",
        params={**PERIOD, "kind": "handed_over", "reason": "sensitive_topic"},
    ).json()["conversations"]
    assert [(r["conversation_id"], r["channel"], r["handoff_id"]) for r in fraud] == [
        ("erin", "twilio", "H-fraud-1")
    ]
    funnel = supervisor.get(
        "/api/dashboard/conversations",
        params={**PERIOD, "funnel": "check_order_status", "step": "answered"},
    ).json()
    assert [r["conversation_id"] for r in funnel["conversations"]] == ["alice", "alice"]
    unknown = supervisor.get(
        "/api/dashboard/conversations",
        params={**PERIOD, "funnel": "check_order_status", "step": "x"},
    )
    assert unknown.status_code == 400 and "answered" in unknown.json()["detail"]
    one_day = supervisor.get(
        "/api/dashboard/conversations", params={"start": "2025-11-30", "end": "2025-11-30"}
    ).json()
    assert {r["conversation_id"] for r in one_day["conversations"]} == {"alice", "bob"}


def test_csv_export_of_the_figures_and_of_a_list(supervisor: DeskClient) -> None:
    answer = supervisor.get("/api/dashboard/figures.csv", params=PERIOD)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    period = next(r for r in rows if r["day"] == "period" and r["scope"] == "total")
    figures = supervisor.get("/api/dashboard/figures", params=PERIOD).json()["period"]["total"]
    assert int(period["handed_over"]) == figures["handed_over"]
    assert float(period["goal_completion_rate"]) == figures["goal_completion_rate"]
    assert {r["name"] for r in rows if r["scope"] == "journey"} >= {"check_order_status"}

    listed = supervisor.get(
        "/api/dashboard/conversations.csv", params={**PERIOD, "kind": "abandoned"}
    )
    assert listed.status_code == 200
    (row,) = list(csv.DictReader(io.StringIO(listed.text)))
    # The customer-chosen id is kept, but never as a formula a spreadsheet would run.
    assert row["conversation_id"] == f"'{FORMULA_SENDER}"
    assert row["outcome"] == "abandoned" and row["channel"] == "rest"


@pytest.mark.parametrize(
    "path",
    [
        "/api/dashboard/figures",
        "/api/dashboard/conversations",
        "/api/dashboard/figures.csv",
        "/api/dashboard/conversations.csv",
    ],
)
def test_a_plain_agent_is_refused_and_told_why(board: Dashboard, path: str) -> None:
    agent = board.account("Dana", "agent")
    answer = agent.get(path, params=PERIOD)
    assert answer.status_code == 403
    assert answer.json() == {"detail": "this needs the supervisor role; you are agent"}
    anonymous = requests.get(f"{board.desk.url}{path}", params=PERIOD, timeout=10)
    assert anonymous.status_code == 401
    assert admin(board.desk.url).get(path, params=PERIOD).status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2025-12-02", "end": "2025-11-29"},  # backwards
        {"start": "2025-01-01", "end": "2025-12-31"},  # over 92 days
        {"start": "0001-01-01", "end": "0001-01-02"},
        {"start": "9999-12-30", "end": "9999-12-31"},
        {"start": "yesterday"},
        {"kind": "everything"},
        {"channel": "<script>"},
        {"reason": "x" * 65},
        {"limit": 0},
        {"limit": 501},
    ],
)
def test_bad_input_is_a_4xx_with_the_reason(supervisor: DeskClient, params: dict) -> None:
    answer = supervisor.get("/api/dashboard/conversations", params=params)
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.json()["detail"]


def test_the_page_and_its_pinned_chart_library_are_served_from_the_desk(
    board: Dashboard,
) -> None:
    page = requests.get(f"{board.desk.url}/dashboard", timeout=10)
    assert page.status_code == 200 and "/vendor/chart.js" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text and not re.search(r"\son[a-z]+=", page.text)
    library = requests.get(f"{board.desk.url}/vendor/chart.js", timeout=10)
    assert library.status_code == 200 and "Chart.js v4.5.1" in library.text[:300]


def test_without_the_analytics_service_the_dashboard_says_so(tmp_path: Path) -> None:
    with dashboard(tmp_path, analytics_url=f"http://127.0.0.1:{free_port()}") as offline:
        supervisor = offline.account("Sofia", "supervisor")
        answer = supervisor.get("/api/dashboard/figures", params=PERIOD)
        assert answer.status_code == 503
        assert "analytics service is unreachable" in answer.json()["detail"]


def test_the_routes_are_in_the_desks_openapi_the_fuzz_bench_reads(board: Dashboard) -> None:
    spec = requests.get(f"{board.desk.url}/openapi.json", timeout=10).json()
    found = {(op.method, op.path) for op in operations(spec)}
    for path in ("figures", "conversations", "figures.csv", "conversations.csv"):
        assert ("GET", f"/api/dashboard/{path}") in found
    csv_answer = spec["paths"]["/api/dashboard/figures.csv"]["get"]["responses"]["200"]
    assert "text/csv; charset=utf-8" in csv_answer["content"]
