"""E-mail and tickets: inbound e-mail by webhook, answers by SMTP.

POST /webhooks/email/webhook with the JSON of connectors/mail_message.py and
`Authorization: Bearer <SWITCHBOARD_EMAIL_SECRET>`. Every question in the message
goes to the assistant in turn, in the thread's conversation, and what it answers
(an escalation notice included) is mailed back in one reply, threaded with
In-Reply-To and References. While a person holds the conversation the assistant
is silent and nothing is mailed. The webhook answers once the reply is handed to the
SMTP server, so an inbound-parse service that gets an error retries; a Message-ID
already answered is not answered twice. An agent's messages, sent by the desk
through Rasa's HTTP API, are mailed in the thread too.
"""

import asyncio
import hmac
import logging
import smtplib
from collections import OrderedDict
from email.message import EmailMessage
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Text

from rasa.core.channels.channel import (
    CollectingOutputChannel, InputChannel, OutputChannel, UserMessage,
)
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from connectors.mail_message import InboundMail, compose_reply, parse_inbound, questions
from connectors.options import chosen_payload, numbered, offered_buttons
from connectors.sessions import configure_session
from connectors.settings import setting
from connectors.webhook import JSON, BadRequest, checked_body, webhook_blueprint

logger = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 256 * 1024
DEFAULT_MAX_TEXT_CHARS = 20000
DEFAULT_MAX_QUESTIONS = 5
DEFAULT_SESSION_MINUTES = 14 * 24 * 60
SMTP_TIMEOUT_SECONDS = 20
REMEMBERED_MESSAGE_IDS = 1000
SIGNATURE = ("Kind regards,\nBrightwave's virtual assistant, for Brightwave Customer Service\n"
             "(Just reply to this e-mail to continue; ask for a person at any time.)")
AGENT_SIGNATURE = "Kind regards,\nBrightwave Customer Service"


class EmailCollector(CollectingOutputChannel):
    """Collects the answers; buttons become numbered options to reply with."""

    @classmethod
    def name(cls) -> Text:
        return "email"

    async def send_text_with_buttons(self, recipient_id: Text, text: Text,
                                     buttons: List[Dict[Text, Any]], **kwargs: Any) -> None:
        await self.send_text_message(recipient_id, numbered(text, buttons))


class Smtp:
    """Where replies are sent: host, port and optional STARTTLS login."""

    def __init__(self, host: Optional[str], port: int, user: Optional[str] = None,
                 password: Optional[str] = None, starttls: bool = False) -> None:
        self.host, self.port, self.user, self.password = host, port, user, password
        self.starttls = starttls

    def send(self, message: EmailMessage) -> None:
        if not self.host:
            raise smtplib.SMTPException("no SMTP host is configured")
        with smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS) as server:
            if self.starttls:
                server.starttls()
            if self.user and self.password:
                server.login(self.user, self.password)
            server.send_message(message)


class AgentMail(OutputChannel):
    """An agent's message (sent through Rasa's HTTP API by the desk, with
    `output_channel=latest`) mailed as a reply in the customer's thread. Threads
    are known for customers who wrote since the server started."""

    def __init__(self, smtp: Smtp, from_address: str, threads: Mapping[str, InboundMail]) -> None:
        self.smtp = smtp
        self.from_address = from_address
        self.threads = threads

    @classmethod
    def name(cls) -> Text:
        return "email"

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        mail = self.threads.get(recipient_id)
        if mail is None:
            logger.error("email.agent_reply.failed: no thread known for %s", recipient_id)
            return
        reply = compose_reply(mail, [text], self.from_address, AGENT_SIGNATURE)
        try:
            await asyncio.to_thread(self.smtp.send, reply)
        except (smtplib.SMTPException, OSError) as error:
            logger.error("email.agent_reply.failed %s: %s", recipient_id, error)


class EmailInput(InputChannel):
    """Inbound e-mail webhook, authenticated with a shared secret; replies by SMTP."""

    def __init__(self, secret: Optional[str], smtp: Smtp, from_address: str,
                 max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
                 max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
                 max_questions: int = DEFAULT_MAX_QUESTIONS) -> None:
        self.secret = secret
        self.smtp = smtp
        self.from_address = from_address
        self.max_body_bytes = max_body_bytes
        self.max_text_chars = max_text_chars
        self.max_questions = max_questions
        self.answered: "OrderedDict[str, None]" = OrderedDict()
        self.threads: Dict[str, InboundMail] = {}  # conversation id → its latest e-mail

    @classmethod
    def name(cls) -> Text:
        return "email"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        configure_session(cls.name(), credentials, DEFAULT_SESSION_MINUTES)
        smtp = Smtp(setting(credentials, "smtp_host", "SWITCHBOARD_SMTP_HOST"),
                    int(setting(credentials, "smtp_port", "SWITCHBOARD_SMTP_PORT", "25") or 25),
                    setting(credentials, "smtp_user", "SWITCHBOARD_SMTP_USER"),
                    setting(credentials, "smtp_password", "SWITCHBOARD_SMTP_PASSWORD"),
                    (setting(credentials, "smtp_starttls", "SWITCHBOARD_SMTP_STARTTLS", "false")
                     or "false").lower() == "true")
        return cls(setting(credentials, "secret", "SWITCHBOARD_EMAIL_SECRET"), smtp,
                   setting(credentials, "from_address", "SWITCHBOARD_EMAIL_FROM",
                           "Brightwave Customer Service <help@brightwave.example>") or "",
                   int(credentials.get("max_body_bytes", DEFAULT_MAX_BODY_BYTES)),
                   int(credentials.get("max_text_chars", DEFAULT_MAX_TEXT_CHARS)),
                   int(credentials.get("max_questions", DEFAULT_MAX_QUESTIONS)))

    def get_output_channel(self) -> OutputChannel:
        return AgentMail(self.smtp, self.from_address, self.threads)

    def _authenticate(self, request: Request) -> None:
        if not self.secret:
            raise BadRequest(503, "the e-mail channel has no shared secret configured")
        header = request.headers.get("authorization") or ""
        if not header.startswith("Bearer "):
            raise BadRequest(401, "the request carries no 'Authorization: Bearer <secret>'")
        if not hmac.compare_digest(header[len("Bearer "):].encode(), self.secret.encode()):
            raise BadRequest(403, "the shared secret is wrong")

    def _read(self, request: Request) -> InboundMail:
        self._authenticate(request)
        mail = parse_inbound(checked_body(request, JSON, self.max_body_bytes), self.max_text_chars)
        if not questions(mail.text, self.max_questions):
            raise BadRequest(400, "'text' holds nothing but quoted text or a signature")
        return mail

    async def _answers(self, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                       mail: InboundMail, sender: str, request: Request) -> List[str]:
        """Each question to the assistant in turn; everything it answers, in order."""
        collector = EmailCollector()
        metadata = {"email": {"subject": mail.subject, "message_id": mail.message_id}}
        for question in questions(mail.text, self.max_questions):
            tracker = await request.app.ctx.agent.tracker_store.retrieve(sender)
            text = chosen_payload(question, offered_buttons(tracker)) or question
            await on_new_message(UserMessage(text, collector, sender,
                                             input_channel=self.name(), metadata=metadata))
        return [m["text"] for m in collector.messages if m.get("text")]

    def _remember(self, message_id: str) -> None:
        self.answered[message_id] = None
        while len(self.answered) > REMEMBERED_MESSAGE_IDS:
            self.answered.popitem(last=False)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def receive(request: Request) -> HTTPResponse:
            mail = self._read(request)
            if mail.message_id in self.answered:
                return response.json({"status": "already answered"})
            sender = mail.conversation_id(str(self.secret))
            self.threads[sender] = mail
            try:
                answers = await self._answers(on_new_message, mail, sender, request)
            except Exception:
                logger.exception("email.message.failure sender=%s", sender)
                return response.json({"error": "the message could not be processed; "
                                               "send it again later"}, status=503)
            if not answers:  # a person holds the conversation: they will answer
                self._remember(mail.message_id)
                return response.json({"status": "kept for the person handling the thread",
                                      "conversation": sender}, status=202)
            reply = compose_reply(mail, answers, self.from_address, SIGNATURE)
            try:
                await asyncio.to_thread(self.smtp.send, reply)
            except (smtplib.SMTPException, OSError) as error:
                logger.error("email.reply.failed sender=%s: %s", sender, error)
                return response.json({"error": "the reply could not be sent; send the "
                                               "message again later"}, status=503)
            self._remember(mail.message_id)
            return response.json({"status": "answered", "conversation": sender,
                                  "reply_message_id": reply["Message-ID"]})

        return webhook_blueprint("switchboard_email_webhook", receive)
