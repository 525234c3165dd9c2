"""WhatsApp through Twilio, on Rasa's Twilio connector.

POST /webhooks/twilio/webhook with Twilio's form (From, Body, MessageSid, …), signed
in X-Twilio-Signature. The webhook answers Twilio at once (empty TwiML) and runs the
turn in the background, so Twilio (which gives up after 15 s and retries) never
waits for a slow turn; the replies go out through Twilio's Messages API when the
turn is done, one message per paragraph, buttons as numbered options. A reply that
is just an option's number is taken as that option. A message's MessageSid is
claimed in the channel database (connectors/state.py), so a retried or duplicated
message is handled once; one conversation's messages are handled in the order they
arrived. A message acknowledged by a process that stopped before its turn was done
is run when the channel starts again (Twilio would not send it again).

The sender's WhatsApp number goes with each message in its metadata (the action
server looks up the claimed customer in the CRM); the
conversation id is derived from it with the auth token
(connectors/conversation_ids.py), so no other channel can name it. The number of
each conversation is kept in the channel database, so an agent's message reaches
the customer after a restart too. A WhatsApp conversation continues over days: its
session length is its own (connectors/sessions.py).
"""

import asyncio
import dataclasses
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from rasa.core.agent import Agent
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.twilio import TwilioInput, TwilioOutput
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError

from common.channel_metadata import CHANNEL_NUMBER
from connectors.conversation_ids import conversation_id
from connectors.delivery import DELIVERED, FAILED, agent_stamp, ledger
from connectors.inbound import card_flag, clean_text, customer_text
from connectors.options import customer_reply, numbered, offered_buttons
from connectors.ratelimit import RateLimits, client_address
from connectors.sessions import configure_session
from connectors.settings import TwilioSettings
from connectors.state import ChannelState, channel_state
from connectors.twilio_api import SEND_ERRORS, TWILIO_API_URL, RebasedHttpClient
from connectors.twilio_signature import TwilioSignature
from connectors.webhook import BadRequest, read_form, required, webhook_blueprint

logger = logging.getLogger(__name__)

CHANNEL = "twilio"
DEFAULT_MAX_BODY_BYTES = 32 * 1024
DEFAULT_MAX_MESSAGE_CHARS = 4096  # WhatsApp's own limit for a text message
DEFAULT_SESSION_MINUTES = 3 * 24 * 60
# Per client address (Twilio's own, in production) and per WhatsApp number.
DEFAULT_RATE_LIMITS = {"client": "600/minute", "sender": "20/minute;200/hour"}
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
RETRY_SECONDS = "5"
# An outreach message's marks (actions/outreach_message.py): send this template instead
# of the text; this text is said by the template.
TEMPLATE, IN_TEMPLATE = "whatsapp_template", "whatsapp_in_template"
Work = Callable[[], Awaitable[Any]] | None


class WhatsAppOutput(TwilioOutput):
    """Sends through Twilio's Messages API, off the event loop, buttons as numbered
    text, to the number the channel database holds for the conversation (under the
    `recipients` channel); an agent's message's outcome is noted for the desk
    (connectors/delivery.py)."""

    recipients = CHANNEL

    def __init__(
        self,
        account_sid: str | None,
        auth_token: str | None,
        whatsapp_number: str | None,
        api_url: str,
        state: ChannelState,
    ) -> None:
        super().__init__(account_sid, auth_token, whatsapp_number)
        self.http_client = RebasedHttpClient(api_url)
        self.state = state

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    def address(self, number: str) -> str:
        """Where the Messages API sends to, for the number the channel database holds."""
        return number

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Each paragraph a message, as Rasa's TwilioOutput sends them; an outreach
        message marked with its approved template (outside the customer's 24-hour
        window: actions/outreach_message.py) goes as that template instead, and one the
        template says (the disclosure) is not sent on its own."""
        if kwargs.get(IN_TEMPLATE):
            return
        template = kwargs.get(TEMPLATE)
        if isinstance(template, dict):
            message = template_message(recipient_id, self.twilio_number, template)
            sent = [await self._send_message(message)]
        else:
            sent = [
                await self._send_message(
                    {"to": recipient_id, "from_": self.twilio_number, "body": part}
                )
                for part in text.strip().split("\n\n")
            ]
        await ledger().record(
            recipient_id,
            agent_stamp(kwargs),
            DELIVERED if all(item is not None for item in sent) else FAILED,
        )

    async def _send_message(self, message_data: dict[str, Any]) -> Any:
        conversation = message_data["to"]
        try:
            number = await self.state.recall(self.recipients, conversation)
        except SQLAlchemyError as error:
            logger.error(
                "whatsapp.send.failed conversation=%s: %s", conversation, type(error).__name__
            )
            return None
        if number is None:
            logger.error("whatsapp.send.failed conversation=%s: no number known", conversation)
            return None
        try:
            return await asyncio.to_thread(
                self.messages.create, **{**message_data, "to": self.address(number)}
            )
        except SEND_ERRORS as error:
            logger.error(
                "whatsapp.send.failed conversation=%s: %s", conversation, type(error).__name__
            )
            return None

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_text_message(recipient_id, numbered(text, buttons, self.name()))


def template_message(
    recipient_id: str, sender: str | None, template: dict[str, Any]
) -> dict[str, Any]:
    """The Messages API's arguments for an approved template: its content SID and the
    values of its placeholders as JSON (Twilio's ContentVariables), no body."""
    return {
        "to": recipient_id,
        "from_": sender,
        "content_sid": str(template["content_sid"]),
        "content_variables": json.dumps(template.get("variables") or {}, sort_keys=True),
    }


class InOrder:
    """Background work, one conversation's in the order it was queued: each piece
    takes its place in the conversation's line when queued (before the handler
    awaits anything), and runs once the one before it is done."""

    def __init__(self) -> None:
        self.locks: dict[str, asyncio.Lock] = {}
        self.queued: dict[str, int] = {}
        self.tasks: set[asyncio.Task[None]] = set()  # kept until done (asyncio holds weak refs)

    def queue(self, conversation: str) -> "asyncio.Future[Work]":
        """A place in line; set its result to the work to run there, or None to pass."""
        work: asyncio.Future[Work] = asyncio.get_running_loop().create_future()
        self.queued[conversation] = self.queued.get(conversation, 0) + 1
        task = asyncio.create_task(self._in_line(conversation, work))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return work

    async def _in_line(self, conversation: str, work: "asyncio.Future[Work]") -> None:
        lock = self.locks.setdefault(conversation, asyncio.Lock())
        try:
            async with lock:
                run = await work
                if run is not None:
                    await run()
        except Exception:  # the webhook has answered already: nothing to tell Twilio
            logger.exception("whatsapp.message.failure sender=%s", conversation)
        finally:
            self.queued[conversation] -= 1
            if not self.queued[conversation]:
                del self.queued[conversation], self.locks[conversation]


class WhatsAppInput(TwilioInput):
    """Twilio's WhatsApp webhook, every request checked before Rasa sees it."""

    def __init__(
        self,
        account_sid: str | None,
        auth_token: str | None,
        whatsapp_number: str | None,
        public_url: str | None = None,
        api_url: str = TWILIO_API_URL,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS,
        limits: RateLimits | None = None,
        state: ChannelState | None = None,
    ) -> None:
        super().__init__(account_sid, auth_token, whatsapp_number, debug_mode=False)
        self.signature = TwilioSignature(auth_token, public_url)
        self.api_url = api_url
        self.max_body_bytes = max_body_bytes
        self.max_message_chars = max_message_chars
        self.limits = limits or RateLimits(CHANNEL, DEFAULT_RATE_LIMITS)
        self.state = state or channel_state()
        self.in_order = InOrder()
        self.started = time.time()

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        configure_session(cls.name(), credentials, DEFAULT_SESSION_MINUTES)
        twilio = TwilioSettings.from_credentials(credentials)
        return cls(
            twilio.account_sid,
            twilio.auth_token,
            twilio.whatsapp_number,
            twilio.public_url,
            twilio.api_url,
            int(credentials.get("max_body_bytes", DEFAULT_MAX_BODY_BYTES)),
            int(credentials.get("max_message_chars", DEFAULT_MAX_MESSAGE_CHARS)),
            RateLimits.from_credentials(CHANNEL, credentials, DEFAULT_RATE_LIMITS),
        )

    def get_output_channel(self) -> OutputChannel:
        """Also what Rasa's HTTP API sends an agent's messages through (the desk's
        `output_channel=latest`)."""
        return WhatsAppOutput(
            self.account_sid, self.auth_token, self.twilio_number, self.api_url, self.state
        )

    def _read(self, request: Request) -> dict[str, str]:
        self.limits.check(client=client_address(request))
        params = read_form(request, self.max_body_bytes)
        self.signature.check(request, params)
        self.limits.check(sender=required(params, "From"))
        required(params, "MessageSid")
        if not (params.get("Body") or "").strip():
            raise BadRequest(400, "'Body' is empty: only text messages are understood")
        params["Body"] = clean_text(params["Body"], self.max_message_chars, "Body")
        customer_text(params["Body"])  # nothing but a slash: refused now, not after the 200
        return params

    async def _turn(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        agent: Agent,
        sender: str,
        message: "Inbound",
    ) -> None:
        try:
            tracker = await agent.tracker_store.retrieve(sender)
            metadata = {CHANNEL_NUMBER: message.number, **card_flag(message.text)}
            await on_new_message(
                UserMessage(
                    customer_reply(message.text, offered_buttons(tracker)),
                    self.get_output_channel(),
                    sender,
                    input_channel=self.name(),
                    metadata=metadata,
                )
            )
        except Exception:  # a turn that failed half-way is not run again either
            await self.state.settle(CHANNEL, message.sid)
            raise
        # Done. (Cancelled by a stopping server, it stays claimed and runs on the next start.)
        await self.state.settle(CHANNEL, message.sid)

    async def _take(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        agent: Agent,
        message: "Inbound",
    ) -> None:
        """Queue the message's turn in its conversation's line, if this process is the
        one to claim it (the claim keeps the message until its turn is done)."""
        sender = conversation_id("whatsapp", message.number, str(self.auth_token))
        place = self.in_order.queue(sender)
        run: Work = None
        try:
            await self.state.remember(CHANNEL, sender, message.number)
            if (await self.state.claim(CHANNEL, message.sid, message.to_json())).owned:
                run = partial(self._turn, on_new_message, agent, sender, message)
        finally:
            place.set_result(run)  # its place in line goes on, with or without work

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def receive(request: Request) -> HTTPResponse:
            params = self._read(request)
            message = Inbound(params["MessageSid"], params["From"].strip(), params["Body"])
            try:
                await self._take(on_new_message, request.app.ctx.agent, message)
            except SQLAlchemyError as error:
                logger.error("whatsapp.state.failed: %s", type(error).__name__)
                raise BadRequest(
                    503,
                    "the message cannot be taken now; send it again later",
                    headers={"Retry-After": RETRY_SECONDS},
                ) from None
            return response.text(EMPTY_TWIML, content_type="text/xml")

        webhook = webhook_blueprint("switchboard_whatsapp_webhook", receive)

        @webhook.listener("after_server_start")
        async def resume(app: Sanic, _: asyncio.AbstractEventLoop) -> None:
            """Messages acknowledged by a process that stopped before their turn was
            done (Twilio sends them no more) are run now."""
            try:
                for payload in await self.state.reopen(CHANNEL, self.started):
                    await self._take(on_new_message, app.ctx.agent, Inbound.from_json(payload))
            except (SQLAlchemyError, ValueError, KeyError, TypeError) as error:
                logger.error("whatsapp.resume.failed: %s", type(error).__name__)

        return webhook


@dataclass(frozen=True)
class Inbound:
    """A message taken from Twilio, as its claim keeps it until its turn is done."""

    sid: str
    number: str
    text: str

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, payload: str) -> "Inbound":
        return cls(**json.loads(payload))
