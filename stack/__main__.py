"""`python -m stack run` starts the whole assistant and keeps it running (a service
that stops is restarted, with backoff, and the restart reported); `python -m stack
shell` talks to it in the terminal; `python -m stack token <sender>` mints a REST
channel credential with SWITCHBOARD_REST_JWT_SECRET. Ctrl-C or SIGTERM stops every
service it started, children included."""

import argparse
import os
import signal
import subprocess
import sys
import time
import warnings

from actions.lifecycle_config import LifecycleConfigError
from actions.lifecycle_config import load_config as load_lifecycle_config
from connectors.rest_auth import SECRET_ENV, checked_sender, rest_token
from connectors.webhook import BadRequest
from outreach.config import OutreachConfigError
from outreach.config import load_config as load_outreach_config
from stack.config import ConfigError, StackConfig, load_config
from stack.desk_admin import first_desk_admin
from stack.launch import (
    STACK,
    start_action_server,
    start_backend,
    start_desk,
    start_in_order,
    start_memory,
    start_outreach,
    stop_all,
)
from stack.preflight import check_channels
from stack.processes import ROOT
from stack.supervisor import Backoff, Supervisor

READY = """
Switchboard is ready.
  Talk to it:      TOKEN={token}
                   curl -s -X POST {rasa}/webhooks/rest/webhook \\
                     -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" \\
                     -d '{{"sender": "{sender}", "message": "where is my order BW-100002"}}'
                   (the token is {sender}'s for {hours} h; with SWITCHBOARD_REST_JWT_SECRET set,
                   `.venv/bin/python -m stack token <sender>` mints one for any sender)
  Web chat:        {rasa}/webhooks/socketio/chat
{desk_line}
  Sample backend:  {backend}/docs
  Action server:   {actions}/health
Press Ctrl-C to stop."""
EXAMPLE_SENDER = "customer-42"  # the README's
TOKEN_HOURS = 12
DESK = "  Agent desk:      {desk}/  (API at {desk}/docs)\n{admin}"


def desk_line(config: StackConfig) -> str:
    """Where the desk is and how to sign in: the first admin is created on the first
    start (with DESK_ADMIN_PASSWORD, or a generated password shown only then)."""
    said = first_desk_admin(config)
    if said is None:
        admin = (
            f"                   Sign in with your desk account (first admin: "
            f"{config.desk_admin_username}); more: python -m desk create-admin NAME"
        )
    else:
        admin = "\n".join(f"                   {line}" for line in said.splitlines())
        given = " with DESK_ADMIN_PASSWORD" if config.desk_admin_password else ""
        admin += (
            f"\n                   Sign in as {config.desk_admin_username}{given}; admins "
            "add agents at POST /api/accounts."
        )
    return DESK.format(desk=config.desk_url, admin=admin)


def channels_ready(config: StackConfig) -> bool:
    """Print each channel's readiness; False when a channel refuses its settings (Rasa
    would not start). What the deployer set, not the secrets the stack makes per start."""
    print("Channels:", flush=True)
    try:
        # Reading credentials.yml imports Rasa's helpers, whose libraries warn about
        # their own deprecations: noise in the middle of the report.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            readiness = check_channels({**os.environ, **config.extra_env})
    except ConfigError as error:
        print(f"configuration: {error}", file=sys.stderr)
        return False
    for channel in readiness:
        print(channel.line(), flush=True)
    refused = [channel.channel for channel in readiness if channel.refused]
    if refused:
        print(
            f"configuration: {', '.join(refused)} refuses its settings (see above); "
            "Rasa would not start",
            file=sys.stderr,
        )
    return not refused


def settings_accepted(config: StackConfig) -> bool:
    """The channels', outreach.yml's and lifecycle.yml's settings, checked before any
    service runs; False (each refusal printed) when one would not start."""
    if not channels_ready(config):
        return False
    try:  # outreach.yml is checked at start, before any service runs
        load_outreach_config()
    except OutreachConfigError as error:
        print(f"outreach.yml: {error}", file=sys.stderr)
        return False
    try:  # lifecycle.yml too: what the assistant may do alone
        load_lifecycle_config()
    except LifecycleConfigError as error:
        print(f"lifecycle.yml: {error}", file=sys.stderr)
        return False
    return True


def ready_text(config: StackConfig, desk: str) -> str:
    """What `make run` prints once everything answers: where to talk to it, a token."""
    token = rest_token(config.rest_jwt_secret, EXAMPLE_SENDER, TOKEN_HOURS * 3600)
    return READY.format(
        rasa=config.rasa_url,
        backend=config.backend_url,
        token=token,
        sender=EXAMPLE_SENDER,
        hours=TOKEN_HOURS,
        actions=config.action_url,
        desk_line=desk,
    )


def run(config: StackConfig) -> int:
    print(f"Starting Switchboard (logs in {config.log_dir}) ...", flush=True)
    if not settings_accepted(config):
        return 2
    desk = desk_line(config)
    supervisor = Supervisor(
        [launch(config) for launch in STACK],
        backoff=Backoff(initial_seconds=config.restart_backoff_seconds),
    )
    try:
        supervisor.start()
        print(ready_text(config, desk), flush=True)
        supervisor.watch()
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nStopping ...", flush=True)
        return 0
    finally:
        supervisor.stop()


def shell(config: StackConfig) -> int:
    desk = desk_line(config)
    services = start_in_order(
        [start_backend, start_desk, start_memory, start_outreach, start_action_server], config
    )
    print(desk, flush=True)
    try:
        return subprocess.call(
            config.rasa_argv("shell"), cwd=ROOT, env={**os.environ, **config.rasa_env()}
        )
    except KeyboardInterrupt:
        return 0
    finally:
        stop_all(services)


def token(sender: str) -> int:
    """Print a REST credential for sender, signed with the configured secret."""
    secret = os.environ.get(SECRET_ENV)
    if not secret:
        print(
            f"{SECRET_ENV} is not set: `make run` then makes a secret of its own and prints "
            f"a token for {EXAMPLE_SENDER}; set the variable for both to mint others.",
            file=sys.stderr,
        )
        return 2
    try:
        sender = checked_sender(sender)
    except BadRequest as error:
        print(error.reason, file=sys.stderr)
        return 2
    print(rest_token(secret, sender, TOKEN_HOURS * 3600))
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def stop_on_signals() -> None:
    """SIGTERM (say, from a supervisor) stops the stack as cleanly as Ctrl-C, and
    Ctrl-C works even where the shell started us with SIGINT ignored."""
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, _interrupt)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m stack", description=__doc__)
    parser.add_argument("command", choices=["run", "shell", "token"])
    parser.add_argument("sender", nargs="?", help="token: the sender id the token is for")
    args = parser.parse_args()
    if args.command == "token":
        return token(args.sender or EXAMPLE_SENDER)
    try:
        config = load_config()
    except ConfigError as error:
        print(f"configuration: {error}", file=sys.stderr)
        return 2
    if not config.model.exists():
        print(f"No trained model at {config.model}: run `make train` first.", file=sys.stderr)
        return 2
    stop_on_signals()
    try:
        return run(config) if args.command == "run" else shell(config)
    except RuntimeError as error:  # a service that would not start, with its log
        print(error, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
