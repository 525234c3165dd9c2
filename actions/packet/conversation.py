"""What the current session's messages say: the transcript, the customer's first
statement of their problem, the intents, the sentiment of each message and the
records named. Every text is minimised (common/minimise.py: no card number, e-mail
address, phone number or verification answer). What the actions did is
not read here: that is the outcome record's (actions/outcomes.py)."""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from actions.packet.account import SNAPSHOT_KINDS
from actions.records import TOPICS
from common.minimise import minimise_events

# Messages that do not state the customer's problem.
SMALL_TALK_INTENTS = frozenset(
    {
        "greet",
        "goodbye",
        "thank",
        "affirm",
        "deny",
        "bot_challenge",
        "ask_capabilities",
        "request_human",
    }
)
SMALL_TALK = re.compile(
    r"^\W*(hi|hello|hey|hiya|good (morning|afternoon|evening)|thanks|thank you|ok|okay|yes|no|"
    r"bye)( there)?\W*$",
    re.IGNORECASE,
)


def iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


@dataclass
class Conversation:
    """The current session's messages, masked."""

    started: float | None = None  # unix time of the session's first event
    channel: str | None = None
    transcript: list[dict[str, str]] = field(default_factory=list)
    customer_words: str | None = None
    issue_intent: str | None = None
    intents: list[str] = field(default_factory=list)
    sentiment: list[float] = field(default_factory=list)
    named_ids: list[str] = field(default_factory=list)  # record ids in the customer's words


def current_session(events: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The events from the last `session_started` on (all of them if there is none)."""
    starts = [i for i, event in enumerate(events) if event.get("event") == "session_started"]
    return events[starts[-1] :] if starts else events


def _states_issue(text: str, intent: str | None) -> bool:
    """False for greetings, small talk and button payloads ("/check_order_status")."""
    return (
        bool(text.strip())
        and not text.startswith("/")
        and intent not in SMALL_TALK_INTENTS
        and not SMALL_TALK.match(text)
    )


def _customer_said(found: Conversation, event: Mapping[str, Any]) -> None:
    text = str(event.get("text") or "")
    parse_data = event.get("parse_data") or {}
    intent = (parse_data.get("intent") or {}).get("name")
    found.channel = event.get("input_channel") or found.channel
    if intent:
        found.intents.append(intent)
    score = (parse_data.get("sentiment") or {}).get("score")
    if isinstance(score, (int, float)):
        found.sentiment.append(max(-1.0, min(1.0, float(score))))
    if found.customer_words is None and _states_issue(text, intent):
        found.customer_words, found.issue_intent = text, intent
    found.named_ids += [
        f"{kind.prefix}-{match.group(1)}"
        for kind in TOPICS.values()
        for match in kind.pattern.finditer(text)
    ]


def read_conversation(events: list[Mapping[str, Any]]) -> Conversation:
    """The current session's messages, from a tracker's events."""
    found = Conversation()
    for event in minimise_events(current_session(events)):
        if found.started is None and "timestamp" in event:
            found.started = float(event["timestamp"])
        kind = event.get("event")
        if kind == "user":
            _customer_said(found, event)
        if kind in ("user", "bot") and event.get("text"):
            found.transcript.append(
                {
                    "from": "customer" if kind == "user" else "assistant",
                    "text": str(event["text"]),
                    "at": iso(event["timestamp"]),
                }
            )
    return found


def touched_records(named_ids: Iterable[str | None]) -> dict[str, list[str]]:
    """Record ids by snapshot collection, each once, in the order first named."""
    touched: dict[str, list[str]] = {collection: [] for collection in SNAPSHOT_KINDS}
    for raw in named_ids:
        for kind in TOPICS.values():
            record_id = kind.normalize(raw)
            if record_id and record_id not in touched[kind.collection]:
                touched[kind.collection].append(record_id)
    return touched
