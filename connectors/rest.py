"""The REST channel, the trusted-integration channel, with every request checked
before Rasa sees it.

Rasa's own RestInput reads `request.json` without checks, lets the client name any
`input_channel` and any sender, and asks for no credential. Here:
- every message and every poll carries `Authorization: Bearer <JWT>` whose `sub` is
  the sender (connectors/rest_auth.py): 401 without, 403 with a wrong, expired or
  another sender's token; a sender id of another channel's form is refused (400);
- the body goes through the shared input guard (connectors/inbound.py): JSON depth
  checked before parsing, valid text only, and a typed "/command" is plain text
  unless it is a button the assistant just offered;
- rate limits per client address and per sender (credentials.yml `rate_limits`),
  429 with Retry-After;
- while the tracker store cannot read its database, 503 with Retry-After: the
  message is not processed (not on a new, empty conversation either);
- an optional `message_id` makes sending again safe: a message whose id the
  conversation already holds is not processed again, its stored replies are sent
  back (a client whose answer was lost to a failing process sends it again);
- the channel is always recorded as `rest`. The URL stays Rasa's:
  POST /webhooks/rest/webhook.

A REST client only hears back in the response to its own message, so what a person
at the agent desk writes while the assistant is paused is fetched with
GET /webhooks/rest/messages?sender=<id>&since=<unix time> (same credential): the
bot messages stored in the conversation after that time, each naming the agent who
wrote it, if any.
"""

import math
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from connectors.delivery import agent_stamp, ledger
from connectors.inbound import card_flag, clean_text, customer_text, load_json, valid_unicode
from connectors.options import offered_buttons
from connectors.ratelimit import RateLimits, client_address
from connectors.rest_auth import SECRET_ENV, check_sender, checked_secret, checked_sender
from connectors.settings import setting
from connectors.webhook import BadRequest, refusal, webhook_blueprint
from tracker_store.sql import unreachable

structlogger = structlog.get_logger()

DEFAULT_MAX_MESSAGE_CHARS = 5000
DEFAULT_MAX_BODY_BYTES = 64 * 1024
MAX_JSON_DEPTH = 8
# Per client address (an integration's server speaks for many customers) and per
# sender; polls have their own, as a client polls while it waits for an agent.
DEFAULT_RATE_LIMITS = {
    "client": "600/minute",
    "sender": "30/minute",
    "poll_client": "1200/minute",
    "poll_sender": "60/minute",
}

STORE_RETRY_AFTER_SECONDS = 2
MESSAGE_ID = re.compile(r"[A-Za-z0-9._:-]{1,100}")
REPLY_FIELDS = ("image", "buttons", "attachment", "custom")


@dataclass(frozen=True)
class RestMessage:
    """A checked request: who sent what, with which metadata."""

    sender: str
    text: str
    metadata: dict[str, Any] | None
    message_id: str | None = None


def parse_request(body: bytes, max_message_chars: int, max_body_bytes: int) -> RestMessage:
    """Check a raw request body; raise BadRequest saying what is wrong with it."""
    if len(body) > max_body_bytes:
        raise BadRequest(413, f"the body is larger than {max_body_bytes} bytes")
    payload = load_json(body, MAX_JSON_DEPTH)
    if not isinstance(payload, dict):
        raise BadRequest(400, "the body must be a JSON object with 'sender' and 'message'")
    text, metadata = payload.get("message"), payload.get("metadata")
    sender = checked_sender(payload.get("sender"))
    if not isinstance(text, str):
        raise BadRequest(400, "'message' must be a non-empty string")
    text = clean_text(text, max_message_chars)
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest(400, "'metadata' must be a JSON object")
    message_id = payload.get("message_id")
    if message_id is not None and not (
        isinstance(message_id, str) and MESSAGE_ID.fullmatch(message_id)
    ):
        raise BadRequest(400, "'message_id' must be 1 to 100 letters, digits or . _ : -")
    return RestMessage(sender, text, valid_unicode(metadata, "metadata"), message_id)


def replies_to(
    tracker: DialogueStateTracker | None, message_id: str | None
) -> list[dict[str, Any]] | None:
    """The assistant's replies to the message of this id, as the channel sent them,
    or None when the conversation does not hold it."""
    if tracker is None or message_id is None:
        return None
    events = list(tracker.events)
    for index, event in enumerate(events):
        if isinstance(event, UserUttered) and event.message_id == message_id:
            replies = []
            for later in events[index + 1 :]:
                if isinstance(later, UserUttered):
                    break
                if isinstance(later, BotUttered):
                    fields = {"text": later.text, **{k: later.data.get(k) for k in REPLY_FIELDS}}
                    replies.append(
                        {
                            "recipient_id": tracker.sender_id,
                            **{k: v for k, v in fields.items() if v is not None},
                        }
                    )
            return replies
    return None


def parse_poll(args: Mapping[str, str]) -> tuple[str, float]:
    """Check a poll's query (each parameter's first value, as Sanic's args.get
    gives it); raise BadRequest saying what is wrong with it."""
    sender, since = checked_sender(args.get("sender") or ""), args.get("since") or "0"
    try:
        moment = float(since)
    except ValueError:
        raise BadRequest(400, "'since' must be a unix timestamp in seconds") from None
    if not math.isfinite(moment) or moment < 0:
        raise BadRequest(400, "'since' must be a unix timestamp in seconds")
    return sender, moment


def messages_since(tracker: DialogueStateTracker | None, since: float) -> dict[str, Any]:
    """The bot messages of the conversation after `since`, and whether a person has it."""
    if tracker is None:
        return {"paused": False, "messages": []}
    messages = [
        {
            "recipient_id": tracker.sender_id,
            "text": event.text,
            **event.data,
            "timestamp": event.timestamp,
            "agent": (event.metadata or {}).get("agent"),
        }
        for event in tracker.events
        if isinstance(event, BotUttered) and event.timestamp > since
    ]
    return {"paused": tracker.is_paused(), "messages": messages}


class RestInput(InputChannel):
    """POST {"sender": ..., "message": ..., "metadata": {...}} and get the replies."""

    def __init__(
        self,
        jwt_secret: str | None,
        rate_limits: RateLimits,
        max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        if max_message_chars < 1 or max_body_bytes < 1:
            raise ValueError("max_message_chars and max_body_bytes must be positive")
        self.jwt_secret = jwt_secret
        self.rate_limits = rate_limits
        self.max_message_chars = max_message_chars
        self.max_body_bytes = max_body_bytes

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        secret = setting(credentials, "jwt_secret", SECRET_ENV)
        return cls(
            checked_secret(secret) if secret else None,
            RateLimits.from_credentials(cls.name(), credentials, DEFAULT_RATE_LIMITS),
            int(credentials.get("max_message_chars", DEFAULT_MAX_MESSAGE_CHARS)),
            int(credentials.get("max_body_bytes", DEFAULT_MAX_BODY_BYTES)),
        )

    def authorize(self, request: Request, sender: str) -> None:
        """The request's token must be the sender's (401/403), and the sender within
        its limit; 503 while no secret is configured."""
        if not self.jwt_secret:
            raise BadRequest(503, f"the REST channel is not configured: {SECRET_ENV} is unset")
        check_sender(request.headers, self.jwt_secret, sender)

    async def conversation(self, request: Request, sender: str) -> DialogueStateTracker | None:
        """The sender's conversation as stored; 503 with Retry-After while the store
        cannot read it (Rasa would start the message on a new, empty one)."""
        store = request.app.ctx.agent.tracker_store
        tracker = await store.retrieve(sender)
        if unreachable(store):
            raise BadRequest(
                503,
                "the conversation store is unavailable; send the message again",
                headers={"Retry-After": str(STORE_RETRY_AFTER_SECONDS)},
            )
        return tracker

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def receive(request: Request) -> HTTPResponse:
            self.rate_limits.check(client=client_address(request))
            message = parse_request(
                request.body or b"", self.max_message_chars, self.max_body_bytes
            )
            self.authorize(request, message.sender)
            self.rate_limits.check(sender=message.sender)
            tracker = await self.conversation(request, message.sender)
            answered = replies_to(tracker, message.message_id)
            if answered is not None:  # sent again: not processed twice
                return response.json(answered)
            offered = [str(button.get("payload")) for button in offered_buttons(tracker)]
            text = customer_text(message.text, offered)
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(
                        text,
                        collector,
                        message.sender,
                        input_channel=self.name(),
                        message_id=message.message_id,
                        metadata={**(message.metadata or {}), **card_flag(text)} or None,
                    )
                )
            except Exception:  # the customer still gets what was said so far
                structlogger.exception("rest.message.failure", sender=message.sender)
            return response.json(collector.messages)

        webhook = webhook_blueprint("switchboard_rest_webhook", receive)

        @webhook.route("/messages", methods=["GET"])
        async def poll(request: Request) -> HTTPResponse:
            try:
                self.rate_limits.check(poll_client=client_address(request))
                sender, since = parse_poll(request.args)
                self.authorize(request, sender)
                self.rate_limits.check(poll_sender=sender)
            except BadRequest as error:
                return refusal(error)
            tracker = await request.app.ctx.agent.tracker_store.retrieve(sender)
            found = messages_since(tracker, since)
            # What the client fetched has reached the customer (connectors/delivery.py).
            await ledger().delivered_all(sender, filter(None, map(agent_stamp, found["messages"])))
            return response.json(found)

        return webhook
