"""`python -m stack run` starts the whole assistant; `python -m stack shell` talks to
it in the terminal; `python -m stack token <sender>` mints a REST channel credential
with SWITCHBOARD_REST_JWT_SECRET. Ctrl-C stops every service it started, children
included."""

import argparse
import os
import signal
import subprocess
import sys
import time

from connectors.rest_auth import SECRET_ENV, checked_sender, rest_token
from connectors.webhook import BadRequest
from stack.config import ConfigError, StackConfig, load_config
from stack.launch import (
    start_action_server, start_backend, start_desk, start_in_order, start_stack, stop_all,
)
from stack.processes import ROOT

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
DESK = "  Agent desk:      {desk}/  (agent token: {agent_token}; API at {desk}/docs)"


def run(config: StackConfig) -> int:
    print(f"Starting Switchboard (logs in {config.log_dir}) ...", flush=True)
    services = start_stack(config)
    try:
        token = rest_token(config.rest_jwt_secret, EXAMPLE_SENDER, TOKEN_HOURS * 3600)
        print(READY.format(rasa=config.rasa_url, backend=config.backend_url, token=token,
                           sender=EXAMPLE_SENDER, hours=TOKEN_HOURS,
                           actions=config.action_url,
                           desk_line=DESK.format(desk=config.desk_url,
                                                 agent_token=config.desk_agent_token)),
              flush=True)
        while all(service.process.poll() is None for service in services):
            time.sleep(0.5)
        stopped = next(s for s in services if s.process.poll() is not None)
        print(f"{stopped.name} stopped unexpectedly:\n{stopped.log_tail()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping ...", flush=True)
        return 0
    finally:
        stop_all(services)


def shell(config: StackConfig) -> int:
    services = start_in_order([start_backend, start_desk, start_action_server], config)
    print(DESK.format(desk=config.desk_url, agent_token=config.desk_agent_token), flush=True)
    try:
        return subprocess.call(config.rasa_argv("shell"), cwd=ROOT,
                               env={**os.environ, **config.rasa_env()})
    except KeyboardInterrupt:
        return 0
    finally:
        stop_all(services)


def token(sender: str) -> int:
    """Print a REST credential for sender, signed with the configured secret."""
    secret = os.environ.get(SECRET_ENV)
    if not secret:
        print(f"{SECRET_ENV} is not set: `make run` then makes a secret of its own and prints "
              f"a token for {EXAMPLE_SENDER}; set the variable for both to mint others.",
              file=sys.stderr)
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
    # SIGTERM (say, from a supervisor) stops the stack as cleanly as Ctrl-C, and
    # Ctrl-C works even where the shell started us with SIGINT ignored.
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, _interrupt)
    try:
        return run(config) if args.command == "run" else shell(config)
    except RuntimeError as error:  # a service that would not start, with its log
        print(error, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
