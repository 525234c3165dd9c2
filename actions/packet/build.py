"""The hand-over packet assembled: a pure function of the tracker, the escalation
decision the policy recorded, the backend's records and what the customer is told,
so it is built and tested without a Rasa server."""

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rasa_sdk import Tracker

from actions.language import conversation_language
from actions.outcomes import recorded
from actions.packet import story
from actions.packet.account import account, customer
from actions.packet.conversation import Conversation, iso, read_conversation, touched_records
from actions.packet.history import history
from actions.slots import VERIFIED_CUSTOMER_ID
from escalation.decision import Decision

PACKET_VERSION = "1"

Json = dict[str, Any]


def tracker_state(tracker: Tracker | Mapping[str, Any]) -> Mapping[str, Any]:
    """The tracker as the dict Rasa sends to the action server."""
    return tracker.current_state() if isinstance(tracker, Tracker) else tracker


def _touched(said: Conversation, outcomes: list[Json]) -> dict[str, list[str]]:
    return touched_records([*said.named_ids, *(outcome.get("record") for outcome in outcomes)])


def session_records(tracker: Tracker | Mapping[str, Any]) -> dict[str, list[str]]:
    """The record ids the session touched: named by the customer or acted on."""
    state = tracker_state(tracker)
    said = read_conversation(list(state.get("events") or []))
    return _touched(said, recorded(state.get("slots") or {}))


def _stated_issue(said: Conversation, decision: Decision) -> Json:
    """The first statement of the problem; for a sensitive topic said in passing
    ("I'm 84, can someone help me"), the message that raised it."""
    words, intent = said.customer_words, said.issue_intent
    if words is None and decision.reason_code.startswith("sensitive_topic:"):
        raised = [m["text"] for m in said.transcript if m["from"] == "customer"]
        words = raised[-1] if raised else None
        intent = said.intents[-1] if said.intents else None
    return {"customer_words": words, "intent": intent}


def build_packet(
    tracker: Tracker | Mapping[str, Any],
    decision: Decision,
    snapshot: Mapping[str, Any],
    record: Mapping[str, Any] | None,
    now: datetime,
    memory: Mapping[str, Any] | None = None,
) -> Json:
    """The hand-over packet for a conversation the decision hands to a person.

    `snapshot` is what `account.fetch_snapshot` returned, `record` the verified
    customer's record (or None), `memory` what the customer memory holds of them (or
    None: then the packet has no `history`); none is used unless the tracker shows a
    verified customer. What the customer is told is added from the desk's receipt
    (actions/handoff_notice.py)."""
    if now.tzinfo is None:
        raise ValueError(f"now must be timezone-aware, got {now.isoformat()}")
    state = tracker_state(tracker)
    said = read_conversation(list(state.get("events") or []))
    # The slot starts empty with each session (carry_over_slots_to_new_session: false).
    outcomes = recorded(state.get("slots") or {})
    verified_id = (state.get("slots") or {}).get(VERIFIED_CUSTOMER_ID)
    known = account(snapshot, bool(verified_id))
    touched = _touched(said, outcomes)
    created_at = now.isoformat(timespec="seconds")
    channel = said.channel or state.get("latest_input_channel") or "unknown"
    started = iso(said.started) if said.started is not None else created_at
    packet = {
        "packet_version": PACKET_VERSION,
        "conversation_id": str(state.get("sender_id")),
        "channel": channel,
        "language": conversation_language(state.get("slots") or {}),
        "created_at": created_at,
        "conversation_started_at": started,
        "escalation": {
            "reason_code": decision.reason_code,
            "rule": decision.rule,
            # tuples and other sequences as JSON lists
            "values": json.loads(json.dumps(dict(decision.values))),
        },
        "customer": customer(verified_id, record),
        "stated_issue": _stated_issue(said, decision),
        "summary": story.summary(outcomes, said, touched, decision, known, bool(verified_id)),
        "actions_taken": story.actions_taken(outcomes),
        "resolved": story.resolved_items(outcomes),
        "open_items": story.open_items(outcomes, said, decision),
        "account_snapshot": known,
        "sentiment": {
            "current": said.sentiment[-1] if said.sentiment else 0.0,
            "trajectory": said.sentiment,
            "trend": story.sentiment_trend(said.sentiment),
        },
        "transcript": said.transcript,
    }
    timeline = history(memory, str(state.get("sender_id"))) if verified_id else None
    if timeline is not None:
        packet["history"] = timeline
    return packet
