"""Reads Rasa's event broker table (`events`: id, sender_id, data) incrementally and
folds each event into its conversation session in the analytics store.

The position (the last event id folded) is written in the same transaction as the
sessions it changed: a restart, or a crash mid-batch, starts again right after the
last committed event, so nothing is lost or counted twice. Rasa's tracker store is
never read.

Events usually arrive in time order; one that does not (published late after a
RabbitMQ outage, behind newer ones, or republished by a retried save) makes the
consumer fold its conversation again from the broker table, in time order, each
event once: the figures are the same whatever order the events arrived in.
"""

import asyncio
import json
import logging
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from analytics.sessions import SessionFacts, fold, late, timestamp
from analytics.store import (
    WRITING,
    delete_sessions,
    last_event_id,
    latest_session,
    save_session,
    set_last_event_id,
)

logger = logging.getLogger("analytics.consumer")

# Rasa's SQLEventBroker table (rasa/core/brokers/sql.py), described here so that the
# analytics service reads it without importing Rasa.
broker_events = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("data", Text),
)


def _new_rows(broker: Engine, after: int, limit: int) -> list:
    with broker.connect() as connection:
        return list(
            connection.execute(
                select(broker_events)
                .where(broker_events.c.id > after)
                .order_by(broker_events.c.id)
                .limit(limit)
            )
        )


def _event(row: Any) -> dict[str, Any] | None:
    try:
        event = json.loads(row.data)
    except (TypeError, ValueError):
        logger.warning("analytics.event.unreadable id=%d", row.id)
        return None
    return event if isinstance(event, dict) else None


def _folded(
    current: SessionFacts | None, sender: str, row: Any, event: dict
) -> SessionFacts | None:
    """current after event; current unchanged for an event that cannot be folded."""
    try:
        return fold(current, sender, event)
    except (TypeError, ValueError, AttributeError):
        # An event of a shape Rasa never publishes: skipped, not a stuck consumer.
        logger.warning("analytics.event.unexpected id=%d", row.id)
        return current


def _refold(broker: Engine, sender: str, upto: int) -> list[SessionFacts]:
    """The sender's sessions from their broker events up to id `upto`, folded in time
    order (the id breaking a tie), an event published twice counted once."""
    with broker.connect() as connection:
        rows = list(
            connection.execute(
                select(broker_events).where(
                    broker_events.c.sender_id == sender, broker_events.c.id <= upto
                )
            )
        )
    events: dict[str, tuple[float, int, Any, dict]] = {}
    for row in rows:
        event = _event(row)
        if event is not None and timestamp(event) > 0:
            key = json.dumps(event, sort_keys=True)
            events.setdefault(key, (timestamp(event), row.id, row, event))
    found: list[SessionFacts] = []
    current: SessionFacts | None = None
    for _, _, row, event in sorted(events.values(), key=lambda item: item[:2]):
        after = _folded(current, sender, row, event)
        if after is not None and after is not current:
            found.append(after)
        current = after
    return found


def _fold_rows(connection: Connection, broker: Engine, rows: list) -> None:
    current: dict[str, SessionFacts | None] = {}
    touched: dict[int, SessionFacts] = {}  # by object identity, in first-touched order
    for row in rows:
        event = _event(row)
        if event is None:
            continue
        sender = row.sender_id or event.get("sender_id")
        if not isinstance(sender, str) or not sender:
            continue
        if sender not in current:
            current[sender] = latest_session(connection, sender)
        if late(current[sender], event):
            refolded = _refold(broker, sender, row.id)
            delete_sessions(connection, sender)
            touched = {k: f for k, f in touched.items() if f.sender_id != sender}
            touched.update((id(facts), facts) for facts in refolded)
            current[sender] = refolded[-1] if refolded else None
            continue
        facts = _folded(current[sender], sender, row, event)
        if facts is None:
            continue
        current[sender] = facts
        touched.setdefault(id(facts), facts)
    for facts in touched.values():
        save_session(connection, facts)


def consume_once(broker: Engine, store: Engine, batch_size: int = 500) -> int:
    """Fold the next batch of broker events into the store; how many were read."""
    with WRITING, store.begin() as connection:
        after = last_event_id(connection)
        try:
            rows = _new_rows(broker, after, batch_size)
        except SQLAlchemyError:
            # No events table yet (Rasa has not started) or the broker is unreachable.
            logger.debug("analytics.broker.unreadable", exc_info=True)
            return 0
        if not rows:
            return 0
        _fold_rows(connection, broker, rows)
        set_last_event_id(connection, rows[-1].id)
    return len(rows)


async def consume_forever(
    broker: Engine, store: Engine, poll_seconds: float, batch_size: int = 500
) -> None:
    """Keep the store up to date: a full batch is followed at once by the next one, a
    partial one by a pause of poll_seconds; a failing store is retried after one."""
    while True:
        try:
            read = await asyncio.to_thread(consume_once, broker, store, batch_size)
        except Exception as error:  # the service must keep consuming; retried after a pause
            logger.error("analytics.consume.failed error=%s", type(error).__name__)
            read = 0
        if read < batch_size:
            await asyncio.sleep(poll_seconds)
