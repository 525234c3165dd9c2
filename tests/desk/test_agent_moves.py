"""An agent claims, replies, hands back and closes; the customer's conversation in
Rasa shows each move, and a wrong move is refused with the reason."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.rest_auth import authorization
from tests.support.services import Service
from tests.support.stack import DeskClient

from .support import RasaApi, admin, agent, behaviour, integration, packet, start_desk

JOINED = "Dana from Brightwave has joined the conversation."


def handed_over(action_server: DeskClient, rasa: RasaApi) -> dict[str, Any]:
    """A conversation paused for a person and its hand-over."""
    conversation = rasa.paused_conversation()
    response = action_server.post("/api/handoffs", json=packet(conversation))
    assert response.status_code == 201, response.text
    return {**response.json(), "conversation_id": conversation}


def bot_events(rasa: RasaApi, conversation: str) -> list[dict[str, Any]]:
    return [e for e in rasa.tracker(conversation)["events"] if e["event"] == "bot"]


def marked(event: dict[str, Any]) -> dict[str, Any]:
    """Who an event is from, as the desk marked it (Rasa adds keys of its own)."""
    return {key: event["metadata"].get(key) for key in ("agent", "handoff_id")}


def customer_says(rasa: RasaApi, conversation: str, text: str) -> list[dict[str, Any]]:
    response = requests.post(
        f"{rasa.public_url}/webhooks/rest/webhook",
        json={"sender": conversation, "message": text},
        headers=authorization(rasa.rest_secret, conversation),
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_claim_tells_the_customer_who_joined(
    action_server: DeskClient, rasa: RasaApi, dana: DeskClient
) -> None:
    handoff = handed_over(action_server, rasa)
    response = dana.move(handoff["id"], "claim")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "claimed" and response.json()["agent"] == "Dana"
    [joined] = bot_events(rasa, handoff["conversation_id"])
    assert joined["text"] == JOINED
    assert marked(joined) == {"agent": "Dana", "handoff_id": handoff["id"]}
    assert joined["metadata"]["offline"]["send"] is False  # internal: no e-mail of its own
    assert rasa.tracker(handoff["conversation_id"])["paused"] is True


def test_a_claimed_handoff_is_only_moved_by_its_agent(
    action_server: DeskClient, rasa: RasaApi, dana: DeskClient, sam: DeskClient
) -> None:
    handoff = handed_over(action_server, rasa)
    assert dana.move(handoff["id"], "claim").status_code == 200
    assert dana.move(handoff["id"], "claim").status_code == 200  # already Dana's
    for move, body in (("claim", {}), ("reply", {"text": "hi"}), ("hand_back", {}), ("close", {})):
        response = sam.move(handoff["id"], move, **body)
        assert response.status_code == 409, move
        assert "claimed by Dana" in response.json()["detail"]
    assert len(bot_events(rasa, handoff["conversation_id"])) == 1


def test_replies_reach_the_conversation_and_the_customer_reaches_the_agent(
    action_server: DeskClient, rasa: RasaApi, dana: DeskClient
) -> None:
    handoff = handed_over(action_server, rasa)
    dana.move(handoff["id"], "claim")
    # While paused, Rasa logs the customer's message and the assistant says nothing.
    assert customer_says(rasa, handoff["conversation_id"], "my order never came") == []
    response = dana.move(handoff["id"], "reply", text="  I'm looking at it now.  ")
    assert response.status_code == 200, response.text
    reply = bot_events(rasa, handoff["conversation_id"])[-1]
    assert reply["text"] == "I'm looking at it now."
    assert marked(reply) == {"agent": "Dana", "handoff_id": handoff["id"]}
    assert reply["metadata"]["offline"] == {
        "send": True,
        "signature": "Kind regards,\nDana\nBrightwave Customer Service",
    }
    conversation = dana.get(f"/api/handoffs/{handoff['id']}").json()["conversation"]
    assert [(m["from"], m["agent"], m["text"]) for m in conversation] == [
        ("agent", "Dana", JOINED),
        ("customer", None, "my order never came"),
        ("agent", "Dana", "I'm looking at it now."),
    ]


def test_hand_back_resumes_the_assistant(
    action_server: DeskClient, rasa: RasaApi, dana: DeskClient
) -> None:
    handoff = handed_over(action_server, rasa)
    dana.move(handoff["id"], "claim")
    response = dana.move(handoff["id"], "hand_back")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "handed_back" and response.json()["ended_at"]
    tracker = rasa.tracker(handoff["conversation_id"])
    assert tracker["paused"] is False
    assert [e["event"] for e in tracker["events"]][-3:] == ["bot", "resume", "action"]
    assert "back with Brightwave's virtual assistant" in tracker["events"][-3]["text"]
    assert tracker["latest_action_name"] == "action_listen"
    for move, body in (("reply", {"text": "still there?"}), ("claim", {}), ("hand_back", {})):
        refused = dana.move(handoff["id"], move, **body)
        assert refused.status_code == 409, move
        assert "handed back" in refused.json()["detail"]


def test_close_resumes_the_assistant_and_frees_the_conversation(
    action_server: DeskClient, rasa: RasaApi, dana: DeskClient
) -> None:
    handoff = handed_over(action_server, rasa)
    dana.move(handoff["id"], "claim")
    response = dana.move(handoff["id"], "close")
    assert response.status_code == 200 and response.json()["status"] == "closed"
    tracker = rasa.tracker(handoff["conversation_id"])
    assert tracker["paused"] is False
    assert "conversation is closed" in tracker["events"][-3]["text"]
    again = action_server.post("/api/handoffs", json=packet(handoff["conversation_id"]))
    assert again.status_code == 201 and again.json()["id"] != handoff["id"]


def test_moves_on_an_unclaimed_handoff(
    action_server: DeskClient, rasa: RasaApi, dana: DeskClient
) -> None:
    handoff = handed_over(action_server, rasa)
    for move, body in (("reply", {"text": "hello"}), ("hand_back", {})):
        response = dana.move(handoff["id"], move, **body)
        assert response.status_code == 409
        assert "claim it first" in response.json()["detail"]
    assert dana.move(handoff["id"], "close").status_code == 200  # e.g. a duplicate
    assert rasa.tracker(handoff["conversation_id"])["paused"] is False


@pytest.mark.parametrize("move", ["claim", "reply", "hand_back", "close", "rating"])
def test_an_unknown_handoff_is_404(dana: DeskClient, move: str) -> None:
    body = (
        {"text": "hi"}
        if move == "reply"
        else {"had_what_i_needed": True}
        if move == "rating"
        else {}
    )
    response = dana.move("no-such-id", move, **body)
    assert response.status_code == 404
    assert response.json()["detail"] == "no hand-over no-such-id"
    assert dana.get("/api/handoffs/no-such-id").status_code == 404


@pytest.mark.parametrize(
    "body, status, reason",
    [
        ({"text": ""}, 422, "text"),
        ({"text": "x" * 2001}, 422, "text"),
        ({"text": "hi", "html": "<b>"}, 422, "html"),
        ({}, 422, "text"),
    ],
)
def test_a_bad_reply_is_refused_with_the_reason(
    action_server: DeskClient,
    rasa: RasaApi,
    dana: DeskClient,
    body: dict[str, Any],
    status: int,
    reason: str,
) -> None:
    handoff = handed_over(action_server, rasa)
    dana.move(handoff["id"], "claim")
    response = dana.post(f"/api/handoffs/{handoff['id']}/reply", json=body)
    assert response.status_code == status
    assert reason in response.json()["detail"]


def test_agent_names_may_be_any_language(
    action_server: DeskClient, rasa: RasaApi, desk: Service
) -> None:
    handoff = handed_over(action_server, rasa)
    response = agent(desk.url, "Zoë").move(handoff["id"], "claim")
    assert response.status_code == 200 and response.json()["agent"] == "Zoë"
    assert bot_events(rasa, handoff["conversation_id"])[-1]["text"].startswith("Zoë from")


def test_the_name_a_request_claims_is_ignored(
    action_server: DeskClient, rasa: RasaApi, dana: DeskClient, sam: DeskClient
) -> None:
    """The agent is the signed-in account, whatever a header says."""
    handoff = handed_over(action_server, rasa)
    assert dana.move(handoff["id"], "claim").status_code == 200
    pretending = sam.post(
        f"/api/handoffs/{handoff['id']}/reply",
        json={"text": "hi"},
        headers={"X-Agent-Name": "Dana"},
    )
    assert pretending.status_code == 409 and "claimed by Dana" in pretending.json()["detail"]
    response = dana.post(
        f"/api/handoffs/{handoff['id']}/reply",
        json={"text": "hello"},
        headers={"X-Agent-Name": "Sam"},
    )
    assert response.status_code == 200
    assert marked(bot_events(rasa, handoff["conversation_id"])[-1])["agent"] == "Dana"


def test_a_supervisor_may_take_over(
    action_server: DeskClient, rasa: RasaApi, desk: Service, dana: DeskClient, sam: DeskClient
) -> None:
    handoff = handed_over(action_server, rasa)
    assert dana.move(handoff["id"], "claim").status_code == 200
    assert sam.move(handoff["id"], "claim").status_code == 409  # an agent may not
    response = agent(desk.url, "Sue", "supervisor").move(handoff["id"], "claim")
    assert response.status_code == 200 and response.json()["agent"] == "Sue"
    assert bot_events(rasa, handoff["conversation_id"])[-1]["text"].startswith("Sue from")
    refused = dana.move(handoff["id"], "reply", text="still me")
    assert refused.status_code == 409 and "claimed by Sue" in refused.json()["detail"]


def test_the_rating_is_stored(action_server: DeskClient, rasa: RasaApi, dana: DeskClient) -> None:
    handoff = handed_over(action_server, rasa)
    early = dana.move(handoff["id"], "rating", had_what_i_needed=True)
    assert early.status_code == 409 and "before an agent has claimed" in early.json()["detail"]
    dana.move(handoff["id"], "claim")
    dana.move(handoff["id"], "hand_back")
    response = dana.move(
        handoff["id"], "rating", had_what_i_needed=False, missing="the delivery address"
    )
    assert response.status_code == 200, response.text
    rating = dana.get(f"/api/handoffs/{handoff['id']}").json()["rating"]
    assert rating["had_what_i_needed"] is False
    assert rating["missing"] == "the delivery address" and rating["rated_by"] == "Dana"


@pytest.mark.parametrize(
    "body", [{}, {"had_what_i_needed": "yes"}, {"had_what_i_needed": True, "missing": 3, "x": 1}]
)
def test_a_bad_rating_is_refused_with_the_reason(
    action_server: DeskClient, rasa: RasaApi, dana: DeskClient, body: dict[str, Any]
) -> None:
    handoff = handed_over(action_server, rasa)
    dana.move(handoff["id"], "claim")
    response = dana.post(f"/api/handoffs/{handoff['id']}/rating", json=body)
    assert response.status_code == 422
    assert response.json()["detail"]


def test_two_agents_claiming_at_once_get_one_claim(
    action_server: DeskClient, rasa: RasaApi, dana: DeskClient, sam: DeskClient
) -> None:
    handoff = handed_over(action_server, rasa)
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda agent: agent.move(handoff["id"], "claim"), (dana, sam)))
    assert sorted(answer.status_code for answer in answers) == [200, 409]
    assert len(bot_events(rasa, handoff["conversation_id"])) == 1


def test_every_move_is_audited(
    action_server: DeskClient, rasa: RasaApi, desk: Service, dana: DeskClient
) -> None:
    handoff = handed_over(action_server, rasa)
    dana.move(handoff["id"], "claim")
    dana.move(handoff["id"], "reply", text="on it")
    dana.move(handoff["id"], "hand_back")
    dana.move(handoff["id"], "rating", had_what_i_needed=True)
    entries = admin(desk.url).get("/api/audit", params={"handoff_id": handoff["id"]}).json()
    assert [(e["actor"], e["action"], e["outcome"]) for e in reversed(entries)] == [
        ("integration", "hand_over", "ok"),
        ("Dana", "claim", "ok"),
        ("Dana", "reply", "ok"),
        ("Dana", "hand_back", "ok"),
        ("Dana", "rating", "ok"),
    ]
    assert {e["conversation_id"] for e in entries} == {handoff["conversation_id"]}
    assert "on it" not in str(entries)  # what the agent wrote is the conversation's, not the log's


def test_what_the_customer_is_told_is_the_desks_wording(tmp_path: Path, rasa: RasaApi) -> None:
    """The agent-side messages are templates in the desk's settings, not code."""
    settings = tmp_path / "settings.yml"
    settings.write_text(
        behaviour()
        .replace(
            '"{agent} from Brightwave has joined the conversation."',
            '"Hello, {agent} here from the Brightwave team."',
        )
        .replace(
            "  handed_back: \"You're back", "  handed_back: \"Back to the assistant. You're back"
        ),
        encoding="utf-8",
    )
    desk = start_desk("worded-desk", tmp_path, rasa.url, {"DESK_SETTINGS": str(settings)})
    try:
        handoff = handed_over(integration(desk.url), rasa)
        kim = agent(desk.url, "Kim")
        assert kim.move(handoff["id"], "claim").status_code == 200
        assert kim.move(handoff["id"], "hand_back").status_code == 200
        said = [e["text"] for e in bot_events(rasa, handoff["conversation_id"])]
        assert said[0] == "Hello, Kim here from the Brightwave team."
        assert said[1].startswith("Back to the assistant. You're back")
    finally:
        desk.stop()
