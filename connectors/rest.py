"""The REST channel, with the request checked before Rasa sees it.

Rasa's own RestInput reads `request.json` without checks, so a body that is not
JSON, not UTF-8 or lacks `message` ends in a 500 or an empty reply; it also lets
the client name any `input_channel`. This one answers every bad request with a
4xx and a reason, bounds the message length, and always records the channel as
`rest`. The URL stays Rasa's: POST /webhooks/rest/webhook.

A REST client only hears back in the response to its own message, so what a person
at the agent desk writes while the assistant is paused is fetched with
GET /webhooks/rest/messages?sender=<id>&since=<unix time>: the bot messages stored
in the conversation after that time, each naming the agent who wrote it, if any.
"""

import json
import math
import re
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, Mapping, Optional, Text, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.events import BotUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
import structlog

from connectors.webhook import BadRequest, refusal, webhook_blueprint

structlogger = structlog.get_logger()

SENDER = re.compile(r"^[\w.:@+-]{1,128}$")
DEFAULT_MAX_MESSAGE_CHARS = 5000
DEFAULT_MAX_BODY_BYTES = 64 * 1024


@dataclass(frozen=True)
class RestMessage:
    """A checked request: who sent what, with which metadata."""

    sender: str
    text: str
    metadata: Optional[Dict[Text, Any]]


def parse_request(body: bytes, max_message_chars: int, max_body_bytes: int) -> RestMessage:
    """Check a raw request body; raise BadRequest saying what is wrong with it."""
    if len(body) > max_body_bytes:
        raise BadRequest(413, f"the body is larger than {max_body_bytes} bytes")
    try:
        payload = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest(400, "the body is not valid UTF-8") from None
    except ValueError as error:
        raise BadRequest(400, f"the body is not valid JSON ({error.msg})") from None
    if not isinstance(payload, dict):
        raise BadRequest(400, "the body must be a JSON object with 'sender' and 'message'")
    sender, text, metadata = payload.get("sender"), payload.get("message"), payload.get("metadata")
    if not isinstance(sender, str) or not SENDER.match(sender):
        raise BadRequest(400, "'sender' must be 1-128 letters, digits or . _ : @ + -")
    if not isinstance(text, str) or not text.strip():
        raise BadRequest(400, "'message' must be a non-empty string")
    if len(text) > max_message_chars:
        raise BadRequest(413, f"'message' is longer than {max_message_chars} characters")
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest(400, "'metadata' must be a JSON object")
    return RestMessage(sender, text, metadata)


def parse_poll(args: Mapping[str, str]) -> Tuple[str, float]:
    """Check a poll's query (each parameter's first value, as Sanic's args.get
    gives it); raise BadRequest saying what is wrong with it."""
    sender, since = args.get("sender") or "", args.get("since") or "0"
    if not SENDER.match(sender):
        raise BadRequest(400, "'sender' must be 1-128 letters, digits or . _ : @ + -")
    try:
        moment = float(since)
    except ValueError:
        raise BadRequest(400, "'since' must be a unix timestamp in seconds") from None
    if not math.isfinite(moment) or moment < 0:
        raise BadRequest(400, "'since' must be a unix timestamp in seconds")
    return sender, moment


def messages_since(tracker: Optional[DialogueStateTracker], since: float) -> Dict[str, Any]:
    """The bot messages of the conversation after `since`, and whether a person has it."""
    if tracker is None:
        return {"paused": False, "messages": []}
    messages = [{"recipient_id": tracker.sender_id, "text": event.text, **event.data,
                 "timestamp": event.timestamp, "agent": (event.metadata or {}).get("agent")}
                for event in tracker.events
                if isinstance(event, BotUttered) and event.timestamp > since]
    return {"paused": tracker.is_paused(), "messages": messages}


class RestInput(InputChannel):
    """POST {"sender": ..., "message": ..., "metadata": {...}} and get the replies."""

    def __init__(self, max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS,
                 max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        if max_message_chars < 1 or max_body_bytes < 1:
            raise ValueError("max_message_chars and max_body_bytes must be positive")
        self.max_message_chars = max_message_chars
        self.max_body_bytes = max_body_bytes

    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        return cls(int(credentials.get("max_message_chars", DEFAULT_MAX_MESSAGE_CHARS)),
                   int(credentials.get("max_body_bytes", DEFAULT_MAX_BODY_BYTES)))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def receive(request: Request) -> HTTPResponse:
            message = parse_request(request.body or b"", self.max_message_chars,
                                    self.max_body_bytes)
            collector = CollectingOutputChannel()
            try:
                await on_new_message(UserMessage(
                    message.text, collector, message.sender,
                    input_channel=self.name(), metadata=message.metadata))
            except Exception:  # the customer still gets what was said so far
                structlogger.exception("rest.message.failure", sender=message.sender)
            return response.json(collector.messages)

        webhook = webhook_blueprint("switchboard_rest_webhook", receive)

        @webhook.route("/messages", methods=["GET"])
        async def poll(request: Request) -> HTTPResponse:
            try:
                sender, since = parse_poll(request.args)
            except BadRequest as error:
                return refusal(error)
            tracker = await request.app.ctx.agent.tracker_store.retrieve(sender)
            return response.json(messages_since(tracker, since))

        return webhook
