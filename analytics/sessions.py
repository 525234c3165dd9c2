"""What a conversation session was, folded from Rasa's events one at a time.

Only facts are kept (channel, times, turns, the outcome record, the hand-over); what
a session counts as (resolved, handed over, abandoned, ...) is derived when figures
are asked for (analytics/figures.py), so a changed metrics.yml applies to the past.
"""

import math
from dataclasses import dataclass, field
from typing import Any

from common.satisfaction import SCORES

OUTCOMES_SLOT = "outcomes"  # contract K1
SATISFACTION_SLOT = "satisfaction"  # the customer's answer to the satisfaction prompt
# The desk's message ending a hand-over carries the agent's claim-to-close time.
AGENT_SECONDS = "agent_seconds"
MAX_AGENT_SECONDS = 30 * 86400.0
# Intents Rasa is told over its HTTP API (the memory's events), not a customer's turn.
EXTERNAL_PREFIX = "EXTERNAL_"
OUTREACH_INTENT = "EXTERNAL_outreach"  # outreach's message (outreach/delivery.py)


@dataclass
class SessionFacts:
    sender_id: str
    started_at: float
    last_event_at: float
    last_activity_at: float | None = None  # the last message, either way
    channel: str | None = None
    user_turns: int = 0
    bot_messages: int = 0
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    handed_over: bool = False
    last_intent: str | None = None
    agent_seconds: float | None = None  # the desk's claim-to-close times, once closed
    satisfaction: int | None = None  # the customer's last answer to the prompt
    outreach: bool | None = None  # it holds an outreach message: not an inbound contact
    id: int | None = None  # the store's row, once stored


def _timestamp(event: dict[str, Any]) -> float:
    value = event.get("timestamp")
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else 0.0


def _intent(event: dict[str, Any]) -> str | None:
    parse_data = event.get("parse_data")
    intent = parse_data.get("intent") if isinstance(parse_data, dict) else None
    name = intent.get("name") if isinstance(intent, dict) else None
    return name[:80] if isinstance(name, str) else None


def _agent_seconds(event: dict[str, Any]) -> float | None:
    metadata = event.get("metadata")
    value = metadata.get(AGENT_SECONDS) if isinstance(metadata, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0 <= value <= MAX_AGENT_SECONDS else None


def _score(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if value == int(value) and value in SCORES else None


def _blank(session: SessionFacts) -> bool:
    """Nothing has happened in it yet (a conversation's very first events)."""
    return not (session.user_turns or session.bot_messages or session.outcomes)


def timestamp(event: dict[str, Any]) -> float:
    """The event's time; 0.0 when it has none Rasa would give (such an event is skipped)."""
    return _timestamp(event)


def late(current: SessionFacts | None, event: dict[str, Any]) -> bool:
    """Whether event is older than the last one folded into the sender's sessions: one
    published late (Rasa's broker kept it through an outage) or republished (a retried
    save). Folding it in place would be wrong either way; the consumer re-folds the
    sender's events in time order instead (analytics/consumer.py)."""
    at = _timestamp(event)
    return current is not None and 0.0 < at < current.last_event_at


def fold(current: SessionFacts | None, sender_id: str, event: dict[str, Any]) -> SessionFacts:
    """The sender's session after event: current changed in place, or a new session when
    the event starts one (or none was seen yet). An event older than the last one
    applied is a republished one (Rasa's tracker store retried a save) and is skipped."""
    at = _timestamp(event)
    kind = event.get("event")
    if current is not None and at < current.last_event_at:
        return current
    if current is None or (kind == "session_started" and not _blank(current)):
        current = SessionFacts(sender_id, started_at=at, last_event_at=at)
    elif kind == "session_started":  # what came before it (action_session_start) is its own
        current.started_at = at
    current.last_event_at = at
    if kind == "user":
        intent = _intent(event)
        if intent and intent.startswith(EXTERNAL_PREFIX):
            if intent == OUTREACH_INTENT:
                current.outreach = True
            return current
        current.user_turns += 1
        current.last_intent = intent
        current.last_activity_at = at
        channel = event.get("input_channel")
        if current.channel is None and isinstance(channel, str) and channel:
            current.channel = channel[:40]
    elif kind == "bot":
        current.bot_messages += 1
        current.last_activity_at = at
        seconds = _agent_seconds(event)
        if seconds is not None:
            current.agent_seconds = (current.agent_seconds or 0.0) + seconds
    elif kind == "slot" and event.get("name") == SATISFACTION_SLOT:
        score = _score(event.get("value"))
        if score is not None:
            current.satisfaction = score
    elif kind == "slot" and event.get("name") == OUTCOMES_SLOT:
        value = event.get("value")
        # The slot holds the whole record so far: the newest value is the session's.
        current.outcomes = (
            [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
        )
    elif kind == "pause":
        current.handed_over = True
    return current
