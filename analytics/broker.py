"""Rasa's SQL event broker on a database given by URL, with SQLite tuned for it.

Rasa publishes every event synchronously on its event loop, one commit each. With
SQLite's default rollback journal and `synchronous=FULL` each commit waits for
several fsyncs; in WAL mode with `synchronous=NORMAL` a commit is an append to the
log (durable at the next checkpoint, safe against corruption), so a turn's events
cost Rasa next to nothing. endpoints.yml names this class (`type:
analytics.broker.UrlSQLEventBroker`, `url: ${EVENT_BROKER_URL}`); the table is Rasa's
own `events` (id, sender_id, data), which analytics/consumer.py reads.

A failing write never fails the turn: Rasa streams events inside the tracker store's
save, so an exception here would make the turn's save fail too (and be journalled as
unsaved). The events are kept in order instead and written before the next one once
the database takes writes again (lost only if Rasa stops during the outage).
"""

import asyncio
import json
import logging
from collections import deque
from typing import Any

import sqlalchemy.orm
from rasa.core.brokers.sql import SQLEventBroker
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from common.database import create_db_engine

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
    """Rasa's SQLEventBroker (same table, same publish), configured by one SQLAlchemy URL."""

    def __init__(self, url: str) -> None:
        self.engine = broker_engine(url)
        self.Base.metadata.create_all(self.engine)
        self.sessionmaker = sqlalchemy.orm.sessionmaker(bind=self.engine)
        self.pending: deque[dict[str, Any]] = deque()
        self.dropped = 0

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: EndpointConfig, event_loop: asyncio.AbstractEventLoop | None = None
    ) -> "UrlSQLEventBroker":
        if not broker_config.url:
            raise ValueError("event_broker: `url` (EVENT_BROKER_URL) is not set")
        return cls(broker_config.url)

    def publish(self, event: dict[str, Any]) -> None:
        """Write the event, after any kept from an outage, in one transaction."""
        if len(self.pending) >= MAX_PENDING:
            self.pending.popleft()
            self.dropped += 1
        self.pending.append(event)
        try:
            with self.session_scope() as session:
                session.add_all(
                    self.SQLBrokerEvent(sender_id=item.get("sender_id"), data=json.dumps(item))
                    for item in self.pending
                )
                session.commit()
        except SQLAlchemyError as error:
            logger.error(
                "event_broker.publish.failed pending=%d dropped=%d error=%s",
                len(self.pending),
                self.dropped,
                type(error).__name__,
            )
            return
        if len(self.pending) > 1:
            logger.warning("event_broker.publish.recovered written=%d", len(self.pending))
        self.pending.clear()
