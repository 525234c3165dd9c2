"""The verified customer's recent timeline from the customer memory (contract K3):
their contacts on every channel and the business events about them, newest first,
so the agent knows the story across channels, not only this conversation's.

A pure formatter of what `GET /customers/{id}` answered (actions/memory_client.py);
None when the memory is off or down, and the packet then has no `history`."""

from collections.abc import Mapping
from typing import Any

from actions.packet.conversation import iso
from actions.packet.story import clip
from actions.redaction import mask_pii

HISTORY_LIMIT = 10
SUMMARY_LIMIT = 300
CONTACT_OUTCOMES = frozenset({"resolved", "handed_over", "abandoned", "open"})
NOTED_TYPES = frozenset({"sentiment_shift"})

Json = dict[str, Any]


def _record_words(event: Mapping[str, Any]) -> str:
    """'invoice INV-900043 ' or '' (page views name the page and product instead)."""
    data = event.get("data") or {}
    if event.get("type") == "page_viewed":
        return f"{data.get('page')} ({data.get('product')}) "
    return f"{event['record']} " if event.get("record") else ""


def _event_words(event: Mapping[str, Any]) -> str:
    """'Payment failed: INV-900043 (card expired)', 'Sentiment shift: neutral to negative'."""
    data = event.get("data") or {}
    what = str(event.get("type") or "event").replace("_", " ").capitalize()
    if event.get("type") == "sentiment_shift":
        return f"{what}: {data.get('from') or 'start'} to {data.get('to')}"
    detail = data.get("detail") or data.get("status")
    said = f"({str(detail).replace('_', ' ')})" if detail else ""
    return mask_pii(f"{what}: {_record_words(event)}{said}".strip().rstrip(":"))


def _contact(item: Mapping[str, Any], conversation_id: str) -> Json:
    outcome = str(item.get("outcome"))
    return {
        "kind": "contact",
        "at": iso(float(item["started_at"])),
        "channel": str(item.get("channel") or "unknown"),
        "outcome": outcome if outcome in CONTACT_OUTCOMES else "open",
        "summary": clip(str(item.get("summary") or "no request recorded"), SUMMARY_LIMIT),
        "this_conversation": item.get("conversation_id") == conversation_id,
    }


def _event(item: Mapping[str, Any]) -> Json:
    told = item.get("delivered_at") is not None or item.get("mentioned_at") is not None
    outcome = "told" if told else "not_told"
    return {
        "kind": "event",
        "at": iso(float(item["at"])),
        "channel": None,
        # What the assistant saw in a conversation is never told to the customer.
        "outcome": "noted" if item.get("type") in NOTED_TYPES else outcome,
        "summary": clip(_event_words(item), SUMMARY_LIMIT),
        "this_conversation": False,
    }


def history(memory: Mapping[str, Any] | None, conversation_id: str) -> list[Json] | None:
    """The packet's `history`: up to HISTORY_LIMIT contacts and events, newest first;
    None without an answer from the memory. An item it cannot read is left out."""
    if memory is None:
        return None
    items: list[tuple[float, Json]] = []
    for item in memory.get("timeline") or []:
        try:
            kind = item.get("kind")
            if kind == "conversation":
                items.append((float(item["started_at"]), _contact(item, conversation_id)))
            elif kind == "event":
                items.append((float(item["at"]), _event(item)))
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
    items.sort(key=lambda pair: pair[0], reverse=True)
    return [item for _, item in items[:HISTORY_LIMIT]]
