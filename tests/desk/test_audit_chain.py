"""The audit log's hash chain: entries chain as they are written (also from threads
at once), and `python -m desk verify-audit` fails on a database tampered with
directly, naming the first broken entry; a database from before the chain keeps its
entries as the chain's genesis."""

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import delete, text
from sqlalchemy.engine import Engine

from common.database import create_db_engine, session_factory
from desk import audit, audit_chain
from desk.models import Base, SignedIn

ROOT = Path(__file__).resolve().parents[2]
DROP_TRIGGERS = [f"DROP TRIGGER audit_log_no_{verb}" for verb in ("update", "delete")]


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'desk.db'}")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def write(engine: Engine, count: int, actor: str = "Dana") -> None:
    with session_factory(engine)() as session:
        for number in range(count):
            audit.record(session, actor, "read_queue", detail=f"{number} hand-overs")
            session.commit()


def verdict(engine: Engine) -> audit_chain.Verdict:
    with session_factory(engine)() as session:
        return audit_chain.verify(session)


def tamper(engine: Engine, *statements: str) -> None:
    """What someone with the database credentials and a SQL prompt can do."""
    with engine.begin() as connection:
        for statement in [*DROP_TRIGGERS, *statements]:
            connection.exec_driver_sql(statement)


def command(engine: Engine) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desk", "verify-audit"],
        cwd=ROOT,
        env={**os.environ, "DESK_DATABASE_URL": str(engine.url)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_every_entry_chains_to_the_one_before(engine: Engine) -> None:
    write(engine, 5)
    with session_factory(engine)() as session:
        rows = session.execute(text("SELECT prev_hash, entry_hash FROM audit_log ORDER BY id"))
        links = list(rows)
    assert links[0][0] == audit_chain.GENESIS
    assert all(later[0] == earlier[1] for earlier, later in pairwise(links))
    found = verdict(engine)
    assert found.intact and found.checked == 5 and found.head_hash == links[-1][1]
    result = command(engine)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"head entry {found.head_id} hash {found.head_hash}" in result.stdout


def test_entries_written_by_threads_at_once_form_one_chain(engine: Engine) -> None:
    threads = [threading.Thread(target=write, args=(engine, 10, f"agent{n}")) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    found = verdict(engine)
    assert found.intact and found.checked == 60


def test_a_bulk_delete_and_another_sessions_entry_never_wait_on_each_other(
    engine: Engine,
) -> None:
    """A sign-in deletes expired sessions before its entry; an enrichment writes its
    entry meanwhile. Both finish at once, chained (they once waited on each other for
    SQLite's 30 s busy timeout, and the enrichment failed)."""
    deleted = threading.Event()
    failures: list[BaseException] = []

    def sign_in() -> None:
        with session_factory(engine)() as session:
            session.execute(delete(SignedIn).where(SignedIn.expires_at < datetime.now(UTC)))
            deleted.set()
            time.sleep(0.5)  # the enrichment reaches its write meanwhile
            audit.record(session, "Dana", "sign_in")
            session.commit()

    def enrich() -> None:
        deleted.wait(5)
        try:
            write(engine, 1, "integration")
        except BaseException as error:  # reported by the assertion below
            failures.append(error)

    threads = [threading.Thread(target=sign_in), threading.Thread(target=enrich)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == [] and time.monotonic() - started < 10
    found = verdict(engine)
    assert found.intact and found.checked == 2


def test_an_edited_entry_is_named(engine: Engine) -> None:
    write(engine, 5)
    tamper(engine, "UPDATE audit_log SET actor = 'Mallory' WHERE id = 3")
    found = verdict(engine)
    assert (found.broken_id, found.checked) == (3, 2)
    assert "edited" in str(found.reason)
    result = command(engine)
    assert result.returncode == 1
    assert "BROKEN at entry 3" in result.stdout


def test_an_edit_that_recomputes_its_own_hash_breaks_the_next_link(engine: Engine) -> None:
    write(engine, 4)
    with session_factory(engine)() as session:
        row = session.get(audit_chain.AuditEntry, 2)
        assert row is not None
        session.expunge(row)
    row.actor = "Mallory"
    forged = audit_chain.entry_hash(row, str(row.prev_hash))
    tamper(engine, f"UPDATE audit_log SET actor = 'Mallory', entry_hash = '{forged}' WHERE id = 2")
    assert verdict(engine).broken_id == 3
    assert "BROKEN at entry 3" in command(engine).stdout


def test_a_removed_entry_is_named_by_the_one_after_it(engine: Engine) -> None:
    write(engine, 5)
    tamper(engine, "DELETE FROM audit_log WHERE id = 2")
    found = verdict(engine)
    assert found.broken_id == 3 and "removed" in str(found.reason)
    result = command(engine)
    assert result.returncode == 1 and "BROKEN at entry 3" in result.stdout


def test_an_entry_added_outside_the_desk_is_named(engine: Engine) -> None:
    write(engine, 2)
    tamper(
        engine,
        "INSERT INTO audit_log (at, actor, action, outcome) "
        "VALUES ('2026-01-01 00:00:00', 'Mallory', 'sign_in', 'ok')",
    )
    write(engine, 1)
    assert verdict(engine).broken_id == 3


def test_a_database_from_before_the_chain_keeps_its_entries_as_the_genesis(
    tmp_path: Path,
) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as connection:  # the audit log as it was before the chain
        connection.exec_driver_sql(
            "CREATE TABLE audit_log (id INTEGER PRIMARY KEY, at DATETIME NOT NULL, "
            "actor VARCHAR(64) NOT NULL, role VARCHAR(16), action VARCHAR(32) NOT NULL, "
            "handoff_id VARCHAR(32), conversation_id VARCHAR(255), subject VARCHAR(255), "
            "outcome VARCHAR(16) NOT NULL, detail TEXT)"
        )
        for actor in ("Old", "Older"):
            connection.exec_driver_sql(
                "INSERT INTO audit_log (at, actor, action, outcome) "
                f"VALUES ('{datetime(2026, 1, 1, tzinfo=UTC):%Y-%m-%d %H:%M:%S.%f}', "
                f"'{actor}', 'sign_in', 'ok')"
            )
    Base.metadata.create_all(engine)  # the desk's start: columns added, rows kept
    write(engine, 3)
    found = verdict(engine)
    assert (found.intact, found.legacy, found.checked) == (True, 2, 3)
    with session_factory(engine)() as session:
        first = session.get(audit_chain.AuditEntry, 3)
        assert first is not None and first.prev_hash != audit_chain.GENESIS
    tamper(engine, "UPDATE audit_log SET actor = 'Mallory' WHERE id = 1")
    found = verdict(engine)
    assert found.broken_id == 3 and "genesis" in str(found.reason)
    engine.dispose()


def test_an_unreadable_database_is_exit_status_2(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    assert command(engine).returncode == 2
    engine.dispose()


def test_the_session_keeps_working_after_a_refused_change(engine: Engine) -> None:
    """A flush refused (append-only) releases the chain's lock with its transaction."""
    write(engine, 1)
    with session_factory(engine)() as session:
        entry = session.get(audit_chain.AuditEntry, 1)
        assert entry is not None
        entry.actor = "Sam"
        with pytest.raises(audit.AuditTampering):
            session.commit()
        session.rollback()
        audit.record(session, "Dana", "read_queue")
        session.commit()
    assert verdict(engine).checked == 2
