"""A frozen backend (SIGSTOP: connections are accepted, nothing answers), with the
default breaker settings: the apology comes fast once the breaker is open, never
later than Twilio's 15 s before; a hand-over is queued at once with what is known;
a postcode given during the outage is checked once the backend is back."""

import os
import signal
import time
from contextlib import contextmanager
from typing import Iterator, Tuple

import pytest

from stack.config import isolated_config
from tests.support.stack import (
    API_TOKEN, INTEGRATION_SECRET, Conversation, Stack, running_stack, vouched,
)

FACTOR_QUESTION = "postcode, the e-mail address or the date of birth"
APOLOGY = "can't reach our systems"
TWILIO_LIMIT = 15.0
FAST = 3.0
COOL_OFF = 5.0  # BACKEND_BREAKER_COOL_OFF's default


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack of its own: the e2e stack shortens the breaker's cool-off."""
    config = isolated_config(tmp_path_factory.mktemp("outage"),
                             {"SWITCHBOARD_INTEGRATION_SECRET": INTEGRATION_SECRET},
                             rasa_api_token=API_TOKEN)
    with running_stack(config) as running:
        yield running


@contextmanager
def frozen_backend(stack: Stack) -> Iterator[None]:
    assert stack.backend
    os.killpg(stack.backend.process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(stack.backend.process.pid, signal.SIGCONT)


def timed(chat: Conversation, text: str) -> Tuple[str, float]:
    started = time.monotonic()
    reply = chat.say(text)
    return reply, time.monotonic() - started


def test_a_frozen_backend_fails_fast_hands_over_at_once_and_keeps_the_factor(
        stack: Stack) -> None:
    chat = Conversation(stack)
    assert FACTOR_QUESTION in chat.say("where is my order BW-100002")
    with frozen_backend(stack):
        # The first calls wait out their timeouts and open the breaker ...
        reply, first = timed(Conversation(stack), "where is my order BW-100003")
        assert APOLOGY in reply and first < TWILIO_LIMIT
        reply, second = timed(chat, "98096")
        assert APOLOGY in reply and second < TWILIO_LIMIT
        # ... then every customer hears the apology at once.
        reply, fast = timed(Conversation(stack), "where is my order BW-100004")
        assert APOLOGY in reply and fast < FAST, fast
        # A hand-over is queued at the desk at once, with what is known.
        signed_in = vouched(stack, "C-1002")
        reply, handover = timed(signed_in, "I want to talk to a person")
        assert handover < FAST, handover
        queued = [h for h in stack.agent().get("/api/handoffs").json()
                  if h["conversation_id"] == signed_in.sender]
        assert len(queued) == 1
        packet = queued[0]["packet"]
        # Who the customer is, without what could not be read (their name and tier).
        assert packet["customer"]["customer_id"] == "C-1002"
        assert packet["customer"]["name"] is None
    time.sleep(COOL_OFF + 0.5)
    # The postcode given during the outage is checked now: no need to give it again.
    answer = chat.say("is it working again? where is my order BW-100002")
    assert FACTOR_QUESTION not in answer
    assert "carrier capacity shortage" in answer
    print(f"\noutage timings: first {first:.1f} s, second {second:.1f} s, "
          f"breaker open {fast:.2f} s, hand-over {handover:.2f} s")
