"""The outcome record (contract K1): `record` appends one plain-JSON outcome to the
`outcomes` slot, and the actions that do something record what they did, run with
rasa-sdk Trackers (the verification form and the answer: test_verification_form.py)."""

import asyncio
import json
import time
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.clarify import ActionClarify
from actions.human import ActionDeclineHuman
from actions.outcomes import OUTCOMES, RESULTS, outcome, record, recorded
from actions.policy_answers import ActionAnswerPolicy
from tests.support.crm import crm
from tests.unit.test_backend_client import Reply, ScriptedServer, closed_port

K1_KEYS = {"action", "goal", "result", "record", "detail", "at"}


def tracker(
    slots: dict[str, Any] | None = None,
    intent: str = "greet",
    ranking: list[dict[str, Any]] | None = None,
) -> Tracker:
    top = {"name": intent, "confidence": 0.9}
    latest = {"text": "hi", "intent": top, "intent_ranking": ranking or [top], "entities": []}
    return Tracker(
        "conversation-1",
        dict(slots or {}),
        latest,
        [{"event": "user", "text": "hi", "parse_data": latest, "input_channel": "rest"}],
        False,
        None,
        {},
        "action_listen",
    )


def recorded_by(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    [value] = [event["value"] for event in events if event.get("name") == OUTCOMES]
    return value


def test_record_appends_one_plain_json_outcome_to_the_slot() -> None:
    earlier = outcome("action_answer_policy", "ask_warranty", "answered", at=1.0)
    track = tracker({OUTCOMES: [earlier]})
    before = time.time()
    event = record(
        track,
        "action_answer_request",
        "check_order_status",
        "answered",
        "BW-100002",
        {"scope": "one"},
    )
    assert event == SlotSet(OUTCOMES, event["value"])
    first, second = event["value"]
    assert first == earlier
    assert set(second) == K1_KEYS
    assert second["action"] == "action_answer_request"
    assert (second["goal"], second["result"], second["record"], second["detail"]) == (
        "check_order_status",
        "answered",
        "BW-100002",
        {"scope": "one"},
    )
    assert before <= second["at"] <= time.time()
    assert json.loads(json.dumps(event["value"])) == event["value"]


def test_two_records_in_one_run_keep_both() -> None:
    track = tracker()
    record(track, "action_escalate", "hand_over", "unavailable")
    event = record(track, "action_escalate", "hand_over", "handed_over", "H-1")
    assert [o["result"] for o in event["value"]] == ["unavailable", "handed_over"]
    assert record(tracker(), "a", "g", "done")["value"][0]["detail"] == {}


def test_a_result_outside_the_contract_is_refused() -> None:
    expected = {
        "answered",
        "done",
        "not_found",
        "failed",
        "declined",
        "handed_over",
        "verified",
        "refused",
        "clarified",
        "unavailable",
    }
    assert expected == RESULTS
    with pytest.raises(ValueError, match="'ok'"):
        record(tracker(), "action_answer_request", "check_order_status", "ok")


def test_recorded_reads_only_outcomes() -> None:
    assert recorded({}) == [] and recorded({OUTCOMES: None}) == []
    assert recorded({OUTCOMES: "junk"}) == []
    kept = outcome("a", "g", "done", at=2.0)
    assert recorded({OUTCOMES: [kept, "junk", 3]}) == [kept]


def run(action: Any, track: Tracker) -> list[dict[str, Any]]:
    return asyncio.run(action.run(CollectingDispatcher(), track, {}))


def test_clarifying_records_the_goals_offered() -> None:
    ranking = [
        {"name": "check_order_status", "confidence": 0.4},
        {"name": "check_claim_status", "confidence": 0.35},
        {"name": "greet", "confidence": 0.2},
    ]
    [offered] = recorded_by(run(ActionClarify(), tracker(intent="nlu_fallback", ranking=ranking)))
    assert (offered["action"], offered["goal"], offered["result"], offered["detail"]) == (
        "action_clarify",
        "unknown",
        "clarified",
        {"options": ["check_order_status", "check_claim_status"]},
    )
    nothing_likely = [{"name": "greet", "confidence": 0.9}]
    [rephrase] = recorded_by(
        run(ActionClarify(), tracker(intent="nlu_fallback", ranking=nothing_likely))
    )
    assert rephrase["detail"] == {"options": []}


def test_declining_a_person_is_recorded() -> None:
    [declined] = recorded_by(run(ActionDeclineHuman(), tracker()))
    assert (declined["action"], declined["goal"], declined["result"]) == (
        "action_decline_human",
        "hand_over",
        "declined",
    )


def test_a_policy_answer_records_answered_unavailable_or_unclear(backend_at: Any) -> None:
    server = ScriptedServer()
    try:
        server.route("GET", "/policies", Reply(200, crm()["policies"]))
        backend_at(server.url)
        [answered] = recorded_by(run(ActionAnswerPolicy(), tracker(intent="ask_warranty")))
        assert (answered["action"], answered["goal"], answered["result"]) == (
            "action_answer_policy",
            "ask_warranty",
            "answered",
        )
    finally:
        server.stop()
    backend_at(f"http://127.0.0.1:{closed_port()}")
    [down] = recorded_by(run(ActionAnswerPolicy(), tracker(intent="ask_warranty")))
    assert (down["goal"], down["result"], down["detail"]) == (
        "ask_warranty",
        "unavailable",
        {"reason": "backend"},
    )
    [unclear] = recorded_by(run(ActionAnswerPolicy(), tracker(intent="greet")))
    assert (unclear["goal"], unclear["result"]) == ("unknown", "failed")
