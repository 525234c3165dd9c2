"""A customer who writes while a person holds the conversation hears that it is with
the team, instead of silence.

Rasa 3.6 logs a message to a paused conversation and predicts nothing, so after a
hand-over "ok, and where is BW-100003?" or "hello?" got no answer on any channel.
Here such a message (kept for the agent as before: the desk reads it from the
tracker) is answered with the domain's ACK response on the customer's channel, at
most once per quiet period: not again while an acknowledgement or an agent's
message was sent less than SWITCHBOARD_HANDOFF_ACK_QUIET_SECONDS ago. A caller on
the phone is answered every turn (silence on a call is a dead end). The
acknowledgement is a bot message in the tracker like any other, so the desk's
transcript shows it too.
"""

import contextvars
import time
from collections.abc import Mapping
from typing import Any

from rasa.core.actions.action import create_bot_utterance
from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import BotUttered, ConversationPaused, ConversationResumed
from rasa.shared.core.trackers import DialogueStateTracker

ACK = "utter_handoff_ack"
QUIET_ENV = "SWITCHBOARD_HANDOFF_ACK_QUIET_SECONDS"
DEFAULT_QUIET_SECONDS = 600.0
MAX_QUIET_SECONDS = 7 * 24 * 3600.0
ALWAYS = frozenset({"twilio_voice"})  # channels answered on every turn

_rasa_handle_message = MessageProcessor.handle_message
_rasa_prediction_loop = MessageProcessor._run_prediction_loop
# True while the processor handles a message a customer sent (not a reminder or an
# external intent, which also run the prediction loop).
_customer_message = contextvars.ContextVar("customer_message", default=False)


class HandoffAckConfigError(ValueError):
    """SWITCHBOARD_HANDOFF_ACK_QUIET_SECONDS holds a value Rasa cannot start with."""


def quiet_seconds(env: Mapping[str, str]) -> float:
    """The quiet period, checked: a number of seconds from 0 to a week."""
    raw = (env.get(QUIET_ENV) or "").strip()
    if not raw:
        return DEFAULT_QUIET_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= MAX_QUIET_SECONDS:  # also refuses nan
        raise HandoffAckConfigError(
            f"{QUIET_ENV}={raw!r}: expected a number of seconds from 0 to {MAX_QUIET_SECONDS:.0f}"
        )
    return value


def last_heard(tracker: DialogueStateTracker) -> float | None:
    """When the customer last heard from us since the pause (an acknowledgement or an
    agent's message); None when nothing since the pause."""
    for event in reversed(tracker.events):
        if isinstance(event, (ConversationPaused, ConversationResumed)):
            return None
        if isinstance(event, BotUttered):
            metadata = event.metadata or {}
            if metadata.get("utter_action") == ACK or metadata.get("agent"):
                return event.timestamp
    return None


def ack_due(tracker: DialogueStateTracker, channel: str, quiet: float, now: float) -> bool:
    """Whether this message to a paused conversation gets the acknowledgement."""
    if channel in ALWAYS:
        return True
    heard = last_heard(tracker)
    return heard is None or now - heard >= quiet


class HandoffAck:
    """The processor's hooks, with the quiet period read (and checked) once."""

    def __init__(self, quiet: float) -> None:
        self.quiet = quiet

    async def handle_message(self, processor: MessageProcessor, message: UserMessage) -> Any:
        token = _customer_message.set(True)
        try:
            return await _rasa_handle_message(processor, message)
        finally:
            _customer_message.reset(token)

    async def prediction_loop(
        self,
        processor: MessageProcessor,
        output_channel: OutputChannel,
        tracker: DialogueStateTracker,
    ) -> None:
        if (
            _customer_message.get()
            and tracker.is_paused()
            and not processor._should_handle_message(tracker)
            and ack_due(tracker, output_channel.name(), self.quiet, time.time())
        ):
            await self.acknowledge(processor, output_channel, tracker)
        await _rasa_prediction_loop(processor, output_channel, tracker)

    @staticmethod
    async def acknowledge(
        processor: MessageProcessor, output_channel: OutputChannel, tracker: DialogueStateTracker
    ) -> None:
        message = await processor.nlg.generate(ACK, tracker, output_channel.name())
        if not message:
            return
        message["utter_action"] = ACK  # as Rasa marks a response it sends: last_heard finds it
        event = create_bot_utterance(message)
        tracker.update(event)
        await processor.execute_side_effects([event], tracker, output_channel)


def install(env: Mapping[str, str]) -> None:
    """Hook the processor; a bad quiet period stops the start, naming the variable."""
    hooks = HandoffAck(quiet_seconds(env))

    async def handle_message(processor: MessageProcessor, message: UserMessage) -> Any:
        return await hooks.handle_message(processor, message)

    async def prediction_loop(
        processor: MessageProcessor, output_channel: OutputChannel, tracker: DialogueStateTracker
    ) -> None:
        await hooks.prediction_loop(processor, output_channel, tracker)

    MessageProcessor.handle_message = handle_message
    MessageProcessor._run_prediction_loop = prediction_loop
