"""The agents' way to see and lift a customer record's verification lock (contract C3).

    GET  /identity/lockouts/{customer_id}         → {"customer_id", "locked", "failures",
                                                     "locked_until"}
    POST /identity/lockouts/{customer_id}/unlock  {"by": "<agent username>"}
                                                  → {"customer_id", "locked": false}
    POST /identity/lockouts/{customer_id}/erase   (no body; an admin's erasure of the
                                                  customer, from the desk)
                                                  → {"removed": {table: rows}}

All need `Authorization: Bearer $IDENTITY_ADMIN_TOKEN`, a token only the action
server and the agent desk hold: Rasa's ACTION_SERVER_TOKEN cannot unlock, so a
leaked Rasa configuration cannot undo a lock. Each client address is rate-limited
(IDENTITY_ADMIN_RATE_LIMIT) before the token is checked; the unlock body is read
in chunks and refused past UNLOCK_BODY_LIMIT bytes, so nothing large is buffered.
"""

import asyncio
import hmac
import json
import re
from collections.abc import Callable
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions import lockout
from actions.records import CUSTOMER
from connectors.ratelimit import RateLimits
from connectors.webhook import BadRequest, refusal

BLUEPRINT = "identity_admin"
UNLOCK_BODY_LIMIT = 1024
# An agent's username: letters, digits and . _ @ + - (no spaces, no control characters).
AGENT_NAME = re.compile(r"[\w.@+-]{1,64}")


def _customer_id(raw: str) -> str:
    if CUSTOMER.normalize(raw) != raw:
        raise BadRequest(400, "customer_id must be a customer number such as C-1001")
    return raw


async def _small_body(request: Request) -> bytes:
    """The body, refused with 413 as soon as it grows past the limit."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > UNLOCK_BODY_LIMIT):
        raise BadRequest(413, f"body larger than {UNLOCK_BODY_LIMIT} bytes")
    stream = request.stream
    if stream is None:  # the route is declared with stream=True
        raise RuntimeError("the unlock route must be a streaming route")
    body = b""
    while True:
        chunk = await stream.read()
        if chunk is None:
            return body
        body += chunk
        if len(body) > UNLOCK_BODY_LIMIT:
            raise BadRequest(413, f"body larger than {UNLOCK_BODY_LIMIT} bytes")


def _unlocking_agent(body: bytes) -> str:
    try:
        parsed: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(400, 'body must be JSON: {"by": "<agent username>"}') from None
    by = parsed.get("by") if isinstance(parsed, dict) else None
    if not isinstance(by, str) or not AGENT_NAME.fullmatch(by):
        raise BadRequest(400, "by must be the agent's username (1-64 letters, digits, . _ @ + -)")
    return by


def identity_admin(admin_token: str, rate: str) -> Blueprint:
    """The blueprint; its requests are authenticated here, not with the action token."""
    blueprint = Blueprint(BLUEPRINT)
    expected = f"Bearer {admin_token}".encode()
    limits = RateLimits(BLUEPRINT, {"client": rate})

    def admitted(request: Request) -> None:
        """Counted against the client's rate first, so guessing the token is slow too."""
        limits.check(client=request.remote_addr or request.ip)
        given = (request.headers.get("Authorization") or "").encode()
        if not hmac.compare_digest(given, expected):
            raise BadRequest(401, "missing or wrong identity admin token")

    async def answer(
        call: Callable[..., lockout.LockoutStatus],
        *args: str,
        body: Callable[[lockout.LockoutStatus], Any],
    ) -> HTTPResponse:
        try:
            status = await asyncio.to_thread(call, *args)
        except lockout.LockoutStoreUnavailable:
            return response.json({"error": "the lockout store is unavailable"}, status=503)
        return response.json(body(status))

    @blueprint.get("/identity/lockouts/<customer_id:str>")
    async def lockout_status(request: Request, customer_id: str) -> HTTPResponse:
        try:
            admitted(request)
            checked = _customer_id(customer_id)
        except BadRequest as error:
            return refusal(error)
        return await answer(lockout.store().status, checked, body=lockout.LockoutStatus.as_json)

    @blueprint.post("/identity/lockouts/<customer_id:str>/unlock", stream=True)
    async def unlock(request: Request, customer_id: str) -> HTTPResponse:
        try:
            admitted(request)
            checked = _customer_id(customer_id)
            by = _unlocking_agent(await _small_body(request))
        except BadRequest as error:
            return refusal(error)
        return await answer(
            lockout.store().unlock,
            checked,
            by,
            body=lambda status: {"customer_id": status.customer_id, "locked": status.locked},
        )

    @blueprint.post("/identity/lockouts/<customer_id:str>/erase", stream=True)
    async def erase(request: Request, customer_id: str) -> HTTPResponse:
        try:
            admitted(request)
            checked = _customer_id(customer_id)
            if await _small_body(request):
                raise BadRequest(400, "the erase takes no body")
        except BadRequest as error:
            return refusal(error)
        try:
            removed = await asyncio.to_thread(lockout.store().erase, checked)
        except lockout.LockoutStoreUnavailable:
            return response.json({"error": "the lockout store is unavailable"}, status=503)
        return response.json({"removed": removed})

    return blueprint


def is_identity_admin(request: Request) -> bool:
    """True for a request routed to this blueprint (it checks its own token)."""
    route = request.route
    return route is not None and route.name.split(".")[1:2] == [BLUEPRINT]
