"""The outbox: writes kept in SQL until the backend takes them, retried with back-off,
refused ones kept but never resent, pending ones found again after a restart."""

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from actions.backend_client import BackendRejected, BackendUnavailable, CircuitOpen
from actions.outbox import (
    Outbox,
    OutboxUnavailable,
    backoff_seconds,
    deliver_due,
    deliver_forever,
    wake,
)

NOTE = {
    "conversation_id": "web-1",
    "channel": "rest",
    "kind": "handoff",
    "summary": "Customer at 12 Mill Lane, jo@example.com wants a person.",
    "customer_id": "C-1002",
}


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class Backend:
    """A deliverer that fails with the scripted errors, then takes every write."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.received: list[dict[str, Any]] = []

    def __call__(self, payload: dict[str, Any], request_id: str) -> dict[str, Any]:
        if self.failures:
            raise self.failures.pop(0)
        self.received.append({**payload, "request_id": request_id})
        return {"id": "INT-000001"}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'assistant.db'}"


def deliver(box: Outbox, backend: Backend) -> int:
    return asyncio.run(deliver_due(box, {"interaction": backend}))


def test_a_write_is_delivered_once_with_its_id_as_request_id(url, clock):
    box = Outbox(url, clock=clock)
    entry_id = box.add("interaction", NOTE)
    backend = Backend()
    assert deliver(box, backend) == 1
    assert backend.received == [{**NOTE, "request_id": entry_id}]
    assert box.pending() == 0 and deliver(box, backend) == 0


def test_an_unreachable_backend_is_retried_with_exponential_back_off(url, clock):
    box = Outbox(url, max_backoff=5.0, clock=clock)
    box.add("interaction", NOTE)
    backend = Backend(*[BackendUnavailable("down")] * 4, CircuitOpen("cooling off"))
    waits = []
    for _ in range(5):
        assert deliver(box, backend) == 0
        waits.append(box.due() == [])
        clock.now += 0.5
        assert deliver(box, backend) == 0  # not due yet: nothing sent
        clock.now += backoff_seconds(len(waits), 5.0)
    assert waits == [True] * 5
    assert deliver(box, backend) == 1 and len(backend.received) == 1
    assert [backoff_seconds(n, 5.0) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_pending_writes_survive_a_restart(url, clock):
    first = Outbox(url, clock=clock)
    entry_id = first.add("interaction", NOTE)
    deliver(first, Backend(BackendUnavailable("down")))
    first.engine.dispose()
    clock.now += 10
    restarted = Outbox(url, clock=clock)
    assert restarted.pending() == 1
    backend = Backend()
    assert deliver(restarted, backend) == 1
    assert backend.received[0]["request_id"] == entry_id


def test_a_refused_write_is_kept_and_never_resent(url, clock):
    box = Outbox(url, clock=clock)
    box.add("interaction", NOTE)
    backend = Backend(BackendRejected("HTTP 422"))
    assert deliver(box, backend) == 0
    clock.now += 10_000
    assert box.due() == [] and box.pending() == 0
    assert deliver(box, backend) == 0 and backend.received == []
    with box.engine.connect() as db:
        assert (
            db.exec_driver_sql("SELECT last_error FROM crm_outbox").scalar_one()
            == "BackendRejected"
        )


def test_one_failing_write_does_not_hold_up_the_others_of_another_kind(url, clock):
    box = Outbox(url, clock=clock)
    box.add("unknown", {"x": 1})
    box.add("interaction", NOTE)
    backend = Backend()
    assert deliver(box, backend) == 1 and len(backend.received) == 1


def test_logs_name_the_entry_never_what_it_carries(url, clock, caplog):
    box = Outbox(url, clock=clock)
    box.add("interaction", NOTE)
    with caplog.at_level(logging.INFO, logger="actions.outbox"):
        deliver(box, Backend(BackendUnavailable("down")))
        clock.now += 60
        deliver(box, Backend())
    logged = caplog.text
    assert "outbox-" in logged and "delivered" in logged
    for private in ("Mill Lane", "jo@example.com", "C-1002", "web-1", "person"):
        assert private not in logged


def test_the_worker_delivers_what_is_added_while_it_runs(url):
    box = Outbox(url)
    backend = Backend(BackendUnavailable("down"))

    async def run() -> None:
        worker = asyncio.create_task(deliver_forever(box, 0.05, {"interaction": backend}))
        await asyncio.sleep(0.1)
        box.add("interaction", NOTE)
        for _ in range(100):  # the first attempt fails; the retry comes 1 s later
            await asyncio.sleep(0.05)
            if backend.received:
                break
        worker.cancel()

    asyncio.run(run())
    assert len(backend.received) == 1 and box.pending() == 0


def test_an_unusable_database_is_named_at_start(tmp_path):
    with pytest.raises(OutboxUnavailable):
        Outbox(f"sqlite:///{tmp_path / 'missing' / 'dir' / 'x.db'}")


def test_a_woken_worker_delivers_at_once_not_at_its_next_poll(url):
    box = Outbox(url)
    backend = Backend()

    async def run() -> float:
        worker = asyncio.create_task(deliver_forever(box, 30.0, {"interaction": backend}))
        await asyncio.sleep(0.1)  # the worker has looked and waits 30 s
        box.add("interaction", NOTE)
        started = asyncio.get_running_loop().time()
        wake()
        while not backend.received:
            await asyncio.sleep(0.01)
        worker.cancel()
        return asyncio.get_running_loop().time() - started

    assert asyncio.run(run()) < 1.0


def test_an_unexpected_failure_keeps_the_write_for_a_later_attempt(url, clock, caplog):
    box = Outbox(url, clock=clock)
    box.add("interaction", NOTE)
    backend = Backend(KeyError("summary of Mill Lane"))
    with caplog.at_level(logging.INFO, logger="actions.outbox"):
        assert deliver(box, backend) == 0
    assert box.pending() == 1 and "KeyError" in caplog.text and "Mill Lane" not in caplog.text
    clock.now += 1
    assert deliver(box, backend) == 1
