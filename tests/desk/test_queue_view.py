"""The queue an agent works from (issue #19 point 4), against a desk and a real Rasa:
each row in plain words (channel, age, reason), filters and search on GET
/api/handoffs done by the server and validated, and test or abandoned hand-overs
closed in bulk by a supervisor, each resumed and audited like a normal close. The
answers are checked against the desk's own /openapi.json."""

import uuid
from typing import Any

import pytest
import requests
from jsonschema import Draft202012Validator

from tests.support.services import Service
from tests.support.stack import DeskClient

from .support import RasaApi, admin, agent, conversation_id, integration, packet

FRAUD = {
    "reason_code": "sensitive_topic:fraud",
    "rule": "topics.fraud",
    "values": {"topic": "fraud"},
}
TOO_LONG = {
    "reason_code": "turn_limit",
    "rule": "turn_limit.max_user_turns",
    "values": {"user_turns": 8},
}


def handed_over(
    robot: DeskClient,
    conversation: str,
    channel: str,
    escalation: dict[str, Any] | None = None,
    said: str = "",
) -> dict[str, Any]:
    """A hand-over of the conversation on that channel; `said` is a line of the customer's."""
    body = packet(conversation)
    body["channel"] = channel
    if escalation:
        body["escalation"] = escalation
    if said:
        body["transcript"].append({**body["transcript"][0], "text": said})
    response = robot.post("/api/handoffs", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def ids(response: requests.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [handoff["id"] for handoff in response.json()]


def answers_as_declared(
    desk: Service, template: str, method: str, response: requests.Response
) -> None:
    spec = requests.get(f"{desk.url}/openapi.json", timeout=10).json()
    declared = spec["paths"][template][method]["responses"].get(str(response.status_code))
    assert declared, f"{method} {template} answered {response.status_code}, not declared"
    schema = declared["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**schema, "components": spec["components"]})
    problems = [error.message for error in validator.iter_errors(response.json())]
    assert not problems, problems[:3]


def test_rows_filters_and_search(desk: Service, rasa: RasaApi) -> None:
    robot, dana = integration(desk.url), agent(desk.url)
    marker = f"parcel-{uuid.uuid4().hex[:8]}"
    web = handed_over(robot, conversation_id(), "socketio", said=f"where is my {marker}")
    phone = handed_over(
        robot, conversation_id(), "twilio_voice", TOO_LONG, said=f"my {marker} again"
    )
    whatsapp = handed_over(robot, conversation_id(), "twilio", FRAUD, said=f"{marker} scam")

    listed = dana.get("/api/handoffs", params={"q": marker.upper()})
    assert ids(listed) == [web["id"], phone["id"], whatsapp["id"]]
    answers_as_declared(desk, "/api/handoffs", "get", listed)
    rows = {row["id"]: row["plain"] for row in listed.json()}
    assert (
        rows[web["id"]]["channel"],
        rows[phone["id"]]["channel"],
        rows[whatsapp["id"]]["channel"],
    ) == ("Web chat", "Phone", "WhatsApp")
    assert rows[web["id"]]["age"] == "just now"
    assert rows[web["id"]]["why"] == "The customer asked to speak to a person."
    assert "possible fraud" in rows[whatsapp["id"]]["why"]
    assert rows[phone["id"]]["contact"]["missing"] == "The packet holds no number to call back."

    assert ids(dana.get("/api/handoffs", params={"q": marker, "channel": "twilio_voice"})) == [
        phone["id"]
    ]
    assert ids(dana.get("/api/handoffs", params={"q": marker, "reason": "sensitive_topic"})) == [
        whatsapp["id"]
    ]
    assert ids(
        dana.get("/api/handoffs", params={"q": marker, "reason": "sensitive_topic:fraud"})
    ) == [whatsapp["id"]]
    assert ids(
        dana.get(
            "/api/handoffs", params={"q": marker, "reason": "human_requested", "status": "waiting"}
        )
    ) == [web["id"]]
    assert ids(dana.get("/api/handoffs", params={"q": marker, "status": "closed"})) == []
    # The conversation id finds its hand-over, and only it.
    conversation = listed.json()[1]["conversation_id"]
    assert ids(dana.get("/api/handoffs", params={"q": conversation})) == [phone["id"]]


@pytest.mark.parametrize(
    "params, reason",
    [
        ({"channel": "pigeon"}, "channel"),
        ({"reason": "DROP TABLE handoffs"}, "reason"),
        ({"reason": "x" * 65}, "reason"),
        ({"q": ""}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"status": "lost"}, "status"),
    ],
)
def test_a_bad_filter_is_refused_with_the_reason(
    desk: Service, params: dict[str, str], reason: str
) -> None:
    response = agent(desk.url).get("/api/handoffs", params=params)
    assert response.status_code == 422
    assert reason in response.json()["detail"]
    answers_as_declared(desk, "/api/handoffs", "get", response)


def test_a_supervisor_closes_test_conversations_in_bulk(desk: Service, rasa: RasaApi) -> None:
    robot = integration(desk.url)
    first, second = rasa.paused_conversation(), rasa.paused_conversation()
    one = handed_over(robot, first, "socketio")
    two = handed_over(robot, second, "twilio")
    dana, sam = agent(desk.url, "Dana"), agent(desk.url, "Sam")
    assert sam.move(two["id"], "claim").status_code == 200  # someone holds it: still closable
    body = {"ids": [one["id"], two["id"]], "reason": "test conversations"}

    refused = dana.post("/api/handoffs/bulk_close", json=body)
    assert refused.status_code == 403 and "supervisor" in refused.json()["detail"]
    answers_as_declared(desk, "/api/handoffs/bulk_close", "post", refused)
    assert dana.get(f"/api/handoffs/{one['id']}").json()["status"] == "waiting"

    boss = agent(desk.url, "Sofia", "supervisor")
    done = boss.post(
        "/api/handoffs/bulk_close", json={**body, "ids": [*body["ids"], "no-such-handoff"]}
    )
    assert done.status_code == 200, done.text
    answers_as_declared(desk, "/api/handoffs/bulk_close", "post", done)
    assert done.json() == {
        "closed": [one["id"], two["id"]],
        "skipped": [{"id": "no-such-handoff", "reason": "no such hand-over"}],
    }
    for handoff, conversation in ((one, first), (two, second)):
        shown = boss.get(f"/api/handoffs/{handoff['id']}").json()
        assert (shown["status"], shown["agent"]) == ("closed", "Sofia")
        tracker = rasa.tracker(conversation)
        assert tracker["paused"] is False  # the assistant answers what comes next
        assert any(
            event.get("event") == "bot" and "conversation is closed" in event["text"]
            for event in tracker["events"]
        )
        audited = (
            admin(desk.url)
            .get("/api/audit", params={"handoff_id": handoff["id"], "action": "bulk_close"})
            .json()
        )
        assert [(entry["actor"], entry["outcome"], entry["detail"]) for entry in audited] == [
            ("Sofia", "ok", "test conversations")
        ]

    again = boss.post("/api/handoffs/bulk_close", json={"ids": [one["id"]], "reason": "again"})
    assert again.json() == {"closed": [], "skipped": [{"id": one["id"], "reason": "it is closed"}]}


@pytest.mark.parametrize(
    "body, reason",
    [
        ({"ids": [], "reason": "tests"}, "ids"),
        ({"ids": ["a", "a"], "reason": "tests"}, "ids"),
        ({"ids": [str(n) for n in range(201)], "reason": "tests"}, "ids"),
        ({"ids": ["a" * 65], "reason": "tests"}, "ids"),
        ({"ids": ["a"]}, "reason"),
        ({"ids": ["a"], "reason": "   "}, "reason"),
        ({"ids": ["a"], "reason": "tests", "status": "closed"}, "status"),
    ],
)
def test_a_bad_bulk_close_is_refused_with_the_reason(
    desk: Service, body: dict[str, Any], reason: str
) -> None:
    response = agent(desk.url, "Sofia", "supervisor").post("/api/handoffs/bulk_close", json=body)
    assert response.status_code == 422
    assert reason in response.json()["detail"]


def test_a_close_rasa_does_not_take_is_skipped_and_changes_nothing(
    desk_without_rasa: Service,
) -> None:
    url = desk_without_rasa.url
    handoff = handed_over(integration(url), conversation_id(), "email")
    done = agent(url, "Sofia", "supervisor").post(
        "/api/handoffs/bulk_close", json={"ids": [handoff["id"]], "reason": "tests"}
    )
    assert done.status_code == 200, done.text
    [skipped] = done.json()["skipped"]
    assert skipped["id"] == handoff["id"] and skipped["reason"]
    assert done.json()["closed"] == []
    assert agent(url).get(f"/api/handoffs/{handoff['id']}").json()["status"] == "waiting"
    [entry] = (
        admin(url)
        .get("/api/audit", params={"handoff_id": handoff["id"], "action": "bulk_close"})
        .json()
    )
    assert (entry["outcome"], entry["detail"]) == ("failed", f"tests ({skipped['reason']})")
