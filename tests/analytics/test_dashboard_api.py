"""The dashboard's read routes of the analytics service, attacked like the others: the
token, the rate limit, the size limit, bad periods, zones and filters."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics.app import MAX_ROWS
from bench.fuzz.openapi import operations
from tests.analytics.events import T0
from tests.analytics.test_api import PERIOD, Client, caught_up, serving

ROUTES = ("/figures/daily", "/conversations")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    yield from serving(tmp_path_factory.mktemp("analytics-dashboard-api"))


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[Client]:
    yield from serving(tmp_path, ANALYTICS_RATE_LIMIT="3/minute")


def test_the_days_and_their_conversations_agree_with_the_figures(client: Client) -> None:
    caught_up(client)
    daily = client.get("/figures/daily", params={**PERIOD, "tz": "Europe/Berlin"})
    assert daily.status_code == 200, daily.text
    body = daily.json()
    assert [d["day"] for d in body["days"]] == ["2025-11-30", "2025-12-01"]
    figures = client.get("/figures", params=PERIOD).json()
    assert body["period"]["total"] == figures["total"]
    assert sum(d["total"]["handed_over"] for d in body["days"]) == figures["total"]["handed_over"]
    for kind in ("resolved", "handed_over", "abandoned", "conversations"):
        listed = client.get("/conversations", params={**PERIOD, "kind": kind}).json()
        assert listed["total"] == figures["total"][kind] == len(listed["conversations"])
    row = client.get("/conversations", params={**PERIOD, "kind": "resolved"}).json()
    assert row["conversations"][0]["conversation_id"] == "c-resolved"
    assert row["conversations"][0]["channel"] == "rest"


def test_a_funnel_steps_conversations(client: Client) -> None:
    caught_up(client)
    params = {**PERIOD, "funnel": "check_order_status", "step": "answered"}
    listed = client.get("/conversations", params=params).json()
    assert [r["conversation_id"] for r in listed["conversations"]] == ["c-resolved"]
    funnel = client.get("/figures", params=PERIOD).json()["funnels"]["check_order_status"]
    assert funnel["entered"] == 1 and funnel["steps"][-1]["reached"] == 1


def test_a_page_of_the_drill_down(client: Client) -> None:
    caught_up(client)
    page = client.get("/conversations", params={**PERIOD, "limit": 1, "offset": 1}).json()
    assert page["total"] == 3 and len(page["conversations"]) == 1


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", "Basic token", "Bearer "])
def test_without_the_token_nothing_is_shown(client: Client, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    for path in ROUTES:
        answer = client.get(path, params=PERIOD, headers=headers)
        assert answer.status_code in (401, 403)
        assert set(answer.json()) == {"detail"}


def test_over_the_rate_limit_is_429_with_retry_after(limited: Client) -> None:
    answers = [limited.get(path, params=PERIOD) for path in (*ROUTES, "/figures/daily")]
    assert [a.status_code for a in answers] == [200] * 3
    refused = limited.get("/conversations", params=PERIOD)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/figures/daily", {"since": T0, "until": T0 + 93 * 86400}),  # over 92 days
        ("/figures/daily", {"since": T0 + 10, "until": T0}),
        ("/figures/daily", {**PERIOD, "tz": "Mars/Olympus_Mons"}),
        ("/figures/daily", {**PERIOD, "tz": "../../etc/passwd"}),
        ("/figures/daily", {**PERIOD, "tz": "/etc/localtime"}),
        ("/figures/daily", {**PERIOD, "tz": "Europe"}),
        ("/figures/daily", {**PERIOD, "tz": "x" * 65}),
        ("/conversations", {**PERIOD, "kind": "everything"}),
        ("/conversations", {**PERIOD, "limit": MAX_ROWS + 1}),
        ("/conversations", {**PERIOD, "limit": 0}),
        ("/conversations", {**PERIOD, "offset": -1}),
        ("/conversations", {**PERIOD, "reason": "'; drop table sessions; --"}),
        ("/conversations", {**PERIOD, "channel": "x" * 41}),
        ("/conversations", {"since": "nan", "until": "inf"}),
        ("/conversations", {"since": T0, "until": T0 + 400 * 86400}),
        ("/conversations", {**PERIOD, "funnel": "no_such_journey"}),
        ("/conversations", {**PERIOD, "funnel": "check_invoice", "step": "paid"}),
        ("/conversations", {**PERIOD, "step": "asked"}),
    ],
)
def test_bad_input_is_a_4xx_with_the_reason(client: Client, path: str, params: dict) -> None:
    answer = client.get(path, params=params)
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.json()["detail"]


def test_an_unknown_filter_value_is_an_empty_list_not_an_error(client: Client) -> None:
    for params in ({"channel": "<script>"}, {"goal": "nope"}, {"reason": "legal"}):
        answer = client.get("/conversations", params={**PERIOD, **params})
        assert answer.status_code == 200 and answer.json()["total"] == 0


def test_an_oversized_body_is_refused_before_it_is_read(client: Client) -> None:
    for path in ROUTES:
        assert client.get(path, params=PERIOD, data=b"x" * 5000).status_code == 413


def test_the_fuzz_bench_reaches_the_new_routes(client: Client) -> None:
    """bench/fuzz's Analytics API entry point draws its requests from /openapi.json."""
    spec = client.get("/openapi.json").json()
    assert {op.path for op in operations(spec)} >= set(ROUTES)
