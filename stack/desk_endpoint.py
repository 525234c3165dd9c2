"""The agent desk's thin door into Rasa: read a conversation's messages, append the
few events an agent's move needs, and nothing else.

Rasa's HTTP API token can replace the model, rewrite any tracker and run any
action; the desk only ever tells a customer what an agent wrote and resumes the
assistant. So the desk holds no API token but a secret (SWITCHBOARD_DESK_RASA_SECRET)
with which it signs short-lived JWTs (HS256, `scope` "conversation:read" or
"conversation:append", `sub` the conversation id, `exp` at most five minutes
ahead), and these routes, served
on Rasa's internal listener only, accept nothing else:

- `GET /internal/conversations/{id}/events` (read): the customer's and the
  assistant's messages (`user` and `bot` events: text, time, bot metadata; an
  agent's message with `delivery`: waiting, delivered, failed or not_sent);
- `POST /internal/conversations/{id}/events` (append): a JSON list of at most
  MAX_EVENTS `bot` messages, `resume` and `action_listen`; bot messages are sent on
  the customer's latest channel, as Rasa's own append with `output_channel=latest`;
- `DELETE /internal/conversations/{id}` (scope "conversation:erase", a customer's
  erasure, issue 17): a customer still in the conversation's session is told it has
  ended (`utter_details_erased`), then its events in the tracker store and what the
  channels keep of it go (stack/conversation_erasure.py); answers the rows removed
  per table (all 0 the second time) and `customer_told`.

Bodies over MAX_BODY_BYTES are refused before parsing, requests are rate-limited
per client address (before the token is checked) and per conversation, and every
refusal is a 4xx with `{"error": reason}`; Rasa not ready or its store failing is
503 with Retry-After.
"""

import logging
import os
import time
from collections.abc import Mapping
from typing import Any

import jwt
from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel
from rasa.server import update_conversation_with_events
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from connectors.delivery import agent_stamp, ledger, state_of
from connectors.inbound import clean_text, load_json
from connectors.ratelimit import RateLimitConfigError, RateLimits, client_address
from connectors.webhook import BadRequest, refusal
from stack.conversation_erasure import CannotErase, end_politely, erase_conversation

logger = logging.getLogger(__name__)

SECRET_ENV = "SWITCHBOARD_DESK_RASA_SECRET"
RATE_ENV = "SWITCHBOARD_DESK_RASA_RATE_LIMIT"
READ_SCOPE = "conversation:read"
APPEND_SCOPE = "conversation:append"
ERASE_SCOPE = "conversation:erase"
ALGORITHM = "HS256"
MIN_SECRET_CHARS = 32  # HS256 wants a key of at least 256 bits (RFC 7518 3.2)
MAX_TTL_SECONDS = 300
CLOCK_LEEWAY_SECONDS = 10
MAX_BODY_BYTES = 64 * 1024
MAX_EVENTS = 10
MAX_TEXT = 4000
DEFAULT_RATES = {"client": "1200/minute", "conversation": "120/minute"}
RETRY_AFTER_SECONDS = "5"
# What an agent's move may append, and the fields each event may carry.
ALLOWED_FIELDS = {
    "bot": {"event", "text", "metadata", "timestamp"},
    "resume": {"event", "timestamp"},
    "action": {"event", "name", "timestamp"},
}
ALLOWED_ACTIONS = {"action_listen"}


class DeskEndpointConfigError(ValueError):
    """A setting of the desk endpoint Rasa cannot start with; names the variable."""


def desk_secret(env: Mapping[str, str]) -> str | None:
    """The secret, or None (the endpoint then answers 503); too short stops the start."""
    secret = (env.get(SECRET_ENV) or "").strip() or None
    if secret is not None and len(secret) < MIN_SECRET_CHARS:
        raise DeskEndpointConfigError(
            f"{SECRET_ENV}: at least {MIN_SECRET_CHARS} characters are needed for HS256"
        )
    return secret


def rate_limits(env: Mapping[str, str]) -> RateLimits:
    """The endpoint's limits; the per-conversation rate from RATE_ENV, checked now."""
    rates = dict(DEFAULT_RATES)
    if env.get(RATE_ENV):
        rates["conversation"] = env[RATE_ENV]
    try:
        return RateLimits("desk-internal", rates)
    except RateLimitConfigError as error:
        raise DeskEndpointConfigError(f"{RATE_ENV}: {error}") from None


def check_token(request: Request, secret: str | None, scope: str, conversation_id: str) -> None:
    """BadRequest unless the request carries a valid, short-lived JWT for scope on
    this conversation (a leaked token opens one conversation for a minute, no more)."""
    if not secret:
        raise BadRequest(503, f"the desk endpoint is off: {SECRET_ENV} is not set")
    header = request.headers.get("Authorization") or ""
    if not header.startswith("Bearer "):
        raise BadRequest(401, "missing bearer token")
    try:
        claims = jwt.decode(
            header[len("Bearer ") :],
            secret,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "scope", "sub"]},
            leeway=CLOCK_LEEWAY_SECONDS,
        )
    except jwt.PyJWTError as error:
        raise BadRequest(401, f"invalid token ({error.__class__.__name__})") from None
    if claims.get("scope") != scope:
        raise BadRequest(403, f"the token's scope is not {scope}")
    if claims.get("sub") != conversation_id:
        raise BadRequest(403, "the token is for another conversation")
    if float(claims["exp"]) > time.time() + MAX_TTL_SECONDS + CLOCK_LEEWAY_SECONDS:
        raise BadRequest(403, f"the token lives longer than {MAX_TTL_SECONDS} s")


def checked_events(body: bytes) -> list[Event]:
    """The events an agent's move may append; BadRequest naming the first that is not."""
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
    raw = load_json(body)
    if not isinstance(raw, list) or not 0 < len(raw) <= MAX_EVENTS:
        raise BadRequest(400, f"expected a list of 1 to {MAX_EVENTS} events")
    events = []
    for index, item in enumerate(raw):
        name = item.get("event") if isinstance(item, dict) else None
        allowed = ALLOWED_FIELDS.get(name) if isinstance(name, str) else None
        if allowed is None:
            raise BadRequest(
                400, f"event {index}: only {', '.join(ALLOWED_FIELDS)} may be appended"
            )
        extra = set(item) - allowed
        if extra:
            raise BadRequest(400, f"event {index}: unexpected {', '.join(sorted(extra))}")
        if name == "action" and item.get("name") not in ALLOWED_ACTIONS:
            raise BadRequest(
                400, f"event {index}: only {', '.join(ALLOWED_ACTIONS)} may be appended"
            )
        if name == "bot":
            if not isinstance(item.get("text"), str):
                raise BadRequest(400, f"event {index}: 'text' must be a string")
            if not isinstance(item.get("metadata", {}), dict):
                raise BadRequest(400, f"event {index}: 'metadata' must be an object")
            item = {**item, "text": clean_text(item["text"], MAX_TEXT, "text")}
        event = Event.from_parameters(item)
        if event is None:
            raise BadRequest(400, f"event {index} is not a valid event")
        events.append(event)
    return events


def messages(
    tracker: DialogueStateTracker | None, deliveries: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """The conversation's user and bot messages, without parse data, slots or the
    metadata a customer's channel sent; an agent's message with its delivery state
    (connectors/delivery.py) when the states could be read."""
    found = []
    for event in tracker.events if tracker else []:
        data = event.as_dict()
        if data.get("event") == "user":
            found.append({key: data.get(key) for key in ("event", "text", "timestamp")})
        elif data.get("event") == "bot":
            message = {key: data.get(key) for key in ("event", "text", "timestamp", "metadata")}
            stamp = agent_stamp(
                {**(data.get("metadata") or {}), "timestamp": data.get("timestamp")}
            )
            if stamp is not None and deliveries is not None:
                message["delivery"] = state_of(deliveries, stamp)
            found.append(message)
    return found


async def delivery_states(conversation_id: str) -> Mapping[str, str] | None:
    """The agents' messages' outcomes, or None (shown without) when unreadable."""
    try:
        return await ledger().states(conversation_id)
    except Exception as error:  # the channels' database: the transcript matters more
        logger.error("desk read without delivery states: %s", type(error).__name__)
        return None


def latest_output_channel(request: Request, tracker: DialogueStateTracker) -> OutputChannel:
    """The output channel of the channel the customer last wrote on; messages for a
    channel without one (REST) are collected and dropped: its client polls."""
    latest = tracker.get_latest_input_channel()
    for channel in getattr(request.app.ctx, "input_channels", None) or []:
        if channel.name() == latest:
            output = channel.get_output_channel()
            if output is not None:
                return output
    return CollectingOutputChannel()


def blueprint(env: Mapping[str, str] = os.environ) -> Blueprint:
    """The routes, with the secret and limits read (and checked) now."""
    secret = desk_secret(env)
    limits = rate_limits(env)
    routes = Blueprint("desk_internal", url_prefix="/internal/conversations")

    def admit(request: Request, conversation_id: str, scope: str) -> Any:
        limits.check(client=client_address(request))
        check_token(request, secret, scope, conversation_id)
        limits.check(conversation=conversation_id)
        agent = getattr(request.app.ctx, "agent", None)
        if agent is None or not agent.is_ready():
            raise BadRequest(
                503,
                "the assistant is starting; try again shortly",
                headers={"Retry-After": RETRY_AFTER_SECONDS},
            )
        return agent

    @routes.get("/<conversation_id:str>/events")
    async def read(request: Request, conversation_id: str) -> HTTPResponse:
        try:
            agent = admit(request, conversation_id, READ_SCOPE)
            tracker = await agent.tracker_store.retrieve_full_tracker(conversation_id)
        except BadRequest as error:
            return refusal(error)
        except Exception:  # the tracker store failing: say so, keep the details in the log
            logger.exception("desk read of a conversation failed")
            return unavailable()
        return response.json(
            {
                "conversation_id": conversation_id,
                "paused": bool(tracker and tracker.is_paused()),
                "events": messages(tracker, await delivery_states(conversation_id)),
            }
        )

    @routes.post("/<conversation_id:str>/events")
    async def append(request: Request, conversation_id: str) -> HTTPResponse:
        try:
            agent = admit(request, conversation_id, APPEND_SCOPE)
            events = checked_events(request.body or b"")
        except BadRequest as error:
            return refusal(error)
        try:
            async with agent.lock_store.lock(conversation_id):
                tracker = await update_conversation_with_events(
                    conversation_id, agent.processor, agent.domain, events
                )
                await agent.processor.execute_side_effects(
                    events, tracker, latest_output_channel(request, tracker)
                )
                await agent.tracker_store.save(tracker)
        except Exception:
            logger.exception("desk append to a conversation failed")
            return unavailable()
        logger.info("desk appended %s", ", ".join(type(event).__name__ for event in events))
        return response.json({"conversation_id": conversation_id, "appended": len(events)})

    @routes.delete("/<conversation_id:str>")
    async def erase(request: Request, conversation_id: str) -> HTTPResponse:
        try:
            agent = admit(request, conversation_id, ERASE_SCOPE)
        except BadRequest as error:
            return refusal(error)
        try:
            async with agent.lock_store.lock(conversation_id):
                tracker = await agent.tracker_store.retrieve(conversation_id)
                told = tracker is not None and await end_politely(
                    agent.processor, tracker, latest_output_channel(request, tracker)
                )
                removed = await erase_conversation(agent.tracker_store, conversation_id)
        except CannotErase as error:
            return response.json({"error": str(error)}, status=501)
        except Exception:
            logger.exception("desk erasure of a conversation failed")
            return unavailable()
        logger.info("conversation erased: %s", " ".join(f"{k}={v}" for k, v in removed.items()))
        return response.json(
            {"conversation_id": conversation_id, "removed": removed, "customer_told": told}
        )

    return routes


def unavailable() -> HTTPResponse:
    return response.json(
        {"error": "the conversation store is not answering; try again"},
        status=503,
        headers={"Retry-After": RETRY_AFTER_SECONDS},
    )
