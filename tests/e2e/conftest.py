"""The whole stack, started once per test session: sample backend, action server
and Rasa with its SQL tracker store, each on a free loopback port, with its own
databases."""

from collections.abc import Iterator

import pytest

from stack.config import isolated_config
from tests.support.stack import (
    API_TOKEN,
    INTEGRATION_SECRET,
    Conversation,
    Stack,
    running_stack,
)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    config = isolated_config(
        tmp_path_factory.mktemp("stack"),
        {
            "SWITCHBOARD_INTEGRATION_SECRET": INTEGRATION_SECRET,
            # Tests restart the backend right after an outage and go
            # on at once: a short cool-off keeps its breaker out of the
            # next test (tests/e2e/test_outage.py measures the default).
            "BACKEND_BREAKER_COOL_OFF": "1",
        },
        rasa_api_token=API_TOKEN,
    )
    with running_stack(config) as running:
        yield running


@pytest.fixture
def chat(stack: Stack) -> Conversation:
    """A new conversation with a customer nobody has verified."""
    return Conversation(stack)
