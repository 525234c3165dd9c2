"""The verification lockout store on a real SQLite database: counting, the lock, the
window, unlocking with its record, failing closed, and counting under concurrency."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from actions.lockout import LockoutStore, LockoutStoreUnavailable, unlocks

MAX = 3
WINDOW = 600.0


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> LockoutStore:
    return LockoutStore(f"sqlite:///{tmp_path / 'assistant.db'}", MAX, WINDOW, clock)


def test_an_unknown_record_is_open(store: LockoutStore) -> None:
    status = store.status("C-1001")
    assert (status.locked, status.failures, status.locked_until) == (False, 0, None)
    assert status.as_json() == {
        "customer_id": "C-1001",
        "locked": False,
        "failures": 0,
        "locked_until": None,
    }


def test_failures_lock_the_record_at_the_limit(store: LockoutStore, clock: Clock) -> None:
    for count in range(1, MAX):
        status = store.record_failure("C-1001")
        assert (status.locked, status.failures) == (False, count)
        clock.now += 1
    locked = store.record_failure("C-1001")
    assert locked.locked and locked.failures == MAX
    assert locked.locked_until == clock.now + WINDOW
    assert locked.as_json()["locked_until"].endswith("+00:00")
    assert store.status("C-1001") == locked
    assert not store.status("C-1002").locked  # per record


def test_the_lock_holds_for_the_window_then_lifts(store: LockoutStore, clock: Clock) -> None:
    for _ in range(MAX):
        store.record_failure("C-1001")
    clock.now += WINDOW - 1
    assert store.status("C-1001").locked
    clock.now += 1
    status = store.status("C-1001")
    assert (status.locked, status.failures) == (False, 0)
    # Counting starts afresh: one more failure is one, not a new lock.
    assert (store.record_failure("C-1001").failures, store.status("C-1001").locked) == (1, False)


def test_failures_older_than_the_window_are_forgotten(store: LockoutStore, clock: Clock) -> None:
    for _ in range(MAX - 1):
        store.record_failure("C-1001")
    clock.now += WINDOW + 1
    assert store.status("C-1001").failures == 0
    status = store.record_failure("C-1001")
    assert (status.locked, status.failures) == (False, 1)


def test_the_count_survives_a_new_store_on_the_same_database(tmp_path: Path, clock: Clock) -> None:
    url = f"sqlite:///{tmp_path / 'assistant.db'}"
    for _ in range(MAX):
        LockoutStore(url, MAX, WINDOW, clock).record_failure("C-1001")
    assert LockoutStore(url, MAX, WINDOW, clock).status("C-1001").locked


def test_unlock_clears_the_lock_and_records_who_and_when(store: LockoutStore, clock: Clock) -> None:
    for _ in range(MAX):
        store.record_failure("C-1001")
    clock.now += 5
    status = store.unlock("C-1001", "dana")
    assert (status.locked, status.failures) == (False, 0)
    assert store.status("C-1001") == status
    with store.engine.connect() as db:
        rows = db.execute(sa.select(unlocks)).mappings().all()
    assert [
        (r["customer_id"], r["unlocked_by"], r["unlocked_at"], r["failures"], r["was_locked"])
        for r in rows
    ] == [("C-1001", "dana", clock.now, MAX, True)]
    # After an unlock the full allowance is back.
    for _ in range(MAX - 1):
        assert not store.record_failure("C-1001").locked
    assert store.record_failure("C-1001").locked


def test_unlocking_an_open_record_is_recorded_too(store: LockoutStore) -> None:
    assert not store.unlock("C-2000", "sam").locked
    with store.engine.connect() as db:
        row = db.execute(sa.select(unlocks)).mappings().one()
    assert (row["customer_id"], row["was_locked"], row["failures"]) == ("C-2000", False, 0)


def test_concurrent_failures_are_all_counted(tmp_path: Path, clock: Clock) -> None:
    store = LockoutStore(f"sqlite:///{tmp_path / 'assistant.db'}", 100, WINDOW, clock)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results: list = list(pool.map(lambda _: store.record_failure("C-1001"), range(40)))
    assert store.status("C-1001").failures == 40
    assert sorted(r.failures for r in results)[-1] == 40


def test_answers_checked_at_once_cannot_pass_the_limit_together(
    tmp_path: Path, clock: Clock
) -> None:
    """Each answer is counted before it is checked: of 40 guesses from 40
    conversations at the same moment, only the limit's worth is checked at all."""
    store = LockoutStore(f"sqlite:///{tmp_path / 'race.db'}", MAX, WINDOW, clock)
    with ThreadPoolExecutor(max_workers=8) as pool:
        taken = list(pool.map(lambda _: store.take_attempt("C-1001"), range(40)))
    assert sum(taken) == MAX
    assert store.lock_if_reached("C-1001").locked
    assert not store.take_attempt("C-1001")


def test_a_right_answer_gives_its_attempt_back(store: LockoutStore) -> None:
    for _ in range(MAX * 2):
        assert store.take_attempt("C-1001")
        store.give_back("C-1001")
    assert store.status("C-1001").failures == 0


def test_an_unreachable_database_fails_closed(tmp_path: Path, clock: Clock) -> None:
    store = LockoutStore(f"sqlite:///{tmp_path / 'assistant.db'}", MAX, WINDOW, clock)
    store.engine.dispose()
    store.engine = sa.create_engine(f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
    for call in (store.status, store.record_failure):
        with pytest.raises(LockoutStoreUnavailable):
            call("C-1001")
    with pytest.raises(LockoutStoreUnavailable):
        store.unlock("C-1001", "dana")
    with pytest.raises(LockoutStoreUnavailable):
        LockoutStore(f"sqlite:///{tmp_path / 'missing' / 'x.db'}", MAX, WINDOW, clock)
