"""rasa-sdk's action server, hardened: `python -m stack.action_server [--host] [--port]`.

Stock `rasa run actions` listens on every interface, accepts calls from anyone
and answers an unexpected error with the request echoed back (conversation
data included). This one binds to the given host (loopback by default), refuses
any call without `Authorization: Bearer $ACTION_SERVER_TOKEN` except the health
probe, and answers errors with a bare message. Settings are validated before
it starts, so a wrong value stops it at once with the variable's name. It also
serves the agents' verification-lock endpoints (actions/lockout_api.py), which
take IDENTITY_ADMIN_TOKEN and never the action server token. After each action
of a verified conversation, the conversation's record goes to the customer memory
in the background (actions/memory_turns.py).
"""

import argparse
import asyncio
import hmac
import json
import logging
import os
import sys

from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from actions import lockout, memory_turns, outbox
from actions.backend_client import start_turn
from actions.lifecycle_config import LifecycleConfigError, lifecycle_config
from actions.lockout_api import identity_admin, is_identity_admin
from actions.satisfaction import satisfaction_config
from actions.settings import SettingsError, settings
from common.minimise import minimise_logs
from common.satisfaction import SatisfactionConfigError

logger = logging.getLogger("stack.action_server")
OPEN_PATHS = {"/health"}


def build_app(
    token: str, admin_token: str, admin_rate: str = "120/minute", turn_budget: float = 2.5
) -> Sanic:
    """The rasa-sdk app serving the `actions` package, behind a token check, with
    the identity-lock endpoints behind their own. Each request's backend calls
    share one deadline, `turn_budget` seconds from its arrival."""
    app = create_app("actions", cors_origins=None)
    app.blueprint(identity_admin(admin_token, admin_rate))
    expected = f"Bearer {token}".encode()

    @app.on_request
    async def authenticate(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS or is_identity_admin(request):
            return None
        given = (request.headers.get("Authorization") or "").encode()
        if not hmac.compare_digest(given, expected):
            return response.json({"error": "missing or wrong action server token"}, status=401)
        start_turn(turn_budget)
        return None

    @app.on_response
    async def into_memory(request: Request, answer: HTTPResponse) -> None:
        """After an action: the conversation's record to the memory, in the background."""
        if request.path == "/webhook" and answer.status == 200:
            try:
                memory_turns.remember(request.json, json.loads(answer.body or b"{}"))
            except ValueError:
                return

    @app.exception(Exception)
    async def without_echo(request: Request, exception: Exception) -> HTTPResponse:
        if isinstance(exception, SanicException) and exception.status_code < 500:
            return response.json({"error": str(exception)}, status=exception.status_code)
        logger.error("action server error on %s", request.path, exc_info=exception)
        return response.json({"error": "the action server failed; see its log"}, status=500)

    return app


def deliver_writes(app: Sanic, box: outbox.Outbox, poll_seconds: float) -> None:
    """Run the outbox's worker while the server runs: writes left pending by an
    earlier run are sent first."""
    worker: dict[str, asyncio.Task] = {}

    @app.after_server_start
    async def start_worker(app: Sanic, loop: asyncio.AbstractEventLoop) -> None:
        worker["task"] = loop.create_task(outbox.deliver_forever(box, poll_seconds))

    @app.before_server_stop
    async def stop_worker(app: Sanic, loop: asyncio.AbstractEventLoop) -> None:
        if "task" in worker:
            worker["task"].cancel()


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5055)
    args = parser.parse_args(argv)
    minimise_logs()
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    token = os.environ.get("ACTION_SERVER_TOKEN")
    if not token:
        print(
            "ACTION_SERVER_TOKEN is not set: the action server refuses to run open.",
            file=sys.stderr,
        )
        return 2
    admin_token = os.environ.get("IDENTITY_ADMIN_TOKEN")
    if not admin_token or admin_token == token:
        print(
            "IDENTITY_ADMIN_TOKEN must be set, and differ from ACTION_SERVER_TOKEN: "
            "the action server refuses to run without it.",
            file=sys.stderr,
        )
        return 2
    try:
        config = settings()
        lifecycle_config()
        satisfaction_config()
        lockout.store()
        outbox.store()
    except SettingsError as error:
        print(f"action server settings: {error}", file=sys.stderr)
        return 2
    except LifecycleConfigError as error:
        print(f"lifecycle.yml: {error}", file=sys.stderr)
        return 2
    except SatisfactionConfigError as error:
        print(str(error), file=sys.stderr)
        return 2
    except (lockout.LockoutStoreUnavailable, outbox.OutboxUnavailable) as error:
        print(f"action server: the assistant database cannot be opened ({error})", file=sys.stderr)
        return 2
    app = build_app(
        token, admin_token, config.identity_admin_rate_limit, config.backend_turn_budget
    )
    deliver_writes(app, outbox.store(), config.outbox_poll_seconds)
    logger.info("action server on http://%s:%d", args.host, args.port)
    app.run(host=args.host, port=args.port, workers=1, access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
