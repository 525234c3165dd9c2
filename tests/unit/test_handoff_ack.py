"""When a message to a conversation a person holds is acknowledged, and the quiet
period's setting."""

import asyncio

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    Event,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from stack.handoff_ack import (
    ACK,
    DEFAULT_QUIET_SECONDS,
    QUIET_ENV,
    HandoffAck,
    HandoffAckConfigError,
    ack_due,
    quiet_seconds,
)

NOW = 1_000_000.0
QUIET = 600.0


def tracker(*events: Event) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("c", list(events), domain=Domain.empty())


def said(at: float, **metadata: str) -> BotUttered:
    return BotUttered("text", metadata=metadata, timestamp=at)


def user(at: float) -> UserUttered:
    return UserUttered("hello?", timestamp=at)


NOTICE = said(NOW - 5, utter_action="utter_handoff_human_requested")


@pytest.mark.parametrize(
    "events, due",
    [
        # The first message after the pause, whatever the notice before it said.
        ([NOTICE, ConversationPaused(NOW - 5), user(NOW)], True),
        # Acknowledged a minute ago: not again in the same quiet period ...
        (
            [
                ConversationPaused(NOW - 90),
                user(NOW - 60),
                said(NOW - 60, utter_action=ACK),
                user(NOW),
            ],
            False,
        ),
        # ... but again once it is over.
        (
            [
                ConversationPaused(NOW - 900),
                user(NOW - 700),
                said(NOW - 700, utter_action=ACK),
                user(NOW),
            ],
            True,
        ),
        # An agent's message counts as hearing from us: the customer is talking to them.
        ([ConversationPaused(NOW - 90), said(NOW - 30, agent="Dana"), user(NOW)], False),
        # An acknowledgement from an earlier hand-over does not count for this one.
        (
            [
                said(NOW - 60, utter_action=ACK),
                ConversationResumed(NOW - 50),
                ConversationPaused(NOW - 40),
                user(NOW),
            ],
            True,
        ),
    ],
)
def test_once_per_quiet_period(events: list[Event], due: bool) -> None:
    assert ack_due(tracker(*events), "socketio", QUIET, NOW) is due


def test_a_caller_is_answered_every_turn() -> None:
    events = [ConversationPaused(NOW - 90), said(NOW - 10, utter_action=ACK), user(NOW)]
    assert ack_due(tracker(*events), "twilio_voice", QUIET, NOW) is True
    assert ack_due(tracker(*events), "twilio", QUIET, NOW) is False


@pytest.mark.parametrize(
    "raw, seconds", [("", DEFAULT_QUIET_SECONDS), ("0", 0.0), ("90", 90.0), (" 1.5 ", 1.5)]
)
def test_the_quiet_period_setting(raw: str, seconds: float) -> None:
    assert quiet_seconds({QUIET_ENV: raw}) == seconds


@pytest.mark.parametrize("raw", ["-1", "ten", "nan", "inf", "604801"])
def test_a_bad_quiet_period_stops_the_start_naming_the_key(raw: str) -> None:
    with pytest.raises(HandoffAckConfigError, match=QUIET_ENV):
        quiet_seconds({QUIET_ENV: raw})


class Processor:
    """What acknowledge uses of Rasa's MessageProcessor: the domain's responses and
    sending a bot event."""

    def __init__(self) -> None:
        domain = Domain.from_dict(
            {
                "responses": {
                    ACK: [
                        {"text": "With the team."},
                        {"channel": "twilio_voice", "text": "Passed on."},
                    ]
                }
            }
        )
        self.nlg = TemplatedNaturalLanguageGenerator(domain.responses)
        self.sent: list[Event] = []

    async def execute_side_effects(
        self, events: list[Event], tracker: DialogueStateTracker, output_channel: OutputChannel
    ) -> None:
        self.sent += events


def test_the_acknowledgement_is_the_domain_response_and_counts_as_heard() -> None:
    conversation = tracker(ConversationPaused(NOW - 5), user(NOW))
    processor = Processor()
    asyncio.run(
        HandoffAck(QUIET).acknowledge(
            processor,
            CollectingOutputChannel(),  # type: ignore[arg-type]
            conversation,
        )
    )
    [sent] = processor.sent
    assert isinstance(sent, BotUttered) and sent.text == "With the team."
    assert conversation.events[-1] is sent
    assert not ack_due(conversation, "collector", QUIET, sent.timestamp + 1)
