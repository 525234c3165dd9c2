"""What an agent may do with a hand-over in which state, and what the customer sees.

Each move is checked against the hand-over's state first (Conflict with the reason),
then told to the conversation through Rasa, and only then stored: when Rasa fails,
nothing changes and the agent can try again.
"""

from dataclasses import dataclass
from typing import Callable, Dict, FrozenSet, List, Optional

from common.errors import Conflict
from desk.models import CLAIMED, CLOSED, HANDED_BACK, OPEN, UNCLAIMED, Handoff
from desk.rasa_client import Event

BACK_WITH_ASSISTANT = ("You're back with Brightwave's virtual assistant. I'll carry on from "
                       "here: just tell me what else you need.")
# After `resume` the assistant listens again: without this, Rasa's last action is still
# the one that paused the conversation, and the next prediction starts from there.
RESUME: List[Event] = [{"event": "resume"}, {"event": "action", "name": "action_listen"}]
CLOSING = ("Thank you for contacting Brightwave. This conversation is closed; if you need "
           "anything else, write here and Brightwave's virtual assistant will help.")


def agent_says(text: str, agent: str, handoff: Handoff) -> Event:
    """A bot message sent on an agent's behalf, marked as theirs."""
    return {"event": "bot", "text": text,
            "metadata": {"agent": agent, "handoff_id": handoff.id}}


@dataclass(frozen=True)
class Move:
    """An agent's move: the states it starts from, the state it ends in (None: no
    change) and the events it appends to the conversation."""

    name: str
    allowed_from: FrozenSet[str]
    to: Optional[str]
    events: Callable[[Handoff, str, str], List[Event]]  # (handoff, agent, text)


MOVES: Dict[str, Move] = {move.name: move for move in (
    Move("claim", frozenset(UNCLAIMED), CLAIMED, lambda h, agent, text: [
        agent_says(f"{agent} from Brightwave has joined the conversation.", agent, h)]),
    Move("reply", frozenset({CLAIMED}), None, lambda h, agent, text: [
        agent_says(text, agent, h)]),
    Move("hand_back", frozenset({CLAIMED}), HANDED_BACK, lambda h, agent, text: [
        agent_says(BACK_WITH_ASSISTANT, agent, h), *RESUME]),
    Move("close", frozenset(OPEN), CLOSED, lambda h, agent, text: [
        agent_says(CLOSING, agent, h), *RESUME]),
)}


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
        raise Conflict(f"cannot {move.name.replace('_', ' ')} hand-over {handoff.id}: it is "
                       f"{handoff.status.replace('_', ' ')}{hint}")


def check_rating(handoff: Handoff) -> None:
    """A packet is rated by someone who has worked with it."""
    if handoff.agent is None:
        raise Conflict(f"cannot rate hand-over {handoff.id} before an agent has claimed it")
