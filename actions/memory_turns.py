"""Each conversation's place in the customer's timeline, kept current as it goes.

After every action the action server runs for a conversation whose customer is
verified, the session's facts go to the memory (`PUT /conversations`): channel,
start, latest activity, the outcome record (contract K1's `outcomes` slot), whether
a person took it over, the last message's sentiment. The memory summarises them
(memory/summary.py). It is sent in the background, after the action has answered,
so no turn waits on it; a hand-over's action is one of them, and a session that
simply stops is read as abandoned once it is no longer live. Until the `outcomes`
slot exists, the outcomes are read from the session's events (the records the
customer named, whether they were answered, a hand-over).
"""

import logging
import time
from typing import Any, Dict, List, Optional

from actions import memory_client
from actions.records import TOPICS
from escalation.names import ESCALATE_ACTION, SENTIMENT_KEY

logger = logging.getLogger(__name__)

OUTCOMES_SLOT = "outcomes"
VERIFIED_SLOT = "verified_customer_id"
ANSWER_ACTION = "action_answer_request"
SENTIMENT_EDGE = 0.3


def session_events(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The events from the last `session_started` on."""
    starts = [i for i, event in enumerate(events) if event.get("event") == "session_started"]
    return events[starts[-1]:] if starts else events


def derived_outcomes(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """K1-shaped outcomes read from the events, for a tracker without the slot."""
    outcomes: List[Dict[str, Any]] = []
    asked: Dict[str, Dict[str, Any]] = {}
    for event in events:
        kind = event.get("event")
        if kind == "slot" and event.get("value"):
            topic = next((t for t, k in TOPICS.items() if k.slot == event.get("name")), None)
            if topic:
                record = str(event["value"])
                asked[record] = {"action": ANSWER_ACTION, "goal": f"check_{topic}_status",
                                 "result": "unavailable", "record": record, "detail": {},
                                 "at": event.get("timestamp")}
        elif kind == "action" and event.get("name") == ANSWER_ACTION:
            for outcome in asked.values():
                outcome["result"] = "answered"
                outcomes.append(outcome)
            asked = {}
        elif kind == "action" and event.get("name") == ESCALATE_ACTION:
            outcomes.append({"action": ESCALATE_ACTION, "goal": "talk_to_human",
                             "result": "handed_over", "record": None, "detail": {},
                             "at": event.get("timestamp")})
    return outcomes + list(asked.values())


def _sentiment(events: List[Dict[str, Any]]) -> Optional[str]:
    for event in reversed(events):
        if event.get("event") == "user":
            score = ((event.get("parse_data") or {}).get(SENTIMENT_KEY) or {}).get("score")
            if not isinstance(score, (int, float)):
                return None
            if score <= -SENTIMENT_EDGE:
                return "negative"
            return "positive" if score >= SENTIMENT_EDGE else "neutral"
    return None


def conversation_record(call: Dict[str, Any], answer: Dict[str, Any],
                        now: float) -> Optional[Dict[str, Any]]:
    """What the memory keeps of the conversation after this action; None when its
    customer is not verified (nothing is linked to a mere claim)."""
    tracker = call.get("tracker") or {}
    slots = dict(tracker.get("slots") or {})
    new_events = [e for e in answer.get("events") or [] if isinstance(e, dict)]
    for event in new_events:
        if event.get("event") == "slot":
            slots[event.get("name")] = event.get("value")
    customer_id = slots.get(VERIFIED_SLOT)
    sender = tracker.get("sender_id")
    if not isinstance(customer_id, str) or not customer_id or not sender:
        return None
    events = session_events(list(tracker.get("events") or []) + new_events)
    outcomes = slots.get(OUTCOMES_SLOT) if OUTCOMES_SLOT in slots else None
    if not isinstance(outcomes, list):
        outcomes = derived_outcomes(events + [{"event": "action",
                                               "name": call.get("next_action")}])
    started = next((e.get("timestamp") for e in events if e.get("timestamp")), now)
    return {
        "conversation_id": sender, "customer_id": customer_id,
        "channel": tracker.get("latest_input_channel") or "default",
        "started_at": float(started), "last_at": now,
        "outcomes": [o for o in outcomes if isinstance(o, dict)][-200:],
        "handed_over": any(e.get("event") == "pause" for e in events),
        "sentiment": _sentiment(events),
    }


def remember(call: Dict[str, Any], answer: Dict[str, Any]) -> None:
    """Send the conversation's record to the memory in the background."""
    if memory_client.client() is None:
        return
    try:
        record = conversation_record(call, answer, time.time())
    except (TypeError, ValueError, AttributeError) as error:
        logger.error("memory.summary.unreadable: %s", error.__class__.__name__)
        return
    if record is None:
        return
    memory_client.later("keeping the conversation", "conversation", record)
