"""A database built before interactions had a request_id keeps its rows and gains it."""

from pathlib import Path

from sqlalchemy import inspect, text

from backend import loader
from common.database import create_db_engine
from tests.support.crm import FIXTURE

OLD_INTERACTIONS = """CREATE TABLE interactions (
    id VARCHAR(32) PRIMARY KEY, conversation_id VARCHAR(128) NOT NULL,
    channel VARCHAR(32) NOT NULL, type VARCHAR(64) NOT NULL, summary TEXT NOT NULL,
    customer_id VARCHAR(32) REFERENCES customers (id), created_at VARCHAR(40) NOT NULL)"""


def test_an_older_database_gets_the_request_id_column_and_keeps_its_rows(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'old.db'}")
    loader.rebuild(engine, FIXTURE)
    with engine.begin() as db:
        db.execute(text("DROP TABLE interactions"))
        db.execute(text(OLD_INTERACTIONS))
        db.execute(
            text(
                "INSERT INTO interactions VALUES ('INT-000001', 'c', 'rest', 'note', "
                "'kept', 'C-1001', '2026-11-25T10:00:00+00:00')"
            )
        )
    assert loader.ensure_loaded(engine, FIXTURE) is False  # not rebuilt: rows kept
    columns = {c["name"] for c in inspect(engine).get_columns("interactions")}
    assert "request_id" in columns
    with engine.connect() as db:
        assert db.execute(text("SELECT summary FROM interactions")).scalars().all() == ["kept"]
    assert loader.add_request_ids(engine) is False  # once only


def test_an_older_database_gains_the_writes_tables_and_keeps_its_bookings(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'old.db'}")
    loader.rebuild(engine, FIXTURE)
    writes_tables = ("idempotency_keys", "leads", "returns", "payment_links")
    with engine.begin() as db:
        for table in writes_tables:
            db.execute(text(f"DROP TABLE {table}"))
        db.execute(text("UPDATE appointments SET status = 'cancelled' WHERE id = 'APT-3001'"))
    assert loader.ensure_loaded(engine, FIXTURE) is False  # not rebuilt: rows kept
    assert set(writes_tables) <= set(inspect(engine).get_table_names())
    with engine.connect() as db:
        status = db.execute(text("SELECT status FROM appointments WHERE id = 'APT-3001'"))
        assert status.scalar_one() == "cancelled"


def test_an_older_database_gains_the_complaint_flag_and_keeps_its_customers(
    tmp_path: Path,
) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'old.db'}")
    loader.rebuild(engine, FIXTURE)
    with engine.begin() as db:
        db.execute(text("ALTER TABLE customers DROP COLUMN open_complaint"))
    assert loader.ensure_loaded(engine, FIXTURE) is False  # not rebuilt: rows kept
    assert "open_complaint" in {c["name"] for c in inspect(engine).get_columns("customers")}
    assert loader.add_complaint_flags(engine) is False  # once only
