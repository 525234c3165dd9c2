"""The outreach lists (backend/lists.py): off without BACKEND_LIST_TOKEN, guarded by it
and a rate limit when set, ids only, bad input refused with the field named."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.services import Service

from .support import Api, start_backend

TOKEN = "list-token-for-the-tests-7f3a"
RIGHT = {"Authorization": f"Bearer {TOKEN}"}
PENDING = "/lists/pending_activations"


@pytest.fixture(scope="module")
def lists(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    workdir: Path = tmp_path_factory.mktemp("backend-lists")
    service: Service = start_backend(
        "backend-lists",
        workdir,
        {
            "DATABASE_URL": f"sqlite:///{workdir / 'backend.db'}",
            "BACKEND_LIST_TOKEN": TOKEN,
            "BACKEND_LIST_RATE_LIMIT": "30/minute",
        },
    )
    yield Api(service.url)
    service.stop()


def test_the_lists_are_off_without_their_token(api: Api) -> None:
    answer = api.get(PENDING, params={"before": "2026-11-20"}, headers=RIGHT)
    assert answer.status_code == 403
    assert "BACKEND_LIST_TOKEN" in answer.json()["detail"]


def test_pending_activations_since_before_a_day_with_ids_only(lists: Api) -> None:
    for headers in ({}, {"Authorization": "Bearer guess-guess-guess-guess"}):
        answer = lists.get(PENDING, params={"before": "2026-11-08"}, headers=headers)
        assert answer.status_code == 401, answer.text
        assert answer.json() == {"detail": "missing or wrong bearer token"}
    answer = lists.get(PENDING, params={"before": "2026-11-08"}, headers=RIGHT)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "items": [
            {"id": "POL-50008", "customer_id": "C-1011", "pending_since": "2026-11-07"},
            {"id": "POL-50009", "customer_id": "C-1012", "pending_since": "2026-11-06"},
            {"id": "POL-50013", "customer_id": "C-1018", "pending_since": "2026-10-24"},
            {"id": "POL-50024", "customer_id": "C-1032", "pending_since": "2026-10-21"},
        ],
        "next": None,
    }
    # Pending since the day itself is not "before" it; pages follow the ids.
    first = lists.get(PENDING, params={"before": "2026-11-07", "limit": 2}, headers=RIGHT).json()
    assert [p["id"] for p in first["items"]] == ["POL-50009", "POL-50013"]
    rest = lists.get(
        PENDING, params={"before": "2026-11-07", "after": first["next"]}, headers=RIGHT
    ).json()
    assert rest == {
        "items": [{"id": "POL-50024", "customer_id": "C-1032", "pending_since": "2026-10-21"}],
        "next": None,
    }


def test_customers_in_a_lifecycle_stage(lists: Api) -> None:
    answer = lists.get("/lists/customers", params={"lifecycle_stage": "at_risk"}, headers=RIGHT)
    assert answer.status_code == 200, answer.text
    assert [c["id"] for c in answer.json()["items"]] == [
        "C-1001",
        "C-1016",
        "C-1017",
        "C-1029",
        "C-1046",
        "C-1047",
    ]
    assert set(answer.json()["items"][0]) == {"id", "lifecycle_stage"}  # no contact details


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        (PENDING, {}, "before"),
        (PENDING, {"before": "yesterday"}, "before"),
        (PENDING, {"before": "2026-11-20", "after": "x' OR 1=1"}, "after"),
        (PENDING, {"before": "2026-11-20", "limit": 0}, "limit"),
        (PENDING, {"before": "2026-11-20", "limit": 501}, "limit"),
        ("/lists/customers", {"lifecycle_stage": "vip"}, "lifecycle_stage"),
        ("/lists/customers", {}, "lifecycle_stage"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    lists: Api, path: str, params: dict[str, object], field: str
) -> None:
    answer = lists.get(path, params=params, headers=RIGHT)
    assert answer.status_code == 422, answer.text
    assert field in answer.json()["detail"]


def test_a_body_over_the_limit_is_refused_unread(lists: Api) -> None:
    answer = lists.request(
        "GET", PENDING, params={"before": "2026-11-20"}, headers=RIGHT, data=b"x" * 70_000
    )
    assert answer.status_code == 413, answer.text


def test_the_lists_are_rate_limited_before_the_token_is_checked(lists: Api) -> None:
    statuses = [
        lists.get("/lists/customers", params={"lifecycle_stage": "active"}).status_code
        for _ in range(31)
    ]
    assert statuses[-1] == 429
    limited = lists.get("/lists/customers", params={"lifecycle_stage": "active"}, headers=RIGHT)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
