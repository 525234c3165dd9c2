"""The durable SQL tracker store: what it serves from its conversation cache is what
the database holds, another process's writes are never hidden, and a save the
database refuses is still retried, journalled and surfaced."""

import asyncio
import json
import logging
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tracker_store.sql import DurableSQLTrackerStore, unreachable

DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [greet, order_status]
slots:
  order_id:
    type: text
    mappings: [{type: custom}]
actions: [action_order_status]
""")
SENDER = "customer-1"
FACTOR = "pending_factor"


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def make_store(db: Path, journal: Path, **kwargs: Any) -> DurableSQLTrackerStore:
    """A store as one Rasa process has it; two of them on one file are two processes."""
    return DurableSQLTrackerStore(
        DOMAIN, host=f"sqlite:///{db}", journal=str(journal), retry_delay=0, **kwargs
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "tracker.db"


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    return tmp_path / "unsaved.jsonl"


@pytest.fixture
def store(db: Path, journal: Path) -> DurableSQLTrackerStore:
    return make_store(db, journal)


@pytest.fixture
def reads(store: DurableSQLTrackerStore, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every time the store reads a conversation's rows from the database."""
    calls: list[str] = []
    original = store._event_query

    def counting(session: Any, sender_id: str, **kwargs: Any) -> Any:
        calls.append(sender_id)
        return original(session, sender_id, **kwargs)

    monkeypatch.setattr(store, "_event_query", counting)
    return calls


def turn(text: str, order_id: str | None = None) -> list[Event]:
    """One customer turn as Rasa logs it."""
    events: list[Event] = [UserUttered(text, {"name": "order_status", "confidence": 0.9})]
    if order_id:
        events.append(SlotSet("order_id", order_id))
    return events + [
        ActionExecuted("action_order_status"),
        BotUttered(f"re: {text}"),
        ActionExecuted("action_listen"),
    ]


def session_start() -> list[Event]:
    return [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
    ]


def say(
    store: DurableSQLTrackerStore, events: list[Event], sender: str = SENDER
) -> DialogueStateTracker:
    """A turn: retrieve (or start) the conversation, add the events, save."""
    tracker = run(store.retrieve(sender)) or DialogueStateTracker(sender, DOMAIN.slots)
    for event in events:
        tracker.update(event)
    run(store.save(tracker))
    return tracker


def dump(tracker: DialogueStateTracker | None) -> Any:
    assert tracker is not None
    return tracker.current_state(), [e.as_dict() for e in tracker.events]


def stored_texts(db: Path, journal: Path, sender: str = SENDER) -> list[str]:
    """What a fresh process (no cache, a journal of its own) reads back from the database."""
    reader = make_store(db, journal.with_name("reader.jsonl"), cache_conversations=0)
    tracker = run(reader.retrieve_full_tracker(sender))
    return [e.text for e in tracker.events if isinstance(e, UserUttered)] if tracker else []


def test_a_cached_retrieve_is_what_the_database_gives(
    store: DurableSQLTrackerStore, db: Path, journal: Path, reads: list[str]
) -> None:
    say(store, session_start() + turn("where is my order", "BW-1"))
    say(store, turn("and now?"))
    reads.clear()
    cached = run(store.retrieve(SENDER))
    assert reads == []  # served from the cache
    fresh = run(make_store(db, journal, cache_conversations=0).retrieve(SENDER))
    assert dump(cached) == dump(fresh)
    assert cached.get_slot("order_id") == "BW-1"


def test_a_new_session_is_served_like_the_database_serves_it(
    store: DurableSQLTrackerStore, db: Path, journal: Path, reads: list[str]
) -> None:
    say(store, session_start() + turn("first session", "BW-1"))
    # The next session starts within a turn, on the tracker that still holds the old one.
    say(store, session_start() + turn("second session"))
    say(store, turn("still the second"))
    reads.clear()
    cached = run(store.retrieve(SENDER))
    assert reads == []
    fresh = run(make_store(db, journal, cache_conversations=0).retrieve(SENDER))
    assert dump(cached) == dump(fresh)
    assert [e.text for e in cached.events if isinstance(e, UserUttered)] == [
        "second session",
        "still the second",
    ]
    assert stored_texts(db, journal) == ["first session", "second session", "still the second"]


def test_another_process_write_is_not_hidden_by_the_cache(
    store: DurableSQLTrackerStore, db: Path, journal: Path
) -> None:
    say(store, session_start() + turn("from process one"))
    other = make_store(db, journal)
    say(other, turn("from process two", "BW-2"))
    tracker = run(store.retrieve(SENDER))
    assert [e.text for e in tracker.events if isinstance(e, UserUttered)] == [
        "from process one",
        "from process two",
    ]
    assert tracker.get_slot("order_id") == "BW-2"
    # And this process's next save appends after the other's rows, none lost or doubled.
    say(store, turn("process one again"))
    say(other, turn("process two again"))
    assert stored_texts(db, journal) == [
        "from process one",
        "from process two",
        "process one again",
        "process two again",
    ]
    assert dump(run(store.retrieve(SENDER))) == dump(run(other.retrieve(SENDER)))


def test_another_process_moving_stored_times_is_not_hidden_by_the_cache(
    store: DurableSQLTrackerStore, db: Path
) -> None:
    say(store, session_start() + turn("hello"))
    with closing(sqlite3.connect(db)) as connection, connection:
        # As the channel tests age a conversation: every row two hours earlier.
        connection.execute(
            "UPDATE events SET timestamp = timestamp - 7200, data = json_set(data, "
            "'$.timestamp', json_extract(data, '$.timestamp') - 7200) WHERE sender_id = ?",
            (SENDER,),
        )
    tracker = run(store.retrieve(SENDER))
    assert all(event.timestamp < time.time() - 3600 for event in tracker.events)


def test_a_refused_save_is_retried_journalled_and_surfaced(
    store: DurableSQLTrackerStore,
    db: Path,
    journal: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    say(store, session_start() + turn("stored"))
    attempts: list[int] = []

    def refuse(*_: Any) -> None:
        attempts.append(1)
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(store, "_record", refuse)
    with caplog.at_level(logging.WARNING, logger="tracker_store.sql"):
        tracker = say(store, turn("refused", "BW-9"))
    assert len(attempts) == store.save_attempts
    assert "tracker_store.save.failed" in caplog.text
    assert json.loads(journal.read_text().splitlines()[-1])["sender_id"] == SENDER
    assert stored_texts(db, journal) == ["stored"]
    # The next turn is built from the unsaved state, not from the cache or the database.
    assert run(store.retrieve(SENDER)) is tracker
    monkeypatch.undo()
    say(store, turn("after recovery"))
    assert stored_texts(db, journal) == ["stored", "refused", "after recovery"]
    assert SENDER not in store.pending
    fresh = run(make_store(db, journal, cache_conversations=0).retrieve(SENDER))
    assert dump(run(store.retrieve(SENDER))) == dump(fresh)


def test_a_failed_commit_leaves_no_cached_state_behind(
    store: DurableSQLTrackerStore, db: Path, journal: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    say(store, session_start() + turn("stored"))
    store.save_attempts = 1

    def refuse(*_: Any) -> None:
        raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    monkeypatch.setattr("sqlalchemy.orm.Session.commit", refuse)
    say(store, turn("lost commit"))
    monkeypatch.undo()
    store.pending.clear()  # as if the process restarted without its pending turns
    tracker = run(store.retrieve(SENDER))
    assert [e.text for e in tracker.events if isinstance(e, UserUttered)] == ["stored"]


def test_a_slow_commit_does_not_hold_up_the_event_loop(
    store: DurableSQLTrackerStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    commit = Session.commit

    def slow_disk(session: Session) -> None:
        time.sleep(0.3)
        commit(session)

    monkeypatch.setattr(Session, "commit", slow_disk)

    async def save_while_ticking() -> int:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        ticker = asyncio.create_task(tick())
        tracker = DialogueStateTracker(SENDER, DOMAIN.slots)
        for event in session_start() + turn("hello"):
            tracker.update(event)
        await store.save(tracker)
        ticker.cancel()
        return ticks

    assert run(save_while_ticking()) >= 10
    assert stored_texts(store_db(store), Path(store.journal)) == ["hello"]


def store_db(store: DurableSQLTrackerStore) -> Path:
    return Path(store.engine.url.database)


def test_the_cache_holds_at_most_the_configured_conversations(db: Path, journal: Path) -> None:
    store = make_store(db, journal, cache_conversations=2)
    for sender in ("a", "b", "c"):
        say(store, session_start() + turn(f"hello from {sender}"), sender=sender)
    assert list(store.cache) == ["b", "c"]
    tracker = run(store.retrieve("a"))  # from the database
    assert [e.text for e in tracker.events if isinstance(e, UserUttered)] == ["hello from a"]
    assert list(store.cache) == ["c", "a"]


def test_without_a_cache_nothing_is_kept_and_every_turn_is_stored(db: Path, journal: Path) -> None:
    store = make_store(db, journal, cache_conversations=0)
    say(store, session_start() + turn("one"))
    say(store, turn("two"))
    assert store.cache == {}
    assert stored_texts(db, journal) == ["one", "two"]


def test_an_unknown_conversation_is_none(store: DurableSQLTrackerStore) -> None:
    assert run(store.retrieve("nobody")) is None


@pytest.mark.parametrize("value", [-1, 1.5, "10", True, None])
def test_cache_size_is_validated(db: Path, journal: Path, value: Any) -> None:
    with pytest.raises(ValueError, match="cache_conversations"):
        make_store(db, journal, cache_conversations=value)


def test_an_erased_conversation_is_gone_from_the_database_cache_pending_and_journal(
    store: DurableSQLTrackerStore, db: Path, journal: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Erasure (issue 17): every session's rows, the cache, a pending turn and the
    journal's entries of one conversation; another conversation keeps all of its."""
    say(store, session_start() + turn("first session"))
    say(store, session_start() + turn("second session"))
    say(store, session_start() + turn("someone else"), sender="other")
    monkeypatch.setattr(
        store, "_record", lambda *_: (_ for _ in ()).throw(OperationalError("", {}, Exception()))
    )
    say(store, turn("pending", "BW-9"))
    say(store, session_start() + turn("other pending"), sender="other")
    monkeypatch.undo()
    assert SENDER in store.pending and len(journal.read_text().splitlines()) == 2
    removed = run(store.erase(SENDER))
    assert removed["journal_entries"] == 1 and removed["tracker_events"] > 10
    assert SENDER not in store.cache and SENDER not in store.pending
    assert run(store.retrieve(SENDER)) is None
    assert stored_texts(db, journal) == []
    with closing(sqlite3.connect(db)) as connection:
        left = connection.execute("SELECT count(*) FROM events WHERE sender_id = ?", (SENDER,))
        assert left.fetchone()[0] == 0
    assert [json.loads(line)["sender_id"] for line in journal.read_text().splitlines()] == ["other"]
    assert stored_texts(db, journal, "other") == ["someone else"]
    assert run(store.erase(SENDER)) == {"tracker_events": 0, "journal_entries": 0}


def refuse_writes(store: DurableSQLTrackerStore, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: Any) -> None:
        raise OperationalError("INSERT", {}, Exception("the database is not running"))

    monkeypatch.setattr(store, "_record", refuse)


def test_a_journalled_turn_is_written_at_the_next_start_once(
    store: DurableSQLTrackerStore, db: Path, journal: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process stops before the database is back: its pending turns are gone from
    memory, the journal has them; the next start writes them, and a start after that
    writes nothing again."""
    say(store, session_start() + turn("stored"))
    say(store, session_start() + turn("someone else"), sender="other")
    refuse_writes(store, monkeypatch)
    say(store, turn("refused", "BW-9"))
    say(store, turn("refused too"))
    say(store, turn("other refused"), sender="other")
    monkeypatch.undo()
    assert stored_texts(db, journal) == ["stored"]
    restarted = make_store(db, journal)
    assert not journal.exists()
    assert stored_texts(db, journal) == ["stored", "refused", "refused too"]
    assert stored_texts(db, journal, "other") == ["someone else", "other refused"]
    assert run(restarted.retrieve(SENDER)).get_slot("order_id") == "BW-9"
    make_store(db, journal)
    assert stored_texts(db, journal) == ["stored", "refused", "refused too"]
    say(restarted, turn("after the restart"))
    assert stored_texts(db, journal) == ["stored", "refused", "refused too", "after the restart"]


def test_a_replay_does_not_double_a_turn_written_once_the_database_came_back(
    store: DurableSQLTrackerStore, db: Path, journal: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    say(store, session_start() + turn("stored"))
    refuse_writes(store, monkeypatch)
    say(store, turn("refused"))
    monkeypatch.undo()
    say(store, turn("database back"))  # writes the pending turn first
    assert not journal.read_text().strip()  # done with: out of the journal
    # Even a journal that still had it (a crash between the write and the rewrite):
    journal.write_text(
        json.dumps(
            {
                "sender_id": SENDER,
                "events": [e.as_dict() for e in run(store.retrieve(SENDER)).events],
            }
        )
        + "\n"
    )
    make_store(db, journal)
    assert stored_texts(db, journal) == ["stored", "refused", "database back"]


def test_a_journal_the_database_refuses_is_kept_for_the_next_start(
    store: DurableSQLTrackerStore, db: Path, journal: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    say(store, session_start() + turn("stored"))
    refuse_writes(store, monkeypatch)
    say(store, turn("refused"))
    monkeypatch.setattr(DurableSQLTrackerStore, "_record", store._record)  # still down
    make_store(db, journal)
    monkeypatch.undo()
    assert journal.exists()
    make_store(db, journal)
    assert stored_texts(db, journal) == ["stored", "refused"]


def test_an_unreadable_database_is_told_not_served_as_a_new_conversation(
    store: DurableSQLTrackerStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rasa's FailSafeTrackerStore turns a failed read into no conversation at all: the
    REST channel asks `unreachable` and answers 503 with Retry-After instead."""
    say(store, session_start() + turn("stored"))
    failsafe = FailSafeTrackerStore(store)
    reads: list[int] = []

    def down(*_: Any) -> None:
        reads.append(1)
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(store, "_read", down)
    assert run(failsafe.retrieve(SENDER)) is None
    assert unreachable(failsafe) and len(reads) == 2  # tried once more
    monkeypatch.undo()
    assert run(failsafe.retrieve(SENDER)) is not None
    assert not unreachable(failsafe)


def test_a_turn_built_on_a_failed_read_is_stored_after_the_conversation_not_dropped(
    store: DurableSQLTrackerStore, db: Path, journal: Path
) -> None:
    """Rasa hands a turn whose read failed a new, empty conversation (in the gap between
    the channel's check and the turn); what that turn adds is appended, in order."""
    say(store, session_start() + turn("stored"))
    say(store, turn("stored too"))
    fresh = DialogueStateTracker(SENDER, DOMAIN.slots)
    for event in session_start() + turn("on a failed read"):
        fresh.update(event)
    run(store.save(fresh))
    assert stored_texts(db, journal) == ["stored", "stored too", "on a failed read"]
    say(store, turn("next"))
    assert stored_texts(db, journal) == ["stored", "stored too", "on a failed read", "next"]


def test_a_verification_answer_is_given_back_as_held_at_every_read(
    store: DurableSQLTrackerStore,
) -> None:
    def answers() -> list[Any]:
        tracker = run(store.retrieve(SENDER))
        return [e.value for e in tracker.events if isinstance(e, SlotSet) and e.key == FACTOR]

    say(store, session_start() + [UserUttered("CR2 6XH"), SlotSet(FACTOR, "CR2 6XH")])
    assert answers() == ["CR2 6XH"]
    say(store, [SlotSet(FACTOR, None)])  # cleared: the store forgets the answer
    assert answers() == [None, None]


class Published:
    """An event broker that keeps what it is given."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def publish(self, event: dict[str, Any]) -> None:
        self.events.append(event)


def test_each_save_streams_the_events_the_database_did_not_hold(
    store: DurableSQLTrackerStore, db: Path, journal: Path
) -> None:
    broker = Published()
    store.event_broker = broker  # type: ignore[assignment]
    say(store, session_start() + turn("first"))
    say(make_store(db, journal), turn("from another process"))
    say(store, turn("second"))
    texts = [e.get("text") for e in broker.events if e["event"] == "user"]
    assert texts == ["first", "second"]
    assert len(broker.events) == len(session_start()) + 2 * len(turn("first"))
    assert {e["sender_id"] for e in broker.events} == {SENDER}
