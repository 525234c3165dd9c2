"""`python -m stack run` (what `make run` calls) keeps the stack alive: each
service killed in turn during a live conversation comes back, the others keep
serving meanwhile, every turn the assistant acknowledged is stored, and SIGTERM
to the process group stops every service."""

import contextlib
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from common.minimise import WITHHELD
from stack.config import StackConfig, load_config
from stack.processes import ROOT, free_port, http_ok
from tests.e2e.test_stack_cli import READY_LINE, alive, children_of
from tests.support.stack import API_TOKEN, Conversation, Stack

# Long enough that a message sent right after a kill finds the service away.
BACKOFF_SECONDS = 5
RASA_BACK_TIMEOUT = 420
APOLOGY = "can't reach our systems"
SERVICES = {  # name in the supervisor's reports → the module each runs
    "backend": "backend",
    "desk": "desk",
    "memory": "memory",
    "analytics": "analytics",
    "outreach": "outreach",
    "action-server": "stack.action_server",
    "rasa": "stack.rasa_server",
}


class SupervisedStack:
    """`python -m stack run` as a process group of its own, its output read line by line."""

    def __init__(self, home: Path) -> None:
        ports = {
            name: str(free_port())
            for name in (
                "RASA_PORT",
                "RASA_INTERNAL_PORT",
                "ACTION_SERVER_PORT",
                "BACKEND_PORT",
                "DESK_PORT",
                "MEMORY_PORT",
                "ANALYTICS_PORT",
                "OUTREACH_PORT",
            )
        }
        self.env = {
            **os.environ,
            **ports,
            "TRACKER_STORE_URL": f"sqlite:///{home / 'tracker.db'}",
            "TRACKER_STORE_JOURNAL": str(home / "unsaved_turns.jsonl"),
            "DATABASE_URL": f"sqlite:///{home / 'backend.db'}",
            "DESK_DATABASE_URL": f"sqlite:///{home / 'desk.db'}",
            "CHANNEL_STATE_URL": f"sqlite:///{home / 'channels.db'}",
            "ASSISTANT_DATABASE_URL": f"sqlite:///{home / 'assistant.db'}",
            "MEMORY_DATABASE_URL": f"sqlite:///{home / 'memory.db'}",
            "EVENT_BROKER_URL": f"sqlite:///{home / 'events.db'}",
            "ANALYTICS_DATABASE_URL": f"sqlite:///{home / 'analytics.db'}",
            "OUTREACH_DATABASE_URL": f"sqlite:///{home / 'outreach.db'}",
            "DESK_ADMIN_PASSWORD": "supervisor-test-admin-password",
            # The REST credential the test's customers present (contract C1).
            "SWITCHBOARD_REST_JWT_SECRET": "supervisor-test-rest-secret-of-32-chars",
            "RASA_API_TOKEN": API_TOKEN,
            "SWITCHBOARD_RESTART_BACKOFF_SECONDS": str(BACKOFF_SECONDS),
            "SWITCHBOARD_LOG_DIR": str(home / "log"),
        }
        self.config: StackConfig = load_config(self.env)
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        self.seen_pids: set[int] = set()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "stack", "run"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:  # type: ignore[union-attr]
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.output):
            with contextlib.suppress(queue.Empty):
                self.output.append(self.lines.get(timeout=max(0.1, deadline - time.monotonic())))
            if time.monotonic() > deadline:
                pytest.fail(f"no {text!r} after {timeout:.0f} s:\n{''.join(self.output)}")

    def pids(self) -> dict[str, int]:
        """Each service's process, by the module it runs."""
        found = {}
        for pid in children_of(self.process.pid):
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            for name, module in SERVICES.items():
                if module.encode() in argv:
                    found[name] = pid
        self.seen_pids.update(found.values())
        return found

    def kill(self, name: str) -> int:
        pid = self.pids()[name]
        os.killpg(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(pid)
        return pid


@pytest.fixture(scope="module")
def supervised(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SupervisedStack]:
    running = SupervisedStack(tmp_path_factory.mktemp("supervised"))
    try:
        running.wait_for(READY_LINE, RASA_BACK_TIMEOUT)
        yield running
    finally:
        if running.process.poll() is None:
            os.killpg(running.process.pid, signal.SIGTERM)
            running.process.wait(120)


class Customer(Conversation):
    """A REST customer whose every acknowledged message is remembered."""

    def __init__(self, stack: Stack) -> None:
        super().__init__(stack)
        self.acknowledged: list[str] = []

    def say(self, text: str) -> str:
        reply = super().say(text)  # asserts the 200
        self.acknowledged.append(text)
        return reply


def test_each_killed_service_comes_back_and_no_acknowledged_turn_is_lost(
    supervised: SupervisedStack,
) -> None:
    stack = Stack(supervised.config)
    customer = Customer(stack)
    customer.say("hello")
    for name in ["backend", "desk", "memory", "analytics", "outreach", "action-server", "rasa"]:
        others = {n: pid for n, pid in supervised.pids().items() if n != name}
        killed = supervised.kill(name)
        if name != "rasa":  # nothing answers a customer without Rasa
            reply = customer.say("where is my order BW-100002")
            if name == "action-server":
                assert APOLOGY in reply  # an apology, not silence
        supervised.wait_for(f"{name} is back", RASA_BACK_TIMEOUT)
        now = supervised.pids()
        assert now[name] != killed and alive(now[name])
        assert {n: now[n] for n in others} == others  # the others kept running
        assert http_ok(f"{supervised.config.desk_url}/health")
        customer.say("thanks")
    assert supervised.process.poll() is None  # `make run` reported, it did not exit
    stored = [
        event["text"]
        for event in stack.tracker(customer.sender)["events"]
        if event["event"] == "user"
    ]
    # Every acknowledged turn, in order; one the verification form took as an answer is
    # stored withheld (common/minimise.py).
    pairs = zip(stored, customer.acknowledged, strict=True)  # as many as were acknowledged
    assert all(kept in (said, WITHHELD) for kept, said in pairs)


def test_sigterm_to_the_process_group_stops_every_service(supervised: SupervisedStack) -> None:
    supervised.pids()
    os.killpg(supervised.process.pid, signal.SIGTERM)
    assert supervised.process.wait(timeout=120) == 0
    assert not [pid for pid in supervised.seen_pids if alive(pid)]
    config = supervised.config
    for port in (
        config.rasa_port,
        config.rasa_internal_port,
        config.action_port,
        config.backend_port,
        config.desk_port,
        config.memory_port,
        config.analytics_port,
        config.outreach_port,
    ):
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
