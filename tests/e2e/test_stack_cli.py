"""`python -m stack run` (what `make run` calls): before it says it is ready it says
which channels are ready, not configured or misconfigured (without a secret's
value); Ctrl-C stops every service it started, leaving no process behind. One stack
start: the machine is shared."""

import os
import signal
import subprocess
import sys
from pathlib import Path

from stack.processes import ROOT, free_port, http_ok

READY_LINE = "Switchboard is ready."
SECRETS = {
    "SWITCHBOARD_REST_JWT_SECRET": "rest-jwt-secret-for-the-cli-test-0123456789",
    "TWILIO_AUTH_TOKEN": "0123456789abcdef0123456789abcdef",
    "TWILIO_ACCOUNT_SID": "AC" + "e" * 32,
    "SWITCHBOARD_EMAIL_SECRET": "email-secret-for-the-cli-test-0123456789",
}
# REST and voice ready, WhatsApp's sender malformed (a warning: the stack starts),
# e-mail without a relay; nothing inherited from the caller's environment.
CHANNELS = {
    **SECRETS,
    "TWILIO_WHATSAPP_NUMBER": "+14155238886",
    "SWITCHBOARD_PUBLIC_URL": "https://switchboard.example.com",
    "TWILIO_VOICE_AGENT_NUMBER": "",
    "SWITCHBOARD_SMTP_HOST": "",
    "SWITCHBOARD_SMTP_USER": "",
    "SWITCHBOARD_SMTP_PASSWORD": "",
    "SWITCHBOARD_EMAIL_FROM": "",
}
WIDGET = ROOT / "var" / "webchat" / "rasa-webchat.js"


def children_of(pid: int) -> list[int]:
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
    return Path(f"/proc/{pid}/stat").exists() and " Z " not in Path(f"/proc/{pid}/stat").read_text()


def check_channel_lines(output: str) -> None:
    """One line per channel, in the README's order, before the ready line."""
    lines = output.splitlines()
    start = lines.index("Channels:")
    assert lines[start + 1 : start + 6] == [
        "  REST:     ready (JWT secret from SWITCHBOARD_REST_JWT_SECRET)",
        "  WhatsApp: misconfigured (TWILIO_WHATSAPP_NUMBER is not 'whatsapp:+' and the "
        "number with its country code: Twilio refuses every reply)",
        "  Voice:    ready (TWILIO_VOICE_AGENT_NUMBER unset: calls are not put through to a "
        "person)",
        "  E-mail:   not configured (SWITCHBOARD_SMTP_HOST unset: replies cannot be sent)",
        "  Web chat: ready"
        if WIDGET.is_file()
        else "  Web chat: not configured (var/webchat/rasa-webchat.js missing: run `make webchat`)",
    ], output
    assert not [name for name, value in SECRETS.items() if value in output]


def test_ctrl_c_stops_every_service(tmp_path: Path) -> None:
    ports = {
        name: free_port()
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
    env = {
        **os.environ,
        **{k: str(v) for k, v in ports.items()},
        "TRACKER_STORE_URL": f"sqlite:///{tmp_path / 'tracker.db'}",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'backend.db'}",
        "DESK_DATABASE_URL": f"sqlite:///{tmp_path / 'desk.db'}",
        "CHANNEL_STATE_URL": f"sqlite:///{tmp_path / 'channels.db'}",
        "MEMORY_DATABASE_URL": f"sqlite:///{tmp_path / 'memory.db'}",
        "EVENT_BROKER_URL": f"sqlite:///{tmp_path / 'events.db'}",
        "ANALYTICS_DATABASE_URL": f"sqlite:///{tmp_path / 'analytics.db'}",
        "OUTREACH_DATABASE_URL": f"sqlite:///{tmp_path / 'outreach.db'}",
        "RASA_API_TOKEN": "cli-test-token",
        "SWITCHBOARD_LOG_DIR": str(tmp_path / "log"),
        **CHANNELS,
    }
    stack = subprocess.Popen(
        [sys.executable, "-m", "stack", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    services: list[int] = []
    try:
        output = []
        for line in stack.stdout:  # type: ignore[union-attr]
            output.append(line)
            if READY_LINE in line:
                break
        assert READY_LINE in "".join(output), "".join(output)
        check_channel_lines("".join(output))
        services = children_of(stack.pid)
        assert len(services) == 7
        assert http_ok(f"http://127.0.0.1:{ports['MEMORY_PORT']}/health")
        assert http_ok(f"http://127.0.0.1:{ports['ANALYTICS_PORT']}/health")
        assert http_ok(f"http://127.0.0.1:{ports['OUTREACH_PORT']}/health")
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
    except BaseException:
        # A failed assertion above must not leave the services running.
        for pid in services or children_of(stack.pid):
            if alive(pid):
                os.killpg(pid, signal.SIGKILL)
        raise
    finally:
        if stack.poll() is None:
            stack.kill()
    assert not [pid for pid in services if alive(pid)]
    for port in ports.values():
        assert not http_ok(f"http://127.0.0.1:{port}/")


def test_a_setting_a_channel_refuses_stops_the_start_before_any_service(tmp_path: Path) -> None:
    env = {
        **os.environ,
        **CHANNELS,
        "SWITCHBOARD_LOG_DIR": str(tmp_path / "log"),
        "RASA_PORT": str(free_port()),
        "RASA_INTERNAL_PORT": str(free_port()),
        "SWITCHBOARD_SMTP_HOST": "127.0.0.1",
        "SWITCHBOARD_SMTP_USER": "relay-user",
        "SWITCHBOARD_SMTP_PASSWORD": "smtp-password-for-the-cli-test",
    }
    done = subprocess.run(
        [sys.executable, "-m", "stack", "run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert (
        "  E-mail:   misconfigured (SWITCHBOARD_SMTP_USER/_PASSWORD need TLS: set "
        "SWITCHBOARD_SMTP_STARTTLS=true or use port 465)"
    ) in done.stdout.splitlines()
    assert "configuration: E-mail refuses its settings" in done.stderr
    assert READY_LINE not in done.stdout
    assert "smtp-password-for-the-cli-test" not in done.stdout + done.stderr
    assert not (tmp_path / "log").exists() or not list((tmp_path / "log").iterdir())
