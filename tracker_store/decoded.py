"""Stored events decoded once, not on every read of their conversation.

A turn reads its conversation three times (the channel, Rasa's processor, the broker's
diff on save), and each read decoded every stored row's JSON and built an Event from
it: most of the cost of a read. Here the events decoded from a conversation's rows are
kept, keyed by the rows themselves (their time, type and JSON text), and a row already
seen gives the same Event object again. A row's event depends on nothing but the row,
so whatever another process writes, a read gets what decoding its rows would give:
new or changed rows are decoded, rows no longer read are dropped. The one exception
is a typed verification answer, stored withheld and given back from the store's
memory (`held`) as it is at the time of the read: such a row is decoded on every read.

Trackers built from the same rows share Event objects, as Rasa's own `tracker.copy()`
does with the tracker it copies: Rasa does not edit an event once it is in a tracker
(it copies one it means to change, as the rephrase action does).

Used from the event loop only (the store's retrieve), so it needs no lock.
"""

import json
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from rasa.shared.core.events import Event, deserialise_events

from common.minimise import is_withheld_answer


class StoredRow(Protocol):
    """A row as tracker_store.sql reads it (hashable, compared by value)."""

    @property
    def data(self) -> str: ...

    def __hash__(self) -> int: ...


def decode(data: str, held: Mapping[str, str]) -> tuple[list[Event], bool]:
    """The row's event as SQLTrackerStore's retrieve decodes it (none when Rasa cannot
    read it), and whether it may be kept (not a withheld answer)."""
    event: dict[str, Any] = json.loads(data)
    keep = not (event.get("event") == "slot" and is_withheld_answer(event))
    if not keep:
        event["value"] = held.get(str(event.get("name")))
    return deserialise_events([event]), keep


class DecodedEvents:
    """The decoded events of the `conversations` most recently read conversations."""

    def __init__(self, conversations: int) -> None:
        if conversations < 1:
            raise ValueError("conversations must be at least 1")
        self.conversations = conversations
        # By sender: each row's events, one list per time the row occurs.
        self.by_sender: OrderedDict[str, dict[StoredRow, list[list[Event]]]] = OrderedDict()

    def events(
        self, sender_id: str, rows: Sequence[StoredRow], held: Mapping[str, str]
    ) -> list[Event]:
        """The events of rows, in order: those of rows decoded before reused."""
        before = self.by_sender.pop(sender_id, {})
        kept: dict[StoredRow, list[list[Event]]] = {}
        events: list[Event] = []
        for row in rows:
            earlier = before.get(row, [])
            seen = kept.get(row, [])
            if len(earlier) > len(seen):
                decoded, keep = earlier[len(seen)], True
            else:
                decoded, keep = decode(row.data, held)
            if keep:
                kept.setdefault(row, []).append(decoded)
            events.extend(decoded)
        self.by_sender[sender_id] = kept
        while len(self.by_sender) > self.conversations:
            self.by_sender.popitem(last=False)
        return events

    def forget(self, sender_id: str) -> None:
        self.by_sender.pop(sender_id, None)
