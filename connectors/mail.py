"""E-mail and tickets: inbound e-mail by webhook, answers by SMTP.

POST /webhooks/email/webhook with the JSON of connectors/mail_message.py and
`Authorization: Bearer <SWITCHBOARD_EMAIL_SECRET>`. Every question in the message
goes to the assistant in turn, in the thread's conversation, and what it answers
(an escalation notice included) is mailed back in one reply, threaded with
In-Reply-To and References. While a person holds the conversation the assistant
is silent and nothing is mailed. The webhook answers once the reply is handed to the
SMTP server, so an inbound-parse service that gets an error retries.

Each Message-ID is answered once, however often and however concurrently it is
posted: it is claimed in the channel database (connectors/state.py) before its
turn runs; a copy posted while it is being answered gets 409, one posted after it
was answered "already answered". When the turn ran but the reply could not be sent
(503), the reply is kept with the claim, and the retry sends it without running
the turn again. The thread's latest message per conversation is kept there too, so
an agent's messages, sent by the desk through Rasa's HTTP API, are mailed in the
thread, also after a restart.

Replies go out over TLS with the certificate checked (STARTTLS with
`SWITCHBOARD_SMTP_STARTTLS=true`, implicit TLS on port 465), against the system's
CAs or `SWITCHBOARD_SMTP_CA_FILE`; a login without TLS is refused at start.
"""

import asyncio
import email
import email.policy
import hmac
import logging
import smtplib
import time
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import (
    CollectingOutputChannel,
    InputChannel,
    OutputChannel,
    UserMessage,
)
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError

from connectors.delivery import DELIVERED, FAILED, NOT_SENT, agent_stamp, ledger, offline_mark
from connectors.inbound import card_flag, customer_text
from connectors.mail_message import (
    InboundMail,
    MailWords,
    OutreachMark,
    compose_outreach,
    compose_reply,
    first_name,
    parse_inbound,
    questions,
)
from connectors.options import customer_reply, numbered, offered_buttons
from connectors.ratelimit import RateLimits, client_address
from connectors.sessions import configure_session
from connectors.smtp import MailSettings, Smtp, SmtpConfigError  # noqa: F401
from connectors.state import DONE, ChannelState, channel_state
from connectors.webhook import JSON, BadRequest, checked_body, webhook_blueprint
from connectors.wording import say

logger = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 256 * 1024
DEFAULT_MAX_TEXT_CHARS = 20000
DEFAULT_MAX_QUESTIONS = 5
DEFAULT_SESSION_MINUTES = 14 * 24 * 60
CHANNEL = "email"
# Per client address (the inbound-parse service's) and per From address.
DEFAULT_RATE_LIMITS = {"client": "300/minute", "sender": "10/minute;100/hour"}
RETRY_AFTER = {"Retry-After": "30"}


class EmailCollector(CollectingOutputChannel):
    """Collects the answers; buttons become numbered options to reply with."""

    @classmethod
    def name(cls) -> str:
        return "email"

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_text_message(recipient_id, numbered(text, buttons, self.name()))


class AgentMail(OutputChannel):
    """An agent's message (sent through Rasa's HTTP API by the desk, with
    `output_channel=latest`) mailed as a reply in the customer's thread, to the
    latest message the channel database holds for the conversation; an outreach
    message (trigger_intent by the outreach service, marked by the outreach action)
    mailed as a new automated message opening the thread the customer replies in."""

    def __init__(
        self, smtp: Smtp, from_address: str, state: ChannelState, secret: str | None = None
    ) -> None:
        self.smtp = smtp
        self.from_address = from_address
        self.state = state
        self.secret = secret

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """The desk says, per message (metadata `offline`, from its offline_replies
        settings), whether it is mailed (an internal move such as a claim is not) and
        the agent's signature; a message without it (Rasa's HTTP API) is mailed, signed
        by the team."""
        if "outreach_mail" in kwargs:
            await self._outreach(recipient_id, text, OutreachMark.from_kwargs(kwargs))
            return
        by_desk = offline_mark(kwargs)
        stamp = agent_stamp(kwargs)
        if by_desk.get("send") is False:
            await ledger().record(recipient_id, stamp, NOT_SENT)
            return
        signature = by_desk.get("signature")
        if not (isinstance(signature, str) and signature.strip()):
            signature = say("utter_email_team_signature", CHANNEL)
        sent = await self._mail(recipient_id, text, signature)
        await ledger().record(recipient_id, stamp, DELIVERED if sent else FAILED)

    async def _outreach(self, recipient_id: str, text: str, mark: OutreachMark | None) -> None:
        """Mail an outreach message, only to the address and thread the conversation
        was named from with the channel's secret (a trigger into any other conversation
        mails nothing). A refused send raises, so that Rasa's API answers with an error
        and outreach tries again."""
        if mark is None or not self.secret or mark.conversation_id(self.secret) != recipient_id:
            logger.error("email.outreach.refused: the mark does not name %s", recipient_id)
            return
        words = MailWords(
            say("utter_email_greeting_anonymous", CHANNEL),
            "",
            say("utter_email_outreach_subject", CHANNEL),
        )
        message = compose_outreach(
            mark,
            text,
            self.from_address,
            words,
            say("utter_outreach_disclosure", CHANNEL),
            say("utter_email_team_signature", CHANNEL),
        )
        await asyncio.to_thread(self.smtp.send, message)
        logger.info("email.outreach.sent %s", recipient_id)

    async def _mail(self, recipient_id: str, text: str, signature: str) -> bool:
        """Whether the SMTP relay took the reply."""
        try:
            latest = await self.state.recall(CHANNEL, recipient_id)
        except SQLAlchemyError as error:
            logger.error("email.agent_reply.failed %s: %s", recipient_id, type(error).__name__)
            return False
        if latest is None:
            logger.error("email.agent_reply.failed: no thread known for %s", recipient_id)
            return False
        mail = InboundMail.from_json(latest)
        reply = compose_reply(
            mail, [text], self.from_address, signature, mail_words(mail), by_person=True
        )
        try:
            await asyncio.to_thread(self.smtp.send, reply)
        except (smtplib.SMTPException, OSError) as error:
            logger.error("email.agent_reply.failed %s: %s", recipient_id, type(error).__name__)
            return False
        return True


def mail_words(mail: InboundMail) -> MailWords:
    """The greeting (by first name when the From header gives one), thanks and subject."""
    name = first_name(mail)
    greeting = (
        say("utter_email_greeting", CHANNEL, first_name=name)
        if name
        else say("utter_email_greeting_anonymous", CHANNEL)
    )
    return MailWords(
        greeting, say("utter_email_thanks", CHANNEL), say("utter_email_subject", CHANNEL)
    )


class EmailInput(InputChannel):
    """Inbound e-mail webhook, authenticated with a shared secret; replies by SMTP."""

    def __init__(
        self,
        secret: str | None,
        smtp: Smtp,
        from_address: str,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
        max_questions: int = DEFAULT_MAX_QUESTIONS,
        limits: RateLimits | None = None,
        state: ChannelState | None = None,
    ) -> None:
        self.secret = secret
        self.smtp = smtp
        self.from_address = from_address
        self.max_body_bytes = max_body_bytes
        self.max_text_chars = max_text_chars
        self.max_questions = max_questions
        self.limits = limits or RateLimits(CHANNEL, DEFAULT_RATE_LIMITS)
        self.state = state or channel_state()
        self.started = time.time()

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        configure_session(cls.name(), credentials, DEFAULT_SESSION_MINUTES)
        settings = MailSettings.from_credentials(credentials)
        return cls(
            settings.secret,
            settings.smtp,
            settings.from_address,
            int(credentials.get("max_body_bytes", DEFAULT_MAX_BODY_BYTES)),
            int(credentials.get("max_text_chars", DEFAULT_MAX_TEXT_CHARS)),
            int(credentials.get("max_questions", DEFAULT_MAX_QUESTIONS)),
            RateLimits.from_credentials(CHANNEL, credentials, DEFAULT_RATE_LIMITS),
        )

    def get_output_channel(self) -> OutputChannel:
        return AgentMail(self.smtp, self.from_address, self.state, self.secret)

    def _authenticate(self, request: Request) -> None:
        if not self.secret:
            raise BadRequest(503, "the e-mail channel has no shared secret configured")
        header = request.headers.get("authorization") or ""
        if not header.startswith("Bearer "):
            raise BadRequest(401, "the request carries no 'Authorization: Bearer <secret>'")
        if not hmac.compare_digest(header[len("Bearer ") :].encode(), self.secret.encode()):
            raise BadRequest(403, "the shared secret is wrong")

    def _read(self, request: Request) -> InboundMail:
        self.limits.check(client=client_address(request))
        self._authenticate(request)
        mail = parse_inbound(checked_body(request, JSON, self.max_body_bytes), self.max_text_chars)
        self.limits.check(sender=mail.address.lower())
        asked = questions(mail.text, self.max_questions)
        if not asked:
            raise BadRequest(400, "'text' holds nothing but quoted text or a signature")
        for question in asked:
            customer_text(question)  # nothing but a slash: refused before any turn runs
        return mail

    async def _answers(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        mail: InboundMail,
        sender: str,
        request: Request,
    ) -> list[str]:
        """Each question to the assistant in turn; everything it answers, in order."""
        collector = EmailCollector()
        metadata = {"email": {"subject": mail.subject, "message_id": mail.message_id}}
        for question in questions(mail.text, self.max_questions):
            tracker = await request.app.ctx.agent.tracker_store.retrieve(sender)
            await on_new_message(
                UserMessage(
                    customer_reply(question, offered_buttons(tracker)),
                    collector,
                    sender,
                    input_channel=self.name(),
                    metadata={**metadata, **card_flag(question)},
                )
            )
        return [m["text"] for m in collector.messages if m.get("text")]

    async def _reply(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        mail: InboundMail,
        sender: str,
        request: Request,
        kept: str | None,
    ) -> HTTPResponse:
        """Answer a claimed message (or send the reply kept from an earlier attempt)."""
        if kept is None:
            await self.state.remember(CHANNEL, sender, mail.to_json())
            try:
                answers = await self._answers(on_new_message, mail, sender, request)
            except Exception:
                logger.exception("email.message.failure sender=%s", sender)
                await self.state.release(CHANNEL, mail.message_id)
                return response.json(
                    {"error": "the message could not be processed; send it again later"},
                    status=503,
                    headers=RETRY_AFTER,
                )
            if not answers:  # a person holds the conversation: they will answer
                await self.state.settle(CHANNEL, mail.message_id)
                return response.json(
                    {"status": "kept for the person handling the thread", "conversation": sender},
                    status=202,
                )
            reply = compose_reply(
                mail,
                answers,
                self.from_address,
                say("utter_email_signature", CHANNEL),
                mail_words(mail),
            )
        else:
            reply = email.message_from_string(kept, policy=email.policy.default)
        try:
            await asyncio.to_thread(self.smtp.send, reply)
        except (smtplib.SMTPException, OSError) as error:
            logger.error("email.reply.failed sender=%s: %s", sender, type(error).__name__)
            await self.state.settle(CHANNEL, mail.message_id, reply.as_string(), done=False)
            return response.json(
                {"error": "the reply could not be sent; send the message again later"},
                status=503,
                headers=RETRY_AFTER,
            )
        await self.state.settle(CHANNEL, mail.message_id)
        return response.json(
            {"status": "answered", "conversation": sender, "reply_message_id": reply["Message-ID"]}
        )

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def receive(request: Request) -> HTTPResponse:
            mail = self._read(request)
            sender = mail.conversation_id(str(self.secret))
            try:
                claim = await self.state.claim(CHANNEL, mail.message_id)
                if not claim.owned:
                    if claim.state == DONE:
                        return response.json({"status": "already answered"})
                    raise BadRequest(
                        409,
                        "this message is being answered; send it again later",
                        headers=RETRY_AFTER,
                    )
                return await self._reply(on_new_message, mail, sender, request, claim.result)
            except SQLAlchemyError as error:
                logger.error("email.state.failed sender=%s: %s", sender, type(error).__name__)
                raise BadRequest(
                    503, "the message cannot be taken now; send it again later", headers=RETRY_AFTER
                ) from None

        webhook = webhook_blueprint("switchboard_email_webhook", receive)

        @webhook.listener("after_server_start")
        async def reopen(*_: Any) -> None:
            """Requests left half-handled by a process that stopped are opened again,
            so that their retries are handled (not refused as in progress)."""
            try:
                await self.state.reopen(CHANNEL, self.started)
            except SQLAlchemyError as error:
                logger.error("email.reopen.failed: %s", type(error).__name__)

        return webhook
