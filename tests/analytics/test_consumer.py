"""The consumer over a real broker database: events published by the broker Rasa runs
(analytics.broker) are folded in order, in batches, and a restart loses and doubles
nothing."""

import asyncio
import json
import random
import time
from pathlib import Path

import pytest
from sqlalchemy import insert
from sqlalchemy.engine import Engine

from analytics.broker import UrlSQLEventBroker, broker_engine
from analytics.consumer import broker_events, consume_once
from analytics.figures import figures
from analytics.metrics_config import load_metrics_config
from analytics.sessions import SessionFacts
from analytics.store import (
    create_schema,
    last_event_id,
    latest_session,
    session_count,
    sessions_between,
)
from common.database import create_db_engine
from tests.analytics.events import T0, Script, abandoned, contained, handed_over, resolved_order

ROOT = Path(__file__).resolve().parents[2]


def published(broker: UrlSQLEventBroker, *scripts: Script) -> int:
    """The scripts' events published interleaved, as concurrent conversations are."""
    queues = [list(script.events) for script in scripts]
    count = 0
    while any(queues):
        for queue in queues:
            if queue:
                broker.publish(queue.pop(0))
                count += 1
    broker.flush()
    return count


def a_store(path: Path) -> Engine:
    engine = create_db_engine(f"sqlite:///{path}")
    create_schema(engine)
    return engine


def facts(store: Engine, sender: str) -> SessionFacts:
    with store.connect() as connection:
        found = latest_session(connection, sender)
    assert found is not None
    return found


def drain(broker: Engine, store: Engine, batch_size: int) -> int:
    total = 0
    while read := consume_once(broker, store, batch_size):
        total += read
    return total


SCRIPTS = (resolved_order, handed_over, abandoned, contained)


@pytest.fixture
def broker(tmp_path: Path) -> UrlSQLEventBroker:
    return UrlSQLEventBroker(f"sqlite:///{tmp_path / 'events.db'}")


def test_publishing_returns_at_once_and_the_writer_keeps_the_order(
    broker: UrlSQLEventBroker,
) -> None:
    events = [{"sender_id": f"s{n % 3}", "event": "bot", "timestamp": n} for n in range(300)]
    started = time.perf_counter()
    for item in events:
        broker.publish(item)
    queued = time.perf_counter() - started
    broker.flush()
    with broker.engine.connect() as connection:
        rows = list(connection.execute(broker_events.select().order_by(broker_events.c.id)))
    assert [json.loads(row.data) for row in rows] == events
    assert queued < 0.3  # 300 events queued; written by the thread in a few transactions


def test_close_writes_what_is_queued(broker: UrlSQLEventBroker, tmp_path: Path) -> None:
    for item in resolved_order().events:
        broker.publish(item)
    asyncio.run(broker.close())
    reader = create_db_engine(f"sqlite:///{tmp_path / 'events.db'}")
    with reader.connect() as connection:
        assert len(list(connection.execute(broker_events.select()))) == len(resolved_order().events)


def test_the_broker_runs_sqlite_in_wal_mode_with_normal_sync(broker: UrlSQLEventBroker) -> None:
    with broker.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_interleaved_conversations_are_folded_each_into_its_own_session(
    broker: UrlSQLEventBroker, tmp_path: Path
) -> None:
    count = published(broker, *(make() for make in SCRIPTS))
    store = a_store(tmp_path / "analytics.db")
    assert drain(broker.engine, store, batch_size=7) == count
    assert facts(store, "c-resolved").outcomes[-1]["result"] == "answered"
    assert facts(store, "c-handover").handed_over
    assert facts(store, "c-contained").last_intent == "goodbye"
    with store.connect() as connection:
        assert session_count(connection) == 4
        assert last_event_id(connection) == count


def test_a_restart_between_batches_loses_and_doubles_nothing(
    broker: UrlSQLEventBroker, tmp_path: Path
) -> None:
    first = published(broker, *(make() for make in SCRIPTS))
    once = a_store(tmp_path / "once.db")
    drain(broker.engine, once, batch_size=1000)

    restarted = a_store(tmp_path / "restarted.db")
    assert consume_once(broker.engine, restarted, batch_size=5) == 5
    restarted.dispose()  # the process stops; a new one opens the same files
    restarted = a_store(tmp_path / "restarted.db")
    assert consume_once(broker.engine, restarted, batch_size=9) == 9
    restarted = a_store(tmp_path / "restarted.db")
    assert drain(broker_engine(str(broker.engine.url)), restarted, batch_size=4) == first - 14
    for make in SCRIPTS:
        sender = make().sender
        assert facts(restarted, sender) == facts(once, sender)
    assert drain(broker.engine, restarted, batch_size=4) == 0  # nothing read twice


def test_rows_that_are_no_event_are_skipped(broker: UrlSQLEventBroker, tmp_path: Path) -> None:
    published(broker, resolved_order())
    store = a_store(tmp_path / "analytics.db")
    broken = {"sender_id": "c-resolved", "event": "user", "timestamp": "x"}
    with broker.engine.begin() as connection:  # not JSON, not an object, no time
        connection.execute(insert(broker_events).values(sender_id=None, data=json.dumps([])))
        connection.execute(insert(broker_events).values(sender_id="c-resolved", data="{"))
        connection.execute(
            insert(broker_events).values(sender_id="c-resolved", data=json.dumps(broken))
        )
    # Unreadable rows are skipped (and logged by id); the rest is folded once.
    drain(broker.engine, store, batch_size=3)
    session = facts(store, "c-resolved")
    assert (session.user_turns, session.bot_messages) == (2, 2)


def test_no_events_table_yet_reads_nothing(tmp_path: Path) -> None:
    store = a_store(tmp_path / "analytics.db")
    missing = create_db_engine(f"sqlite:///{tmp_path / 'no-broker-yet.db'}")
    assert consume_once(missing, store) == 0
    with store.connect() as connection:
        assert last_event_id(connection) == 0


def test_events_published_while_the_broker_database_refuses_writes_are_kept_in_order(
    broker: UrlSQLEventBroker, tmp_path: Path
) -> None:
    events = resolved_order().events
    for event in events[:3]:
        broker.publish(event)
    broker.flush()
    with broker.engine.begin() as connection:  # the database goes away under Rasa
        connection.exec_driver_sql("ALTER TABLE events RENAME TO events_away")
    for event in events[3:-1]:
        broker.publish(event)  # no exception reaches the tracker store's save
        broker.flush()
    assert len(broker.pending) == len(events) - 4
    with broker.engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE events_away RENAME TO events")
    broker.publish(events[-1])
    broker.flush()
    assert not broker.pending
    with broker.engine.connect() as connection:
        stored = [json.loads(row.data) for row in connection.execute(broker_events.select())]
    assert stored == events
    store = a_store(tmp_path / "analytics.db")
    assert drain(broker.engine, store, batch_size=100) == len(events)
    assert facts(store, "c-resolved").outcomes[-1]["result"] == "answered"


def stored_sessions(store: Engine) -> list[tuple]:
    """Every stored session's facts but its row id, oldest first."""
    with store.connect() as connection:
        found = sessions_between(connection, 0, 1e11)
    return sorted((s.sender_id, s.started_at, repr({**vars(s), "id": None})) for s in found)


def written(engine: Engine, events: list[dict]) -> None:
    """Events as the relay writes them to the broker table, in the order given."""
    with engine.begin() as connection:
        connection.execute(
            insert(broker_events),
            [{"sender_id": e["sender_id"], "data": json.dumps(e)} for e in events],
        )


@pytest.mark.parametrize("batch_size", [1, 5, 1000])
def test_events_arriving_late_or_out_of_order_give_the_same_figures(
    broker: UrlSQLEventBroker, tmp_path: Path, batch_size: int
) -> None:
    """An outage: a turn of each conversation (and a whole later session) reaches the
    broker table only after newer events were folded; a shuffled stream with events
    published twice; both fold to the sessions and figures of the ordered stream."""
    scripts = [make() for make in SCRIPTS]
    scripts.append(resolved_order("c-resolved", at=T0 + 3 * 3600))  # its second session
    ordered = sorted((e for s in scripts for e in s.events), key=lambda e: e["timestamp"])
    kept = [e for s in scripts for e in s.events[3:6]]  # held back by the outage
    outage = [e for e in ordered if e not in kept] + kept
    shuffled = ordered + ordered[5:9]
    random.Random(15).shuffle(shuffled)
    config = load_metrics_config(ROOT / "metrics.yml")
    results = []
    for name, events in (("ordered", ordered), ("outage", outage), ("shuffled", shuffled)):
        engine = create_db_engine(f"sqlite:///{tmp_path / name}-events.db")
        broker_events.metadata.create_all(engine)
        written(engine, events)
        store = a_store(tmp_path / f"{name}.db")
        assert drain(engine, store, batch_size) == len(events)
        with store.connect() as connection:
            period = sessions_between(connection, 0, 1e11)
        results.append((stored_sessions(store), figures(period, config, T0 + 30 * 86400)))
    assert len(results[0][0]) == len(scripts)
    assert results[1] == results[0]
    assert results[2] == results[0]
    assert results[0][1]["total"]["resolved"] == 2
