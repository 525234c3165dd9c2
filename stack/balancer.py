"""HAProxy in front of the scaled profile's Rasa processes and action servers: its
configuration (written per start, every replica on loopback) and its runtime API (which
servers are up; take one out of rotation and back, as `make bench-load` does to measure
1, 2 and N processes on one running stack)."""

import shutil
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from stack.config import StackConfig

MAX_BODY_BYTES = 1024 * 1024
# Engine.IO's polling requests of one web chat session must reach the process holding
# it: a cookie names the replica (its websocket needs no more than its first request).
WEBCHAT_COOKIE = "switchboard_replica"
# HAProxy's own answer when no process answered: no process up (503), one that died
# mid-turn (502) or did not answer in time (504). A 503 with Retry-After, which channels
# send again: the REST channel's message_id, the WhatsApp channel's message SID keep a
# message sent again from being processed twice.
RETRY_LATER = (
    "HTTP/1.1 503 Service Unavailable\r\n"
    "Content-Type: application/json\r\n"
    "Retry-After: 2\r\n"
    "Cache-Control: no-cache\r\n"
    "Connection: close\r\n"
    "\r\n"
    '{"error": "no assistant process could answer now; send the message again"}\n'
)
TEMPLATE = """\
# Written by stack/balancer.py for this start of `make run-scaled`; not edited by hand.
global
    maxconn 4096
    stats socket {socket} mode 600 level admin

defaults
    mode http
    option forwardfor
    timeout connect 5s
    timeout client 60s
    # Longer than Rasa's conversation lock (60 s): a message queued behind the lock of a
    # process killed mid-turn, or behind a save outlasting a database restart, is
    # answered late, not with a 504.
    timeout server 90s
    # A turn that hits a process going down is not retried once sent: a message must
    # not be processed twice. A connection the process refused (killed, restarting)
    # never reached it: that one goes to another process.
    retries 2
    retry-on conn-failure
    option redispatch 1
    # No process answered (see RETRY_LATER): a 503 a channel may retry, saying when.
    errorfile 502 {retry_later}
    errorfile 503 {retry_later}
    errorfile 504 {retry_later}
    # A process busy with a queue of turns answers its health check late, not never:
    # only three checks unanswered for 10 s each take it out (a 1 s check timeout took
    # the only process out under bench-load and answered 503).
    timeout check 10s
    default-server inter 1s rise 1 fall 3

frontend monitor
    bind {host}:{monitor_port}
    monitor-uri /health

# Channel webhooks and the web chat: Rasa's public listeners.
frontend public
    bind {public_host}:{public_port}
    http-request deny deny_status 413 if {{ req.hdr_val(content-length) gt {max_body} }}
    use_backend rasa_webchat if {{ path_beg /socket.io/ }}
    default_backend rasa_public

# Rasa's HTTP API and the desk's endpoint: the internal listeners.
frontend rasa_internal
    bind {host}:{internal_port}
    default_backend rasa_internal

frontend actions
    bind {host}:{action_port}
    default_backend actions

# Any process may take any message: Rasa's RedisLockStore serialises one conversation's
# messages across processes.
backend rasa_public
    balance leastconn
    option httpchk GET /
{public_servers}

backend rasa_webchat
    balance leastconn
    cookie {cookie} insert indirect nocache httponly
    option httpchk GET /
{webchat_servers}

backend rasa_internal
    balance leastconn
    option httpchk GET /
{internal_servers}

backend actions
    balance leastconn
    option httpchk GET /health
{action_servers}
"""


@dataclass(frozen=True)
class Balancer:
    """Where HAProxy listens for its own health and its runtime API."""

    config_path: Path
    socket_path: Path
    monitor_port: int

    @property
    def retry_later_path(self) -> Path:
        return self.config_path.with_name("retry-later.http")

    def argv(self) -> list[str]:
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        return [haproxy, "-f", str(self.config_path), "-db"]

    def write(
        self, balanced: StackConfig, rasas: Sequence[StackConfig], action_ports: Sequence[int]
    ) -> None:
        """The configuration: balanced's ports are the balancer's, rasas the processes'."""
        self.retry_later_path.write_text(RETRY_LATER)

        def servers(port: str, check_port: bool = False, cookie: bool = False) -> str:
            lines = []
            for index, rasa in enumerate(rasas, 1):
                line = f"    server rasa-{index} {rasa.host}:{getattr(rasa, port)} check"
                if check_port:
                    line += f" port {rasa.rasa_internal_port}"
                if cookie:
                    line += f" cookie rasa-{index}"
                lines.append(line)
            return "\n".join(lines)

        self.config_path.write_text(
            TEMPLATE.format(
                socket=self.socket_path,
                host=balanced.host,
                public_host=balanced.public_host,
                monitor_port=self.monitor_port,
                public_port=balanced.rasa_port,
                internal_port=balanced.rasa_internal_port,
                action_port=balanced.action_port,
                max_body=MAX_BODY_BYTES,
                cookie=WEBCHAT_COOKIE,
                retry_later=self.retry_later_path,
                public_servers=servers("rasa_port", check_port=True),
                webchat_servers=servers("rasa_port", check_port=True, cookie=True),
                internal_servers=servers("rasa_internal_port"),
                action_servers="\n".join(
                    f"    server actions-{i} {balanced.host}:{port} check"
                    for i, port in enumerate(action_ports, 1)
                ),
            )
        )

    def command(self, line: str) -> str:
        """One command on HAProxy's runtime API, and its answer."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(str(self.socket_path))
            sock.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def status(self) -> dict[str, str]:
        """Each server's state, as 'backend/server' → 'UP', 'DOWN', 'MAINT', …"""
        rows = self.command("show stat").splitlines()
        header = rows[0].lstrip("# ").split(",")
        states = {}
        for row in rows[1:]:
            fields = dict(zip(header, row.split(","), strict=False))
            if fields.get("svname") not in (None, "", "FRONTEND", "BACKEND"):
                states[f"{fields['pxname']}/{fields['svname']}"] = fields["status"]
        return states

    def all_up(self) -> bool:
        return all(state == "UP" for state in self.status().values())

    def rotate(self, processes: int) -> None:
        """Only the first `processes` Rasa processes take channel traffic; the others
        stay up, out of rotation."""
        for name in self.status():
            backend, server = name.split("/")
            if backend in ("rasa_public", "rasa_webchat"):
                index = int(server.removeprefix("rasa-"))
                verb = "enable" if index <= processes else "disable"
                self.command(f"{verb} server {name}")
