"""Completing a hand-over queued during an outage: only the integration may, only
the same customer, only parts that keep the packet valid; every change audited."""

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from actions.packet.account import BACKEND_DOWN_NOTE, empty_snapshot, enrichment
from actions.packet.build import build_packet
from tests.support.services import Service
from tests.support.stack import DeskClient

from .support import (
    ASKED_FOR_PERSON,
    WEDNESDAY_MORNING,
    admin,
    agent,
    conversation_id,
    integration,
)

RECORD = {"id": "C-1002", "first_name": "Ana", "last_name": "Ruiz", "tier": "gold"}
ORDER = {
    "id": "BW-100002",
    "customer_id": "C-1002",
    "status": "delayed",
    "delay_reason": "carrier capacity shortage",
    "eta": "2026-11-25",
}


def outage_packet(customer_id: str = "C-1002") -> dict[str, Any]:
    """A verified customer's packet built while the backend did not answer."""
    events = [
        {
            "event": "user",
            "text": "I want to talk to a person",
            "input_channel": "rest",
            "timestamp": WEDNESDAY_MORNING.timestamp() - 5,
            "parse_data": {"intent": {"name": "request_human", "confidence": 0.97}},
        }
    ]
    tracker = {
        "sender_id": conversation_id(),
        "slots": {"verified_customer_id": customer_id},
        "events": events,
        "latest_input_channel": "rest",
    }
    return build_packet(
        tracker, ASKED_FOR_PERSON, empty_snapshot(BACKEND_DOWN_NOTE), None, WEDNESDAY_MORNING
    )


def queued(client: DeskClient) -> str:
    response = client.post("/api/handoffs", json=outage_packet())
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def late_parts() -> dict[str, Any]:
    snapshot = {**empty_snapshot(None), "orders": [ORDER]}
    return enrichment("C-1002", RECORD, snapshot)


def test_the_integration_completes_the_packet_and_it_is_audited(
    desk: Service, action_server: DeskClient
) -> None:
    handoff_id = queued(action_server)
    response = action_server.post(f"/api/handoffs/{handoff_id}/enrichment", json=late_parts())
    assert response.status_code == 200, response.text
    packet = agent(desk.url).get(f"/api/handoffs/{handoff_id}").json()["packet"]
    assert packet["customer"] == {
        "verified": True,
        "customer_id": "C-1002",
        "name": "Ana Ruiz",
        "tier": "gold",
    }
    assert packet["account_snapshot"]["orders"][0]["delay_reason"] == ORDER["delay_reason"]
    assert packet["account_snapshot"]["note"] is None
    entries = admin(desk.url).get("/api/audit", params={"handoff_id": handoff_id}).json()
    assert [(e["actor"], e["action"], e["detail"]) for e in entries if e["action"] == "enrich"] == [
        ("integration", "enrich", "account_snapshot, customer")
    ]


def test_what_the_customer_was_told_joins_the_packet(
    desk: Service, action_server: DeskClient
) -> None:
    """The action server words the notice from the receipt, then adds it."""
    handoff_id = queued(action_server)
    told = {
        "text": "Of course.\nYou're number 1 in the queue.",
        "expected_wait_minutes": 3,
        "human_available_at": None,
        "messages": [{"response": "utter_handoff_queued", "variables": {"position": 1}}],
    }
    response = action_server.post(
        f"/api/handoffs/{handoff_id}/enrichment", json={"customer_notice": told}
    )
    assert response.status_code == 200, response.text
    assert (
        agent(desk.url).get(f"/api/handoffs/{handoff_id}").json()["packet"]["customer_notice"]
        == told
    )
    wrong = action_server.post(
        f"/api/handoffs/{handoff_id}/enrichment", json={"customer_notice": {"text": ""}}
    )
    assert wrong.status_code == 422 and "not a hand-over packet" in wrong.json()["detail"]


@pytest.mark.parametrize("token", [None, "wrong", "agent"])
def test_only_the_integration_token_may_enrich(
    desk: Service, action_server: DeskClient, token: Any
) -> None:
    handoff_id = queued(action_server)
    client = agent(desk.url) if token == "agent" else integration(desk.url)
    if token is None:
        del client.session.headers["Authorization"]
    elif token == "wrong":
        client.session.headers["Authorization"] = "Bearer wrong"
    response = client.post(f"/api/handoffs/{handoff_id}/enrichment", json=late_parts())
    assert response.status_code == 401
    packet = agent(desk.url).get(f"/api/handoffs/{handoff_id}").json()["packet"]
    assert packet["customer"]["name"] is None


@pytest.mark.parametrize(
    "body, status, reason",
    [
        ({}, 422, "nothing to add"),
        (
            {"customer": {**late_parts()["customer"], "customer_id": "C-1001"}},
            409,
            "another customer",
        ),
        (
            {"customer": {"verified": False, "customer_id": None, "name": None, "tier": None}},
            409,
            "another customer",
        ),
        (
            {"customer": {**late_parts()["customer"], "email": "x@example.com"}},
            422,
            "not a hand-over packet",
        ),
        ({"account_snapshot": {"orders": "all of them"}}, 422, "not a hand-over packet"),
        ({"summary": "rewritten"}, 422, "extra fields not permitted"),
        ({"customer": "C-1002"}, 422, "dict"),
        ({"callback": {"at": None, "by": "pigeon"}}, 422, "not a hand-over packet"),
        ({"callback": {"at": "tomorrow", "by": "call"}}, 422, "not a hand-over packet"),
        ({"callback": {"by": "call", "number": "+44"}}, 422, "not a hand-over packet"),
    ],
)
def test_an_enrichment_that_would_spoil_the_packet_is_refused(
    desk: Service, action_server: DeskClient, body: Any, status: int, reason: str
) -> None:
    handoff_id = queued(action_server)
    before = agent(desk.url).get(f"/api/handoffs/{handoff_id}").json()["packet"]
    response = action_server.post(f"/api/handoffs/{handoff_id}/enrichment", json=body)
    assert response.status_code == status, response.text
    assert reason in str(response.json()["detail"])
    assert agent(desk.url).get(f"/api/handoffs/{handoff_id}").json()["packet"] == before


def test_an_unknown_hand_over_is_not_found(action_server: DeskClient) -> None:
    response = action_server.post("/api/handoffs/H-nope/enrichment", json=late_parts())
    assert response.status_code == 404


def test_an_oversized_enrichment_is_refused(action_server: DeskClient) -> None:
    handoff_id = queued(action_server)
    huge = {"account_snapshot": {**empty_snapshot("x" * 2_000_000)}}
    assert (
        action_server.post(f"/api/handoffs/{handoff_id}/enrichment", json=huge).status_code == 413
    )


def test_its_answers_match_the_openapi_document(action_server: DeskClient) -> None:
    spec = action_server.get("/openapi.json").json()
    operation = spec["paths"]["/api/handoffs/{handoff_id}/enrichment"]["post"]
    handoff_id = queued(action_server)
    path = f"/api/handoffs/{handoff_id}/enrichment"
    answers = [
        action_server.post(path, json=late_parts()),
        action_server.post(path, json={}),
        action_server.post(
            path, json={"customer": {**late_parts()["customer"], "customer_id": "C-1001"}}
        ),
        action_server.post("/api/handoffs/H-nope/enrichment", json=late_parts()),
        DeskClient(action_server.url).post(path, json=late_parts()),
    ]
    assert [a.status_code for a in answers] == [200, 422, 409, 404, 401]
    for answer in answers:
        declared = operation["responses"][str(answer.status_code)]
        schema = declared["content"]["application/json"]["schema"]
        validator = Draft202012Validator({**schema, "components": spec["components"]})
        assert not [e.message for e in validator.iter_errors(answer.json())], answer.text
