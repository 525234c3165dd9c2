"""Handing a conversation over: who may, which packets, once per conversation."""

from typing import Any

import pytest

from tests.support.services import Service
from tests.support.stack import DeskClient

from .support import agent, conversation_id, integration, packet


def test_health(desk: Service, action_server: DeskClient) -> None:
    assert action_server.get("/health").status_code == 200


@pytest.mark.parametrize("token", [None, "wrong", "agent"])
def test_handing_over_needs_the_integration_token(desk: Service, token: Any) -> None:
    client = agent(desk.url) if token == "agent" else integration(desk.url)
    if token is None:
        del client.session.headers["Authorization"]
    elif token == "wrong":
        client.session.headers["Authorization"] = "Bearer wrong"
    response = client.post("/api/handoffs", json=packet())
    assert response.status_code == 401
    assert "integration token" in response.json()["detail"]


def test_the_agent_api_needs_a_signed_in_agent(desk: Service, action_server: DeskClient) -> None:
    assert action_server.get("/api/handoffs").status_code == 401
    assert action_server.post("/api/handoffs/x/claim").status_code == 401
    assert agent(desk.url).get("/api/handoffs").status_code == 200


def test_the_queue_is_readable_with_either_token(desk: Service, action_server: DeskClient) -> None:
    for client in (action_server, agent(desk.url)):
        response = client.get("/api/queue")
        assert response.status_code == 200
        assert set(response.json()) == {
            "waiting",
            "expected_wait_minutes",
            "open_now",
            "next_open",
            "hours",
        }
    assert (
        integration(desk.url).get("/api/queue", headers={"Authorization": "Bearer x"}).status_code
        == 401
    )


def _broken(**changes: Any) -> dict[str, Any]:
    valid = packet()
    valid.update(changes)
    return valid


@pytest.mark.parametrize(
    "body, reason",
    [
        (_broken(packet_version="2"), "$.packet_version"),
        (
            _broken(
                customer={"verified": False, "customer_id": "C-1001", "name": None, "tier": None}
            ),
            "$.customer.customer_id",
        ),
        ({k: v for k, v in packet().items() if k != "transcript"}, "'transcript' is a required"),
        (_broken(created_at="yesterday"), "$.created_at"),
    ],
)
def test_a_packet_that_breaks_the_schema_is_refused_with_the_reason(
    action_server: DeskClient, body: dict[str, Any], reason: str
) -> None:
    response = action_server.post("/api/handoffs", json=body)
    assert response.status_code == 422
    assert reason in response.json()["detail"]


@pytest.mark.parametrize(
    "data, reason",
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
    ],
)
def test_a_body_that_is_no_packet_is_refused_with_the_reason(
    action_server: DeskClient, data: str, reason: str
) -> None:
    response = action_server.post(
        "/api/handoffs", data=data, headers={"Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500
    assert reason in response.json()["detail"]


def test_handing_over_is_idempotent_per_conversation(
    action_server: DeskClient, dana: DeskClient
) -> None:
    conversation = conversation_id()
    first = action_server.post("/api/handoffs", json=packet(conversation))
    again = action_server.post("/api/handoffs", json=packet(conversation))
    other = action_server.post("/api/handoffs", json=packet())
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
    assert again.json() == first.json()
    assert other.json()["id"] != first.json()["id"]
    listed = dana.get("/api/handoffs").json()
    assert [h["id"] for h in listed if h["conversation_id"] == conversation] == [first.json()["id"]]


def test_inside_support_hours_the_customer_waits(action_server: DeskClient) -> None:
    """The receipt of contract K2, from a desk open at every hour."""
    body = action_server.post("/api/handoffs", json=packet()).json()
    assert set(body) == {
        "id",
        "reference",
        "status",
        "position",
        "expected_wait_minutes",
        "human_available_at",
        "open_now",
        "next_open",
        "hours",
    }
    assert (body["status"], body["open_now"], body["next_open"]) == ("waiting", True, None)
    assert body["position"] >= 1 and body["expected_wait_minutes"] >= 1
    assert body["human_available_at"] is None
    assert body["hours"]["open"] == "00:00" and len(body["hours"]["days"]) == 7


def test_the_reference_finds_the_handoff(action_server: DeskClient, dana: DeskClient) -> None:
    body = action_server.post("/api/handoffs", json=packet()).json()
    found = dana.get("/api/handoffs", params={"q": body["reference"].lower()}).json()
    assert [h["id"] for h in found] == [body["id"]]


def test_an_unknown_status_filter_is_refused(dana: DeskClient) -> None:
    response = dana.get("/api/handoffs", params={"status": "lost"})
    assert response.status_code == 422
    assert "status" in response.json()["detail"]


def test_the_api_is_documented(action_server: DeskClient) -> None:
    schema = action_server.get("/openapi.json").json()
    assert set(schema["paths"]) >= {
        "/health",
        "/api/handoffs",
        "/api/queue",
        "/api/handoffs/{handoff_id}",
        *(
            f"/api/handoffs/{{handoff_id}}/{move}"
            for move in ("claim", "reply", "hand_back", "close", "rating")
        ),
    }
    assert action_server.get("/docs").status_code == 200


def test_the_agent_page_is_served(action_server: DeskClient) -> None:
    page = action_server.get("/")
    assert page.status_code == 200 and 'id="signin"' in page.text
    assert action_server.get("/static/desk.js").status_code == 200
