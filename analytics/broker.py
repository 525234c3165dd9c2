"""Rasa's SQL event broker on a database given by URL, written off Rasa's event loop.

Rasa calls `publish` synchronously on its event loop for every event of a turn (from
the tracker store's save). Rasa's own SQLEventBroker commits each one there: some ms
per event, a dozen events per turn. This one only queues the event; one writer thread
writes what is queued, in order, in one transaction, the way the tracker store does
its database work on a thread of its own. SQLite runs in WAL mode with
`synchronous=NORMAL` (a commit is an append to the log, durable at the next
checkpoint, safe against corruption). The table is Rasa's own `events` (id,
sender_id, data), which analytics/consumer.py reads. endpoints.yml names this class
(`type: analytics.broker.UrlSQLEventBroker`, `url: ${EVENT_BROKER_URL}`).

A write the database refuses never fails a turn: the events stay queued, in order,
and are written with the next ones once it takes writes again (lost only if Rasa
stops during the outage). `close()` (Rasa's shutdown) writes what is queued.

With SWITCHBOARD_CLOCK_FILE set (common/clock.py: the traffic simulator's clock, never
in production) each event is stamped with that clock's time as it is published.
"""

import asyncio
import json
import logging
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import sqlalchemy.orm
from rasa.core.brokers.sql import SQLEventBroker
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from common import clock
from common.database import create_db_engine, create_tables

logger = logging.getLogger(__name__)
# Events kept while the database refuses writes; beyond, the oldest are dropped (logged).
MAX_PENDING = 100_000


def _relaxed_sync(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def broker_engine(url: str) -> Engine:
    """The broker's engine: WAL (common.database) and `synchronous=NORMAL` on SQLite."""
    engine = create_db_engine(url)
    if make_url(url).get_backend_name() == "sqlite":
        event.listen(engine, "connect", _relaxed_sync)
        engine.dispose()  # the connection that set WAL was opened before the listener
    return engine


class UrlSQLEventBroker(SQLEventBroker):
    """Rasa's SQLEventBroker (same table), configured by one SQLAlchemy URL, writing on
    a thread of its own."""

    def __init__(self, url: str) -> None:
        self.engine = broker_engine(url)
        create_tables(self.Base.metadata, self.engine)
        self.sessionmaker = sqlalchemy.orm.sessionmaker(bind=self.engine)
        self.pending: deque[dict[str, Any]] = deque()
        self.dropped = 0
        self.lock = threading.Lock()
        self.writing = False
        self.failing = False
        self.writer = ThreadPoolExecutor(1, thread_name_prefix="event-broker")
        self.clock_file = clock.clock_file()

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: EndpointConfig, event_loop: asyncio.AbstractEventLoop | None = None
    ) -> "UrlSQLEventBroker":
        if not broker_config.url:
            raise ValueError("event_broker: `url` (EVENT_BROKER_URL) is not set")
        return cls(broker_config.url)

    def publish(self, event: dict[str, Any]) -> None:
        """Queue the event for the writer thread; returns at once."""
        if self.clock_file is not None:
            event = {**event, "timestamp": clock.now(self.clock_file)}
        with self.lock:
            if len(self.pending) >= MAX_PENDING:
                self.pending.popleft()
                self.dropped += 1
            self.pending.append(event)
            if self.writing:
                return
            self.writing = True
        self.writer.submit(self._write_pending)

    def flush(self) -> None:
        """Wait until what was published before is written (or kept after a failure)."""
        self.writer.submit(lambda: None).result()

    async def close(self) -> None:
        """Write what is queued (Rasa calls this when it shuts down)."""
        await asyncio.wrap_future(self.writer.submit(self._write_pending))
        self.writer.shutdown(wait=True)
        self.engine.dispose()

    def _write_pending(self) -> None:
        while True:
            with self.lock:
                batch = list(self.pending)
                if not batch:
                    self.writing = False
                    return
            try:
                self._write(batch)
            except SQLAlchemyError as error:
                with self.lock:
                    self.writing = False  # kept: the next publish tries again
                    self.failing = True
                    logger.error(
                        "event_broker.publish.failed pending=%d dropped=%d error=%s",
                        len(self.pending),
                        self.dropped,
                        type(error).__name__,
                    )
                return
            with self.lock:
                for item in batch:  # those dropped meanwhile are gone already
                    if self.pending and self.pending[0] is item:
                        self.pending.popleft()
                if self.failing:
                    self.failing = False
                    logger.warning("event_broker.publish.recovered written=%d", len(batch))

    def _write(self, batch: list[dict[str, Any]]) -> None:
        with self.session_scope() as session:
            session.add_all(
                self.SQLBrokerEvent(sender_id=item.get("sender_id"), data=json.dumps(item))
                for item in batch
            )
            session.commit()
