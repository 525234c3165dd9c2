"""The events a tracker store decodes once per row: a read gives what decoding its
rows would give, whoever wrote them, and a withheld verification answer is given back
as the store holds it at the time of the read."""

import json
from dataclasses import dataclass

import pytest
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered

from tracker_store.decoded import DecodedEvents


@dataclass(frozen=True)
class FakeRow:
    timestamp: float
    type_name: str
    data: str


def row(event: Event) -> FakeRow:
    data = event.as_dict()
    return FakeRow(data["timestamp"], data["event"], json.dumps(data))


def dicts(events: list[Event]) -> list[dict]:
    return [e.as_dict() for e in events]


HELLO = UserUttered("hello", {"name": "greet", "confidence": 1.0}, timestamp=1.0)
LISTEN = ActionExecuted("action_listen", timestamp=2.0)


def test_a_row_read_again_gives_the_same_event() -> None:
    decoded = DecodedEvents(10)
    first = decoded.events("a", [row(HELLO), row(LISTEN)], {})
    again = decoded.events("a", [row(HELLO), row(LISTEN), row(LISTEN)], {})
    assert dicts(first) == [HELLO.as_dict(), LISTEN.as_dict()]
    assert again[0] is first[0] and again[1] is first[1]
    # A row that occurs twice is two events, not one object twice.
    assert again[2] is not again[1] and again[2] == again[1]


def test_rows_another_writer_changed_are_decoded_anew() -> None:
    decoded = DecodedEvents(10)
    decoded.events("a", [row(HELLO)], {})
    moved = UserUttered("hello", {"name": "greet", "confidence": 1.0}, timestamp=-7199.0)
    rewritten = UserUttered("bonjour", {"name": "greet", "confidence": 1.0}, timestamp=1.0)
    assert dicts(decoded.events("a", [row(moved)], {})) == [moved.as_dict()]
    assert dicts(decoded.events("a", [row(rewritten)], {})) == [rewritten.as_dict()]


def test_a_withheld_answer_is_what_the_store_holds_at_each_read() -> None:
    decoded = DecodedEvents(10)
    withheld = row(SlotSet("pending_factor", "[withheld]", timestamp=3.0))
    held = {"pending_factor": "CR2 6XH"}
    assert decoded.events("a", [withheld], held)[0].value == "CR2 6XH"
    assert decoded.events("a", [withheld], {})[0].value is None


def test_at_most_the_configured_conversations_are_kept() -> None:
    decoded = DecodedEvents(2)
    for sender in ("a", "b", "c"):
        decoded.events(sender, [row(HELLO)], {})
    assert list(decoded.by_sender) == ["b", "c"]
    decoded.forget("b")
    assert list(decoded.by_sender) == ["c"]
    with pytest.raises(ValueError):
        DecodedEvents(0)
