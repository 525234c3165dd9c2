"""Logging conversation interactions."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from .support import Api

NOTE = {
    "conversation_id": "conv-1",
    "channel": "whatsapp",
    "type": "order_status",
    "summary": "Asked about BW-100002.",
}


def test_round_trip(api: Api, reset: None) -> None:
    before = datetime.now(UTC)
    first = api.post("/interactions", json={**NOTE, "customer_id": "c-1001"})
    assert first.status_code == 201, first.text
    stored = first.json()
    assert stored == {
        **NOTE,
        "customer_id": "C-1001",
        "id": "INT-000001",
        "created_at": stored["created_at"],
    }
    created_at = datetime.fromisoformat(stored["created_at"])
    assert created_at.tzinfo is not None
    assert before - timedelta(seconds=5) <= created_at <= datetime.now(UTC) + timedelta(seconds=5)

    second = api.post(
        "/interactions", json={**NOTE, "summary": "Booked a repair.", "customer_id": "C-1001"}
    ).json()
    assert second["id"] == "INT-000002"
    anonymous = api.post("/interactions", json=NOTE)
    assert anonymous.status_code == 201
    assert anonymous.json()["customer_id"] is None

    assert api.get("/customers/C-1001/interactions").json() == {"items": [second, stored]}
    assert api.get("/customers/C-1002/interactions").json() == {"items": []}


def test_longest_summary_is_accepted(api: Api, reset: None) -> None:
    response = api.post("/interactions", json={**NOTE, "summary": "x" * 4000})
    assert response.status_code == 201
    assert response.json()["summary"] == "x" * 4000


@pytest.mark.parametrize(
    "change, status, reason",
    [
        ({"customer_id": "C-0000"}, 404, "customer C-0000 not found"),
        (
            {"summary": "x" * 4001},
            422,
            "body.summary: ensure this value has at most 4000 characters",
        ),
        ({"summary": ""}, 422, "body.summary"),
        ({"conversation_id": "c" * 129}, 422, "body.conversation_id"),
        ({"channel": "c" * 33}, 422, "body.channel"),
        ({"type": "t" * 65}, 422, "body.type"),
        ({"summary": 42}, 422, "body.summary: str type expected"),
        ({"customer_id": 1001}, 422, "body.customer_id"),
        ({"summary": None}, 422, "body.summary"),
        ({"extra": "field"}, 422, "body.extra: extra fields not permitted"),
    ],
)
def test_bad_interaction(api: Api, change: dict[str, Any], status: int, reason: str) -> None:
    response = api.post("/interactions", json={**NOTE, **change})
    assert response.status_code == status, response.text
    assert reason in response.json()["detail"]


@pytest.mark.parametrize("field", list(NOTE))
def test_interaction_without_a_field(api: Api, field: str) -> None:
    response = api.post(
        "/interactions", json={key: value for key, value in NOTE.items() if key != field}
    )
    assert response.status_code == 422
    assert response.json() == {"detail": f"body.{field}: field required"}


def test_a_write_sent_again_with_its_request_id_is_stored_once(api: Api, reset: None) -> None:
    retried = {**NOTE, "customer_id": "C-1001", "request_id": "outbox-0f3a9c2e"}
    first = api.post("/interactions", json=retried)
    again = api.post("/interactions", json=retried)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and "request_id" not in first.json()
    other = api.post("/interactions", json={**retried, "request_id": "outbox-77aa00bb"}).json()
    assert other["id"] != first.json()["id"]
    assert api.get("/customers/C-1001/interactions").json() == {"items": [other, first.json()]}


@pytest.mark.parametrize("request_id", ["short", "x" * 65, "has space1", "a/b/c/d/e", 12345678])
def test_a_malformed_request_id_is_refused(api: Api, reset: None, request_id: Any) -> None:
    response = api.post("/interactions", json={**NOTE, "request_id": request_id})
    assert response.status_code == 422, response.text
