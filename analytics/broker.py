"""Rasa's SQL event broker on a database given by URL, with SQLite tuned for it.

Rasa publishes every event synchronously on its event loop, one commit each. With
SQLite's default rollback journal and `synchronous=FULL` each commit waits for
several fsyncs; in WAL mode with `synchronous=NORMAL` a commit is an append to the
log (durable at the next checkpoint, safe against corruption), so a turn's events
cost Rasa next to nothing. endpoints.yml names this class (`type:
analytics.broker.UrlSQLEventBroker`, `url: ${EVENT_BROKER_URL}`); the table is Rasa's
own `events` (id, sender_id, data), which analytics/consumer.py reads.
"""

import asyncio
from typing import Any

import sqlalchemy.orm
from rasa.core.brokers.sql import SQLEventBroker
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from common.database import create_db_engine


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

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: EndpointConfig, event_loop: asyncio.AbstractEventLoop | None = None
    ) -> "UrlSQLEventBroker":
        if not broker_config.url:
            raise ValueError("event_broker: `url` (EVENT_BROKER_URL) is not set")
        return cls(broker_config.url)
