"""Engine and session plumbing, the same for SQLite and PostgreSQL."""

import threading
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import sessionmaker

write_lock = threading.Lock()
"""Serialises the writes that allocate record ids (the backend runs as one process)."""


def _enforce_sqlite_foreign_keys(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_db_engine(database_url: str) -> Engine:
    """An engine for database_url; an SQLite file gets its folder created and
    enforces foreign keys like PostgreSQL does."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        # FastAPI may open, use and close a request's session on different
        # threadpool threads; each connection still serves one request at a time.
        engine = create_engine(url, future=True, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _enforce_sqlite_foreign_keys)
        return engine
    return create_engine(url, future=True, pool_pre_ping=True)


def session_factory(engine: Engine) -> sessionmaker:
    """Sessions bound to engine; the API opens one per request."""
    return sessionmaker(bind=engine, future=True)
