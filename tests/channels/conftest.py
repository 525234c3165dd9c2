"""The whole stack with every channel configured: Twilio's API replaced by a local
recorder, e-mail replies going to a local SMTP server, both started first."""

from typing import Iterator

import pytest

from stack.config import isolated_config
from tests.channels.mailbox import Mailbox
from tests.channels.twilio_fake import (
    ACCOUNT_SID, AGENT_NUMBER, AUTH_TOKEN, PUBLIC_URL, WHATSAPP_NUMBER, TwilioApi,
)
from tests.support.stack import API_TOKEN, Stack, running_stack

EMAIL_SECRET = "test-email-secret"
EMAIL_FROM = "Brightwave Customer Service <help@brightwave.example>"


@pytest.fixture(scope="session")
def twilio_api() -> Iterator[TwilioApi]:
    with TwilioApi() as api:
        yield api


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    with Mailbox() as box:
        yield box


@pytest.fixture(scope="session")
def channel_stack(tmp_path_factory: pytest.TempPathFactory, twilio_api: TwilioApi,
                  mailbox: Mailbox) -> Iterator[Stack]:
    config = isolated_config(tmp_path_factory.mktemp("channels"), {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_WHATSAPP_NUMBER": WHATSAPP_NUMBER,
        "TWILIO_API_URL": twilio_api.url,
        "SWITCHBOARD_PUBLIC_URL": PUBLIC_URL,
        "TWILIO_VOICE_AGENT_NUMBER": AGENT_NUMBER,
        "SWITCHBOARD_SMTP_HOST": mailbox.host,
        "SWITCHBOARD_SMTP_PORT": str(mailbox.port),
        "SWITCHBOARD_EMAIL_FROM": EMAIL_FROM,
        "SWITCHBOARD_EMAIL_SECRET": EMAIL_SECRET,
    }, rasa_api_token=API_TOKEN)
    with running_stack(config) as running:
        yield running
