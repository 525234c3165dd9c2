"""Engine and session plumbing, the same for SQLite and PostgreSQL."""

from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

# How long an SQLite connection waits for another's write before giving up.
SQLITE_BUSY_SECONDS = 30


def _configure_sqlite(dbapi_connection: Any, connection_record: Any) -> None:
    """Foreign keys enforced as PostgreSQL does."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_db_engine(database_url: str) -> Engine:
    """An engine for database_url; an SQLite file gets its folder created, enforces
    foreign keys like PostgreSQL does and lets reads run beside a write."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        # FastAPI may open, use and close a request's session on different
        # threadpool threads; each connection still serves one request at a time.
        # A file keeps a few connections open (SQLAlchemy 1.4 opens and closes one
        # per session by default, a good part of a short request's time); beyond
        # them, as many as the requests need, as before: none waits for another's.
        file = bool(url.database and url.database != ":memory:")
        engine = create_engine(
            url,
            future=True,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS},
            **({"poolclass": QueuePool, "pool_size": 5, "max_overflow": -1} if file else {}),
        )
        event.listen(engine, "connect", _configure_sqlite)
        if file:
            # Write-ahead logging, set once (it stays with the file): reads never wait
            # for a write, so concurrent requests do not fail with "database is locked".
            with engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        return engine
    return create_engine(url, future=True, pool_pre_ping=True)


def session_factory(engine: Engine) -> sessionmaker:
    """Sessions bound to engine; the API opens one per request."""
    return sessionmaker(bind=engine, future=True)


def create_tables(metadata: MetaData, engine: Engine) -> None:
    """metadata's missing tables. Processes starting together (several Rasa processes
    on one database) may each find a table missing and create it: the one that loses
    the race is refused (SQLite "already exists", PostgreSQL a duplicate in its
    catalogue), and finds every table there when it looks again."""
    try:
        metadata.create_all(engine)
    except (OperationalError, ProgrammingError, IntegrityError):
        metadata.create_all(engine)
