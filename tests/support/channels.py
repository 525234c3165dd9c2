"""The stack with every channel configured, for tests/channels and tests/security:
Twilio's API replaced by a local recorder, e-mail replies going to a local SMTP
server (both started first), and customers writing on WhatsApp."""

import asyncio
import sqlite3
import time
import uuid
from collections.abc import Iterator

import pytest
import requests

from connectors.conversation_ids import conversation_id
from connectors.state import DONE, ChannelState
from stack.config import isolated_config
from tests.channels.mailbox import Mailbox
from tests.channels.twilio_fake import (
    ACCOUNT_SID,
    AGENT_NUMBER,
    AUTH_TOKEN,
    WHATSAPP_NUMBER,
    TwilioApi,
    TwilioWebhook,
    whatsapp_env,
)
from tests.support.stack import API_TOKEN, Stack, running_stack

EMAIL_SECRET = "test-email-secret"
EMAIL_FROM = "Brightwave Customer Service <help@brightwave.example>"
WHATSAPP_PATH = "/webhooks/twilio/webhook"
TURN_SECONDS = 90.0


@pytest.fixture(scope="session")
def twilio_api() -> Iterator[TwilioApi]:
    with TwilioApi() as api:
        yield api


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    with Mailbox() as box:
        yield box


@pytest.fixture(scope="session")
def channel_stack(
    tmp_path_factory: pytest.TempPathFactory, twilio_api: TwilioApi, mailbox: Mailbox
) -> Iterator[Stack]:
    config = isolated_config(
        tmp_path_factory.mktemp("channels"),
        {
            **whatsapp_env(twilio_api.url),
            "TWILIO_VOICE_AGENT_NUMBER": AGENT_NUMBER,
            "SWITCHBOARD_SMTP_HOST": mailbox.host,
            "SWITCHBOARD_SMTP_PORT": str(mailbox.port),
            "SWITCHBOARD_EMAIL_FROM": EMAIL_FROM,
            "SWITCHBOARD_EMAIL_SECRET": EMAIL_SECRET,
        },
        rasa_api_token=API_TOKEN,
    )
    with running_stack(config) as running:
        yield running


def age_conversation(stack: Stack, sender: str, seconds: int) -> None:
    """Move a stored conversation back in time, as if the customer had been away."""
    database = stack.config.tracker_store_url.removeprefix("sqlite:///")
    with sqlite3.connect(database) as db:
        db.execute(
            "UPDATE events SET timestamp = timestamp - ?, data = json_set(data, "
            "'$.timestamp', json_extract(data, '$.timestamp') - ?) WHERE sender_id = ?",
            (seconds, seconds, sender),
        )


def handled(stack: Stack, channel: str, key: str, timeout: float = TURN_SECONDS) -> None:
    """Wait until the channel has handled the message with this id (its claim is done)."""
    state = ChannelState(stack.config.channel_state_url)
    deadline = time.monotonic() + timeout
    while asyncio.run(state.outcome(channel, key)) != DONE:
        if time.monotonic() > deadline:
            raise AssertionError(f"{channel} message {key} not handled within {timeout} s")
        time.sleep(0.1)


def agent_message(stack: Stack, conversation: str, text: str) -> requests.Response:
    """What the agent desk does: a bot event appended through Rasa's HTTP API, sent on
    the conversation's latest channel."""
    return requests.post(
        f"{stack.config.rasa_internal_url}/conversations/{conversation}/tracker/events",
        params={"token": API_TOKEN, "execute_side_effects": "true", "output_channel": "latest"},
        json=[{"event": "bot", "text": text}],
        timeout=60,
    )


class WhatsAppChat:
    """One customer writing from their WhatsApp number."""

    def __init__(self, stack: Stack, api: TwilioApi, number: str) -> None:
        self.stack = stack
        self.webhook = TwilioWebhook(stack.config.rasa_url, WHATSAPP_PATH)
        self.api = api
        self.sender = f"whatsapp:{number}"
        self.conversation = conversation_id("whatsapp", self.sender, AUTH_TOKEN)

    def post(self, text: str, message_sid: str) -> requests.Response:
        """Twilio's webhook call for one message; acknowledged with empty TwiML."""
        return self.webhook.post(
            {
                "From": self.sender,
                "To": WHATSAPP_NUMBER,
                "Body": text,
                "MessageSid": message_sid,
                "AccountSid": ACCOUNT_SID,
                "NumMedia": "0",
            }
        )

    def say(self, text: str) -> list[str]:
        """The replies sent through the Messages API once the message was handled."""
        message_sid = "SM" + uuid.uuid4().hex
        reply = self.post(text, message_sid)
        assert reply.status_code == 200, reply.text
        assert reply.headers["content-type"].startswith("text/xml")
        handled(self.stack, "twilio", message_sid)
        return self.api.take(self.sender)
