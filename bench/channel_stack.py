"""The whole stack with every channel configured, as tests/channels/conftest.py
configures it: Twilio's API replaced by the tests' recorder, e-mail replies going
to the tests' SMTP server. For the benchmarks that drive every channel."""

import dataclasses
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from stack.config import isolated_config
from stack.credentials import without_rate_limits
from tests.channels.conftest import EMAIL_FROM, EMAIL_SECRET
from tests.channels.mailbox import Mailbox
from tests.channels.twilio_fake import (
    ACCOUNT_SID,
    AGENT_NUMBER,
    AUTH_TOKEN,
    PUBLIC_URL,
    WHATSAPP_NUMBER,
    TwilioApi,
)
from tests.support.stack import API_TOKEN, Stack, running_stack


def channel_env(twilio: TwilioApi, mailbox: Mailbox) -> dict[str, str]:
    return {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_WHATSAPP_NUMBER": WHATSAPP_NUMBER,
        "TWILIO_API_URL": twilio.url,
        "SWITCHBOARD_PUBLIC_URL": PUBLIC_URL,
        "TWILIO_VOICE_AGENT_NUMBER": AGENT_NUMBER,
        "SWITCHBOARD_SMTP_HOST": mailbox.host,
        "SWITCHBOARD_SMTP_PORT": str(mailbox.port),
        "SWITCHBOARD_EMAIL_FROM": EMAIL_FROM,
        "SWITCHBOARD_EMAIL_SECRET": EMAIL_SECRET,
        # The enterprise's event source, as a deployment configures it (the fuzz then
        # meets the signature check, not the endpoint switched off).
        "MEMORY_EVENT_SECRETS": f"crm={'e' * 40}",
        # A benchmark fuzzes or loads the services, not their limiters.
        "ANALYTICS_RATE_LIMIT": "100000/minute",
        "OUTREACH_RATE_LIMIT": "100000/minute",
    }


@contextmanager
def channel_stack(prefix: str, extra_env: Mapping[str, str] | None = None) -> Iterator[Stack]:
    """The stack on free ports in a temp dir, its channels without rate limits (a
    benchmark fuzzes or loads the assistant, not the limiter), stopped (with the
    fakes) on leaving; extra_env added to every service's environment."""
    with (
        tempfile.TemporaryDirectory(prefix=prefix) as home,
        TwilioApi() as twilio,
        Mailbox() as mailbox,
    ):
        env = {**channel_env(twilio, mailbox), **(extra_env or {})}
        config = isolated_config(Path(home), env, rasa_api_token=API_TOKEN)
        config = dataclasses.replace(config, credentials=without_rate_limits(Path(home)))
        with running_stack(config) as stack:
            yield stack
