"""A whole stack for the attacks on the public channels, with small rate limits of
its own (a copy of credentials.yml, SWITCHBOARD_CREDENTIALS) so that a test can
run into them within seconds."""

import dataclasses
from collections.abc import Iterator

import pytest

from stack.config import isolated_config
from stack.credentials import credentials_with
from tests.support.stack import API_TOKEN, INTEGRATION_SECRET, Stack, running_stack

REST_SENDER_LIMIT = 8  # messages per minute per sender
REST_POLL_SENDER_LIMIT = 5
WEBCHAT_SESSION_LIMIT = 5
SMALL_LIMITS = {
    "connectors.rest.RestInput": {
        "rate_limits": {
            "client": "600/minute",
            "sender": f"{REST_SENDER_LIMIT}/minute",
            "poll_client": "1200/minute",
            "poll_sender": f"{REST_POLL_SENDER_LIMIT}/minute",
        }
    },
    "connectors.webchat.WebChatInput": {
        "rate_limits": {"client": "120/minute", "session": f"{WEBCHAT_SESSION_LIMIT}/minute"}
    },
}


@pytest.fixture(scope="session")
def web_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    home = tmp_path_factory.mktemp("security-web")
    config = isolated_config(
        home, {"SWITCHBOARD_INTEGRATION_SECRET": INTEGRATION_SECRET}, rasa_api_token=API_TOKEN
    )
    config = dataclasses.replace(config, credentials=credentials_with(home, SMALL_LIMITS))
    with running_stack(config) as running:
        yield running
