"""The ledger of agents' messages' outcomes, and how the desk reads it."""

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from connectors.delivery import (
    DELIVERED,
    FAILED,
    NOT_SENT,
    WAITING,
    Deliveries,
    agent_stamp,
    offline_mark,
    state_of,
)
from connectors.state import ChannelState
from desk.conversation import messages_since
from stack.desk_endpoint import messages

STAMP = 1_764_460_800.123456


def ledger(tmp_path: Path) -> Deliveries:
    return Deliveries(ChannelState(f"sqlite:///{tmp_path / 'channels.db'}"))


def test_only_agents_messages_have_a_stamp() -> None:
    assert agent_stamp({"agent": "Dana", "timestamp": STAMP}) == STAMP
    assert agent_stamp({"timestamp": STAMP}) is None  # the assistant's own
    assert agent_stamp({"agent": " ", "timestamp": STAMP}) is None
    assert agent_stamp({"agent": "Dana", "timestamp": "soon"}) is None


def test_an_outcome_is_kept_per_message_and_the_latest_wins(tmp_path: Path) -> None:
    kept = ledger(tmp_path)
    asyncio.run(kept.record("c1", STAMP, FAILED))
    assert state_of(asyncio.run(kept.states("c1")), STAMP) == FAILED
    asyncio.run(kept.record("c1", STAMP, DELIVERED))  # sent again, and it went through
    states = asyncio.run(kept.states("c1"))
    assert state_of(states, STAMP) == DELIVERED
    assert state_of(states, STAMP + 1) == WAITING  # nothing known yet
    assert asyncio.run(kept.states("c2")) == {}
    asyncio.run(kept.record("c1", None, NOT_SENT))  # the assistant's message: not kept
    assert len(asyncio.run(kept.states("c1"))) == 1


def test_the_desk_sees_each_agents_message_with_its_state(tmp_path: Path) -> None:
    events = [
        UserUttered("hello?", timestamp=STAMP - 2),
        BotUttered("With the team.", metadata={"utter_action": "x"}, timestamp=STAMP - 1),
        BotUttered("Dana here.", metadata={"agent": "Dana"}, timestamp=STAMP),
    ]
    tracker = DialogueStateTracker.from_events("c1", events, domain=Domain.empty())
    read = messages(tracker, {repr(STAMP): DELIVERED})
    assert [m.get("delivery") for m in read] == [None, None, DELIVERED]
    assert "delivery" not in messages(tracker, None)[2]  # states unreadable: not guessed
    shown = messages_since(read, datetime.fromtimestamp(STAMP - 10, UTC))
    assert [m.get("delivery") for m in shown] == [None, None, DELIVERED]
    unknown = messages_since(messages(tracker, None), datetime.fromtimestamp(0, UTC))
    assert unknown[-1]["delivery"] == "unknown"


def test_the_desks_mark_for_offline_channels() -> None:
    assert offline_mark({"offline": {"send": False}}) == {"send": False}
    assert offline_mark({"offline": "yes"}) == {} and offline_mark({}) == {}
