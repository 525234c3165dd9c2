"""Start services as process groups and wait until they are ready.

Readiness is polled on an HTTP endpoint, never assumed after a fixed sleep; a
service that exits early is reported at once with the tail of its log. Used by
`make run` and by the tests, so both start the stack the same way.
"""

import os
import random
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOG_TAIL = 4000


# Below the kernel's ephemeral range: a port from that range that is free now can become
# the local end of any outgoing connection (a Rasa process connecting to PostgreSQL) before
# the service meant for it binds it (seen: HAProxy refused to start, address in use).
EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST_PORT = 10000
_handed_out: set[int] = set()


def _below_ephemeral() -> int:
    try:
        low = int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0
    return low if low > LOWEST_PORT + 1000 else 0


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now, outside
    the ephemeral range when the kernel says where that is, and never one this process
    handed out before."""
    ceiling = _below_ephemeral()
    for _ in range(200):
        with socket.socket() as sock:
            wanted = random.randrange(LOWEST_PORT, ceiling) if ceiling else 0
            try:
                sock.bind(("127.0.0.1", wanted))
            except OSError:
                continue
            port = int(sock.getsockname()[1])
        if port not in _handed_out:
            _handed_out.add(port)
            return port
    raise RuntimeError("no free TCP port on the loopback interface")


def http_ok(url: str, timeout: float = 2.0) -> bool:
    """True when a GET of url answers 2xx."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


@dataclass
class Service:
    """A running service started by start_service."""

    name: str
    process: subprocess.Popen
    url: str
    log_path: Path
    # What stops it cleanly (PostgreSQL's fast shutdown is SIGINT: its SIGTERM waits for
    # every client to leave).
    stop_signal: int = signal.SIGTERM

    def log_tail(self) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return text[-LOG_TAIL:]

    def stop(self, timeout: float = 20.0) -> None:
        """Stop the service and every process it started (it leads its own group)."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, self.stop_signal)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout)


# Secrets each service is handed by name (stack/config.py): never inherited from the
# environment the stack was started in, so a service holds only its own.
SCOPED_SECRETS = frozenset(
    {
        "RASA_API_TOKEN",
        "ACTION_SERVER_TOKEN",
        "DESK_INTEGRATION_TOKEN",
        "IDENTITY_ADMIN_TOKEN",
        "MEMORY_API_TOKEN",
        "ANALYTICS_API_TOKEN",
        "OUTREACH_API_TOKEN",
        "OUTREACH_READ_TOKEN",
        "BACKEND_LIST_TOKEN",
        "SWITCHBOARD_DESK_RASA_SECRET",
        "SWITCHBOARD_REST_JWT_SECRET",
        "SWITCHBOARD_WEBCHAT_SECRET",
        "DESK_ADMIN_PASSWORD",
        "SWITCHBOARD_INTEGRATION_SECRET",
        "CCAAS_WEBHOOK_SECRET",
        "MEMORY_EVENT_SECRETS",
        "BACKEND_ADMIN_TOKEN",
        "TWILIO_AUTH_TOKEN",
        "SWITCHBOARD_SMTP_PASSWORD",
        "SWITCHBOARD_EMAIL_SECRET",
    }
)


def inherited(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment a service inherits: everything but the scoped secrets."""
    return {key: value for key, value in environ.items() if key not in SCOPED_SECRETS}


def spawn(
    name: str, argv: Sequence[str], url: str, log_dir: Path, env: Mapping[str, str] | None = None
) -> Service:
    """Run argv from the project root as the leader of its own process group,
    appending its output to log_dir/<name>.log. It inherits the environment but the
    scoped secrets, and gets env (its own secrets among them) on top."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    with open(log_path, "ab") as log:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            list(argv),
            cwd=ROOT,
            env={**inherited(os.environ), **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Service(name, process, url, log_path)


def wait_ready(service: Service, ready_url: str, timeout: float = 180.0) -> Service:
    """The service once ready_url answers 2xx; RuntimeError with its log's tail when
    it exits first (or is stopped meanwhile) or is not ready in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(
                f"{service.name} exited with {service.process.returncode}:\n{service.log_tail()}"
            )
        if http_ok(ready_url):
            return service
        time.sleep(0.25)
    service.stop()
    raise RuntimeError(f"{service.name} not ready after {timeout:.0f} s:\n{service.log_tail()}")


def start_service(
    name: str,
    argv: Sequence[str],
    ready_url: str,
    url: str,
    log_dir: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 180.0,
) -> Service:
    """Run argv from the project root and return once ready_url answers 2xx."""
    return wait_ready(spawn(name, argv, url, log_dir, env), ready_url, timeout)
