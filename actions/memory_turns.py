"""Each conversation's place in the customer's timeline, kept current as it goes.

After every action the action server runs for a conversation whose customer is
verified, the session's facts go to the memory (`PUT /conversations`): channel,
start, latest activity, the outcome record (contract K1's `outcomes` slot), whether
a person took it over, the last message's sentiment. The memory summarises them
(memory/summary.py). A message that turns the customer's sentiment negative is also
recorded, as a `sentiment_shift` event (from, to and the conversation, no words).
Both are sent in the background, after the action has answered, so no turn waits on
them; a hand-over's action is one of them, and a session that simply stops is read
as abandoned once it is no longer live.
"""

import logging
import time
from typing import Any

from actions import memory_client
from actions.outcomes import OUTCOMES
from actions.slots import VERIFIED_CUSTOMER_ID
from escalation.names import SENTIMENT_KEY

logger = logging.getLogger(__name__)

SENTIMENT_EDGE = 0.3
# Rasa's prefix for the intents other systems trigger over its HTTP API.
EXTERNAL_PREFIX = "EXTERNAL_"


def session_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events from the last `session_started` on."""
    starts = [i for i, event in enumerate(events) if event.get("event") == "session_started"]
    return events[starts[-1] :] if starts else events


def _label(event: dict[str, Any]) -> str | None:
    """A customer message's sentiment in the memory's words; None without a score."""
    score = ((event.get("parse_data") or {}).get(SENTIMENT_KEY) or {}).get("score")
    if not isinstance(score, (int, float)):
        return None
    if score <= -SENTIMENT_EDGE:
        return "negative"
    return "positive" if score >= SENTIMENT_EDGE else "neutral"


def _messages(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [event for event in events if event.get("event") == "user"]


def _verified_session(
    call: dict[str, Any], answer: dict[str, Any]
) -> tuple[str, str, dict[str, Any], list[dict[str, Any]]] | None:
    """(customer id, conversation id, slots, the session's events) after this action;
    None when its customer is not verified (nothing is linked to a mere claim)."""
    tracker = call.get("tracker") or {}
    slots = dict(tracker.get("slots") or {})
    new_events = [e for e in answer.get("events") or [] if isinstance(e, dict)]
    for event in new_events:
        if event.get("event") == "slot":
            slots[event.get("name")] = event.get("value")
    customer_id = slots.get(VERIFIED_CUSTOMER_ID)
    sender = tracker.get("sender_id")
    if not isinstance(customer_id, str) or not customer_id or not sender:
        return None
    return (
        customer_id,
        sender,
        slots,
        session_events(list(tracker.get("events") or []) + new_events),
    )


def _kept(outcome: dict[str, Any]) -> dict[str, Any]:
    """The outcome with a hand-over's reason code beside it (escalation's, e.g.
    sensitive_topic:legal), so outreach can tell a never-automated topic is on file."""
    detail = outcome.get("detail")
    reason = detail.get("reason_code") if isinstance(detail, dict) else None
    return {**outcome, "reason": reason} if isinstance(reason, str) else outcome


def conversation_record(
    call: dict[str, Any], answer: dict[str, Any], now: float
) -> dict[str, Any] | None:
    """What the memory keeps of the conversation after this action; None when its
    customer is not verified."""
    session = _verified_session(call, answer)
    if session is None:
        return None
    customer_id, sender, slots, events = session
    outcomes = slots.get(OUTCOMES)
    if not isinstance(outcomes, list):
        outcomes = []
    started: float = next(
        (float(e["timestamp"]) for e in events if isinstance(e.get("timestamp"), (int, float))), now
    )
    messages = _messages(events)
    return {
        "conversation_id": sender,
        "customer_id": customer_id,
        "channel": call["tracker"].get("latest_input_channel") or "default",
        "started_at": started,
        "last_at": now,
        "outcomes": [_kept(o) for o in outcomes if isinstance(o, dict)][-200:],
        "handed_over": any(e.get("event") == "pause" for e in events),
        "sentiment": _label(messages[-1]) if messages else None,
    }


def sentiment_shift(call: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any] | None:
    """The shift to negative the customer's last message makes (from the message
    before, or from the session's start), for a verified customer; None otherwise.
    Every action of the turn finds the same one: the memory stores it once."""
    session = _verified_session(call, answer)
    if session is None:
        return None
    customer_id, sender, _, events = session
    messages = _messages(events)
    if not messages or _label(messages[-1]) != "negative":
        return None
    before = _label(messages[-2]) if len(messages) > 1 else None
    at = messages[-1].get("timestamp")
    if before == "negative" or not isinstance(at, (int, float)):
        return None
    return {
        "customer_id": customer_id,
        "conversation_id": sender,
        "from": before,
        "to": "negative",
        "at": float(at),
    }


def external(call: dict[str, Any]) -> bool:
    """Whether the turn was started by another system (Rasa's external events: a
    business event told live, an outreach message), not by the customer."""
    message = (call.get("tracker") or {}).get("latest_message") or {}
    intent = (message.get("intent") or {}).get("name")
    return isinstance(intent, str) and intent.startswith(EXTERNAL_PREFIX)


def remember(call: dict[str, Any], answer: dict[str, Any]) -> None:
    """Send the conversation's record to the memory in the background. A turn the
    customer did not take changes nothing there: it would make a conversation look
    live (and a contact) with nobody in it."""
    if memory_client.client() is None or external(call):
        return
    try:
        record = conversation_record(call, answer, time.time())
        shift = sentiment_shift(call, answer)
    except (TypeError, ValueError, AttributeError) as error:
        logger.error("memory.summary.unreadable: %s", error.__class__.__name__)
        return
    if record is None:
        return
    memory_client.newest(
        record["conversation_id"], "keeping the conversation", "conversation", record
    )
    if shift is not None:
        memory_client.later("recording a sentiment shift", "sentiment_shift", shift)
