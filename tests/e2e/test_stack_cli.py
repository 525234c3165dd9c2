"""`python -m stack run` (what `make run` calls): it says when it is ready and
Ctrl-C stops every service it started, leaving no process behind."""

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import List

from stack.processes import ROOT, free_port, http_ok

READY_LINE = "Switchboard is ready."


def children_of(pid: int) -> List[int]:
    """Direct children of a process, from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").exists() and " Z " not in Path(
        f"/proc/{pid}/stat").read_text()


def test_ctrl_c_stops_every_service(tmp_path: Path) -> None:
    ports = {name: free_port() for name in ("RASA_PORT", "RASA_INTERNAL_PORT",
                                            "ACTION_SERVER_PORT", "BACKEND_PORT", "DESK_PORT")}
    env = {**os.environ, **{k: str(v) for k, v in ports.items()},
           "TRACKER_STORE_URL": f"sqlite:///{tmp_path / 'tracker.db'}",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'backend.db'}",
           "DESK_DATABASE_URL": f"sqlite:///{tmp_path / 'desk.db'}",
           "RASA_API_TOKEN": "cli-test-token",
           "SWITCHBOARD_LOG_DIR": str(tmp_path / "log")}
    stack = subprocess.Popen([sys.executable, "-m", "stack", "run"], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        output = []
        for line in stack.stdout:  # type: ignore[union-attr]
            output.append(line)
            if READY_LINE in line:
                break
        assert READY_LINE in "".join(output), "".join(output)
        services = children_of(stack.pid)
        assert len(services) == 4
        assert http_ok(f"http://127.0.0.1:{ports['RASA_PORT']}/webhooks/rest/")
        assert http_ok(f"http://127.0.0.1:{ports['DESK_PORT']}/health")
        # Rasa's HTTP API is always on, only on the internal listener, and always
        # needs the token; the public listener serves the channels only.
        status = f"http://127.0.0.1:{ports['RASA_INTERNAL_PORT']}/status"
        assert http_ok(f"{status}?token=cli-test-token")
        assert not http_ok(status)
        assert not http_ok(f"http://127.0.0.1:{ports['RASA_PORT']}/status?token=cli-test-token")
        stack.send_signal(signal.SIGINT)
        assert stack.wait(timeout=60) == 0
    finally:
        if stack.poll() is None:
            stack.kill()
    assert not [pid for pid in services if alive(pid)]
    for port in ports.values():
        assert not http_ok(f"http://127.0.0.1:{port}/")
