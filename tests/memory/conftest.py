"""The whole stack with every channel and the memory's event sources configured, for
the memory's end-to-end tests (one module at a time)."""

from collections.abc import Iterator

import pytest

from stack.config import isolated_config
from tests.channels.twilio_fake import (
    AGENT_NUMBER,
    TwilioApi,
    whatsapp_env,
)
from tests.memory.support import EVENT_SECRETS
from tests.support.stack import API_TOKEN, INTEGRATION_SECRET, Stack, running_stack


@pytest.fixture(scope="module")
def twilio_api() -> Iterator[TwilioApi]:
    with TwilioApi() as api:
        yield api


@pytest.fixture(scope="module")
def memory_stack(
    tmp_path_factory: pytest.TempPathFactory, twilio_api: TwilioApi
) -> Iterator[Stack]:
    config = isolated_config(
        tmp_path_factory.mktemp("memory-stack"),
        {
            **whatsapp_env(twilio_api.url),
            "TWILIO_VOICE_AGENT_NUMBER": AGENT_NUMBER,
            "SWITCHBOARD_INTEGRATION_SECRET": INTEGRATION_SECRET,
            "MEMORY_EVENT_SECRETS": EVENT_SECRETS,
            # What the assistant knows, not how fast: a loaded CI machine must not turn
            # a slow recall into the memory-down path these tests do not ask for.
            "MEMORY_TIMEOUT": "5",
        },
        rasa_api_token=API_TOKEN,
    )
    with running_stack(config) as running:
        yield running
