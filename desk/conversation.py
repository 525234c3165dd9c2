"""The conversation since a hand-over, as an agent reads it, from Rasa's events."""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from desk.text import safe_text

Message = dict[str, Any]
SPEAKERS = {"user": "customer", "bot": "assistant"}
# An agent's message's state as Rasa's channels report it (connectors/delivery.py).
DELIVERY = {state: state for state in ("waiting", "delivered", "failed", "not_sent")}
UNKNOWN = "unknown"


def _message(event: Mapping[str, Any]) -> Message | None:
    speaker = SPEAKERS.get(str(event.get("event")))
    text = event.get("text")
    if speaker is None or not text:
        return None
    agent = (event.get("metadata") or {}).get("agent") if speaker == "assistant" else None
    at = datetime.fromtimestamp(float(event.get("timestamp") or 0), UTC)
    message = {
        "from": "agent" if agent else speaker,
        "agent": safe_text(str(agent)) if agent else None,
        "text": safe_text(str(text)),
        "at": at.isoformat(timespec="seconds"),
    }
    if agent:  # whether it reached the customer, as their channel knows it
        message["delivery"] = DELIVERY.get(str(event.get("delivery")), UNKNOWN)
    return message


def messages_since(events: Sequence[Mapping[str, Any]], since: datetime) -> list[Message]:
    """Customer, assistant and agent messages logged at or after since; a bot
    message with metadata.agent is an agent's."""
    start = since.timestamp()
    found = (_message(event) for event in events if float(event.get("timestamp") or 0) >= start)
    return [message for message in found if message is not None]
