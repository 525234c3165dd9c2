"""The tracker store keeps only what common/minimise.py leaves of a turn: its rows, the
events it streams to the broker and its journal hold no verification answer, card
number, e-mail address or phone number, while the conversation Rasa holds keeps them
for the turn, and an answer kept over a CRM outage is given back from memory only."""

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.exc import OperationalError

from tracker_store.sql import DurableSQLTrackerStore

DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [inform]
slots:
  knowledge_factor: {type: text, mappings: [{type: custom}]}
  pending_factor: {type: text, mappings: [{type: custom}]}
actions: [verification_form]
""")
SENDER = "customer-1"
RAW = ["98096", "4111 1111 1111 1111", "noah.obrien0@example.com", "+44 7700 900123"]
TEXT = "postcode 98096, card 4111 1111 1111 1111, noah.obrien0@example.com, +44 7700 900123"


class Broker(EventBroker):
    """An event broker that keeps what it is given."""

    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, event: dict[str, Any]) -> None:
        self.published.append(event)


def store(tmp_path: Path, **kwargs: Any) -> DurableSQLTrackerStore:
    return DurableSQLTrackerStore(
        DOMAIN,
        host=f"sqlite:///{tmp_path / 'tracker.db'}",
        journal=str(tmp_path / "journal.jsonl"),
        retry_delay=0,
        **kwargs,
    )


def answered(held: bool) -> DialogueStateTracker:
    """A turn answering the verification question; during an outage the answer is
    kept in `pending_factor` for the next turn."""
    tracker = DialogueStateTracker(SENDER, DOMAIN.slots)
    for event in [
        UserUttered(TEXT, {"name": "inform", "confidence": 1.0}),
        SlotSet("knowledge_factor", TEXT),
        SlotSet("knowledge_factor", None if held else "confirmed"),
        *([SlotSet("pending_factor", TEXT)] if held else []),
        ActionExecuted("verification_form"),
        BotUttered("Thanks."),
    ]:
        tracker.update(event)
    return tracker


def stored(tmp_path: Path) -> str:
    with sqlite3.connect(tmp_path / "tracker.db") as db:
        return " ".join(data for (data,) in db.execute("SELECT data FROM events"))


def test_the_rows_and_the_broker_get_no_raw_value_and_the_verdict_stays(tmp_path: Path) -> None:
    broker = Broker()
    tracker_store = store(tmp_path, event_broker=broker)
    asyncio.run(tracker_store.save(answered(held=False)))
    streamed = str(broker.published)
    assert len(broker.published) == 5
    for value in RAW:
        assert value not in stored(tmp_path) and value not in streamed
    assert '"value": "confirmed"' in stored(tmp_path)
    again = asyncio.run(store(tmp_path).retrieve(SENDER))
    assert again is not None and again.get_slot("knowledge_factor") == "confirmed"


def test_an_answer_kept_over_an_outage_is_given_back_by_this_process_only(tmp_path: Path) -> None:
    tracker_store = store(tmp_path)
    asyncio.run(tracker_store.save(answered(held=True)))
    assert "98096" not in stored(tmp_path)
    served = asyncio.run(tracker_store.retrieve(SENDER))
    assert served is not None and served.get_slot("pending_factor") == TEXT
    # Rasa replays the events when it copies a tracker: the answer is in them.
    assert served.copy().get_slot("pending_factor") == TEXT
    restarted = asyncio.run(store(tmp_path).retrieve(SENDER))
    assert restarted is not None and restarted.get_slot("pending_factor") is None
    # Checked and cleared in a later turn: nothing is given back any more.
    served.update(SlotSet("pending_factor", None))
    asyncio.run(tracker_store.save(served))
    later = asyncio.run(tracker_store.retrieve(SENDER))
    assert later is not None and later.get_slot("pending_factor") is None
    assert tracker_store.held == {}


def test_the_journal_of_a_refused_save_is_minimised(tmp_path: Path, monkeypatch: Any) -> None:
    tracker_store = store(tmp_path, save_attempts=1)

    def refuse(*args: Any) -> None:
        raise OperationalError("INSERT", {}, Exception("disk full"))

    monkeypatch.setattr(tracker_store, "_write", refuse)
    asyncio.run(tracker_store.save(answered(held=False)))
    journal = (tmp_path / "journal.jsonl").read_text()
    assert SENDER in journal
    assert [value for value in RAW if value in journal] == []
