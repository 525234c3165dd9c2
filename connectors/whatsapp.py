"""WhatsApp through Twilio, on Rasa's Twilio connector.

POST /webhooks/twilio/webhook with Twilio's form (From, Body, …), signed in
X-Twilio-Signature. The reply goes out through Twilio's Messages API, one message
per paragraph, buttons as numbered options; a reply that is just an option's
number is taken as that option. The sender's WhatsApp number names the claimed
customer (connectors/caller.py); the conversation id is derived from it with the
auth token (connectors/conversation_ids.py), so no other channel can name it. A WhatsApp conversation continues over days:
its session length is its own (connectors/sessions.py).
"""

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Text

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.twilio import TwilioInput, TwilioOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from connectors.caller import caller_metadata
from connectors.conversation_ids import conversation_id
from connectors.options import chosen_payload, numbered, offered_buttons
from connectors.sessions import configure_session
from connectors.settings import setting
from connectors.twilio_api import SEND_ERRORS, TWILIO_API_URL, RebasedHttpClient
from connectors.twilio_signature import TwilioSignature
from connectors.webhook import BadRequest, read_form, required, webhook_blueprint

logger = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 32 * 1024
DEFAULT_MAX_MESSAGE_CHARS = 4096  # WhatsApp's own limit for a text message
DEFAULT_SESSION_MINUTES = 3 * 24 * 60
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


class WhatsAppOutput(TwilioOutput):
    """Sends through Twilio's Messages API, off the event loop, buttons as numbered text."""

    def __init__(self, account_sid: Optional[str], auth_token: Optional[str],
                 whatsapp_number: Optional[str], api_url: str,
                 recipients: Mapping[str, str]) -> None:
        super().__init__(account_sid, auth_token, whatsapp_number)
        self.http_client = RebasedHttpClient(api_url)
        self.recipients = recipients

    @classmethod
    def name(cls) -> Text:
        return "twilio"

    async def _send_message(self, message_data: Dict[Text, Any]) -> Any:
        conversation = message_data["to"]
        number = self.recipients.get(conversation)
        if number is None:
            logger.error("whatsapp.send.failed conversation=%s: no number known", conversation)
            return None
        try:
            return await asyncio.to_thread(self.messages.create, **{**message_data, "to": number})
        except SEND_ERRORS as error:
            logger.error("whatsapp.send.failed conversation=%s: %s", conversation, error)
            return None

    async def send_text_with_buttons(self, recipient_id: Text, text: Text,
                                     buttons: List[Dict[Text, Any]], **kwargs: Any) -> None:
        await self.send_text_message(recipient_id, numbered(text, buttons))


class WhatsAppInput(TwilioInput):
    """Twilio's WhatsApp webhook, every request checked before Rasa sees it."""

    def __init__(self, account_sid: Optional[str], auth_token: Optional[str],
                 whatsapp_number: Optional[str], public_url: Optional[str] = None,
                 api_url: str = TWILIO_API_URL, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
                 max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS) -> None:
        super().__init__(account_sid, auth_token, whatsapp_number, debug_mode=False)
        self.signature = TwilioSignature(auth_token, public_url)
        self.api_url = api_url
        self.max_body_bytes = max_body_bytes
        self.max_message_chars = max_message_chars
        self.recipients: Dict[str, str] = {}  # conversation id → WhatsApp number

    @classmethod
    def name(cls) -> Text:
        return "twilio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        configure_session(cls.name(), credentials, DEFAULT_SESSION_MINUTES)
        return cls(setting(credentials, "account_sid", "TWILIO_ACCOUNT_SID"),
                   setting(credentials, "auth_token", "TWILIO_AUTH_TOKEN"),
                   setting(credentials, "twilio_number", "TWILIO_WHATSAPP_NUMBER"),
                   setting(credentials, "public_url", "SWITCHBOARD_PUBLIC_URL"),
                   setting(credentials, "api_url", "TWILIO_API_URL", TWILIO_API_URL) or TWILIO_API_URL,
                   int(credentials.get("max_body_bytes", DEFAULT_MAX_BODY_BYTES)),
                   int(credentials.get("max_message_chars", DEFAULT_MAX_MESSAGE_CHARS)))

    def get_output_channel(self) -> OutputChannel:
        """Also what Rasa's HTTP API sends an agent's messages through (the desk's
        `output_channel=latest`): numbers are known for those who wrote since start."""
        return WhatsAppOutput(self.account_sid, self.auth_token, self.twilio_number,
                              self.api_url, self.recipients)

    def _read(self, request: Request) -> Dict[str, str]:
        params = read_form(request, self.max_body_bytes)
        self.signature.check(request, params)
        required(params, "From")
        if not (params.get("Body") or "").strip():
            raise BadRequest(400, "'Body' is empty: only text messages are understood")
        if len(params["Body"]) > self.max_message_chars:
            raise BadRequest(413, f"'Body' is longer than {self.max_message_chars} characters")
        return params

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def receive(request: Request) -> HTTPResponse:
            params = self._read(request)
            number, text = params["From"].strip(), params["Body"].strip()
            sender = conversation_id("whatsapp", number, str(self.auth_token))
            self.recipients[sender] = number
            tracker = await request.app.ctx.agent.tracker_store.retrieve(sender)
            text = chosen_payload(text, offered_buttons(tracker)) or text
            metadata = await caller_metadata("whatsapp", number)
            try:
                await on_new_message(UserMessage(text, self.get_output_channel(), sender,
                                                 input_channel=self.name(), metadata=metadata))
            except Exception:  # Twilio must not retry a message that was handled
                logger.exception("whatsapp.message.failure sender=%s", sender)
            return response.text(EMPTY_TWIML, content_type="text/xml")

        return webhook_blueprint("switchboard_whatsapp_webhook", receive)
