"""What an agent may do with a hand-over in which state, and what the customer sees
(the templates of the desk's settings, `agent_messages`).

Each move is checked against the hand-over's state first (Conflict with the reason),
then told to the conversation through Rasa, and only then stored: when Rasa fails,
nothing changes and the agent can try again.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from common.errors import Conflict
from desk.models import CLAIMED, CLOSED, HANDED_BACK, OPEN, UNCLAIMED, Handoff
from desk.rasa_client import Event
from desk.wording import AgentWording

# After `resume` the assistant listens again: without this, Rasa's last action is still
# the one that paused the conversation, and the next prediction starts from there.
RESUME: list[Event] = [{"event": "resume"}, {"event": "action", "name": "action_listen"}]


def agent_says(text: str, agent: str, handoff: Handoff) -> Event:
    """A bot message sent on an agent's behalf, marked as theirs."""
    return {"event": "bot", "text": text, "metadata": {"agent": agent, "handoff_id": handoff.id}}


@dataclass(frozen=True)
class Move:
    """An agent's move: the states it starts from, the state it ends in (None: no
    change) and the events it appends to the conversation."""

    name: str
    allowed_from: frozenset[str]
    to: str | None
    # (handoff, agent, the agent's text, the wording of the desk's settings)
    events: Callable[[Handoff, str, str, AgentWording], list[Event]]


MOVES: dict[str, Move] = {
    move.name: move
    for move in (
        Move(
            "claim",
            frozenset(UNCLAIMED),
            CLAIMED,
            lambda h, agent, text, said: [agent_says(said.say("joined", agent), agent, h)],
        ),
        Move(
            "reply",
            frozenset({CLAIMED}),
            None,
            lambda h, agent, text, said: [agent_says(text, agent, h)],
        ),
        Move(
            "hand_back",
            frozenset({CLAIMED}),
            HANDED_BACK,
            lambda h, agent, text, said: [
                agent_says(said.say("handed_back", agent), agent, h),
                *RESUME,
            ],
        ),
        Move(
            "close",
            frozenset(OPEN),
            CLOSED,
            lambda h, agent, text, said: [agent_says(said.say("closed", agent), agent, h), *RESUME],
        ),
    )
}


ENDING = frozenset({HANDED_BACK, CLOSED})  # the moves that end an agent's work on it


def with_agent_time(events: list[Event], handoff: Handoff, moment: datetime) -> list[Event]:
    """A move that ends the hand-over: its message to the customer carries the agent's
    claim-to-close time (`agent_seconds` in its metadata, 0 when nobody claimed it),
    so that the analytics service reads it from Rasa's events (issue #15's agent time)
    without reading the desk's tables."""
    claimed = handoff.claimed_at
    seconds = max(0, round((moment - claimed).total_seconds())) if claimed else 0
    marked = False
    found = []
    for event in events:
        if not marked and event.get("event") == "bot":
            event = {**event, "metadata": {**event.get("metadata", {}), "agent_seconds": seconds}}
            marked = True
        found.append(event)
    return found


def check(move: Move, handoff: Handoff, agent: str, may_take_over: bool = False) -> None:
    """Conflict unless the agent may make the move now. A claimed hand-over is only
    ever moved by the agent who holds it; a supervisor (may_take_over) may claim it
    from them and then holds it."""
    if handoff.status == CLAIMED and handoff.agent != agent:
        if move.name == "claim" and may_take_over:
            return
        raise Conflict(f"hand-over {handoff.id} is claimed by {handoff.agent}")
    if handoff.status not in move.allowed_from:
        hint = " (claim it first)" if handoff.status in UNCLAIMED else ""
        raise Conflict(
            f"cannot {move.name.replace('_', ' ')} hand-over {handoff.id}: it is "
            f"{handoff.status.replace('_', ' ')}{hint}"
        )


def check_rating(handoff: Handoff) -> None:
    """A packet is rated by someone who has worked with it."""
    if handoff.agent is None:
        raise Conflict(f"cannot rate hand-over {handoff.id} before an agent has claimed it")
