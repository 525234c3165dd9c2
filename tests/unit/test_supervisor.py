"""The supervisor on small real services (Python's http.server): a killed one is
started again after the backoff and reported, the others are left alone, and stop()
stops them all, one being restarted included."""

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from stack.launch import Launch
from stack.processes import free_port, http_ok
from stack.supervisor import Backoff, Supervisor

FAST = Backoff(initial_seconds=0.2, max_seconds=1.0, stable_seconds=60.0)


def web_server(name: str, log_dir: Path) -> Launch:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    return Launch(
        name,
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        f"{url}/",
        url,
        log_dir,
        timeout=30,
    )


def wait_until(condition, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_backoff_doubles_up_to_its_maximum() -> None:
    backoff = Backoff(initial_seconds=1, max_seconds=10)
    assert [backoff.delay(n) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]


def test_a_killed_service_is_restarted_and_reported(tmp_path: Path) -> None:
    reports: list[str] = []
    one, two = web_server("one", tmp_path), web_server("two", tmp_path)
    supervisor = Supervisor([one, two], reports.append, FAST)
    supervisor.start()
    try:
        supervisor.watch()
        first, other = supervisor.services["one"].process.pid, supervisor.services["two"]
        os.killpg(first, signal.SIGKILL)
        wait_until(lambda: "one is back (restart 1)" in reports)
        assert reports[0].startswith("one stopped unexpectedly (exit code -9); restarting in 0 s")
        assert supervisor.services["one"].process.pid != first and http_ok(one.ready_url)
        assert supervisor.services["two"] is other and other.process.poll() is None
    finally:
        supervisor.stop()
    assert all(s.process.poll() is not None for s in supervisor.services.values())
    assert not http_ok(one.ready_url) and not http_ok(two.ready_url)


def test_a_service_that_cannot_start_stops_the_start(tmp_path: Path) -> None:
    reports: list[str] = []
    failing = Launch(
        "failing",
        [sys.executable, "-c", "import sys; sys.exit(3)"],
        "http://127.0.0.1:1/",
        "http://127.0.0.1:1",
        tmp_path,
        timeout=5,
    )
    supervisor = Supervisor(
        [failing], reports.append, Backoff(initial_seconds=0.1, max_seconds=0.4)
    )
    with pytest.raises(RuntimeError, match="failing exited with 3"):
        supervisor.start()
    assert not reports  # nothing is restarted before the stack has started


def test_stop_during_a_restart_leaves_nothing_running(tmp_path: Path) -> None:
    reports: list[str] = []
    one = web_server("one", tmp_path)
    supervisor = Supervisor([one], reports.append, Backoff(initial_seconds=0.5))
    supervisor.start()
    supervisor.watch()
    os.killpg(supervisor.services["one"].process.pid, signal.SIGKILL)
    wait_until(lambda: bool(reports))
    supervisor.stop()  # while it waits to restart
    time.sleep(1.0)
    assert supervisor.services["one"].process.poll() is not None
    assert not http_ok(one.ready_url)
    assert not any("is back" in report for report in reports)
