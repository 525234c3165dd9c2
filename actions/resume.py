"""Resume anywhere: a journey's answers so far are kept in the customer memory (its
owner, contract K3) after every answer, and forgotten once the journey is finished or
declined. When the customer asks for the same journey again, in the same session or
on another channel, after verification, the form first offers to go on with what was
already given (actions/journey.py asks; actions/resume_offer.py words it).

Never a yes to a change is kept: only the answers each journey names (`kept`). With
the memory off or down nothing is kept or offered and the journey starts afresh.
"""

from typing import Any

from rasa_sdk import Tracker

from actions import memory_client

RESUME = "journey_resume"  # the customer's answer to the offer to go on
PAUSED = "journey_paused"  # the answers the memory kept, while the offer is open
MAX_ANSWER_CHARS = 500


def _key(customer_id: str, goal: str) -> str:
    return f"journey:{customer_id}:{goal}"


def keep(tracker: Tracker, customer_id: str, goal: str, answers: dict[str, Any]) -> None:
    """Keep the answers so far in the memory (in the background, the newest wins)."""
    given = {slot: str(value)[:MAX_ANSWER_CHARS] for slot, value in answers.items() if value}
    if not given:
        return
    body = {
        "conversation_id": tracker.sender_id,
        "channel": tracker.get_latest_input_channel() or "default",
        "answers": given,
    }
    memory_client.newest(
        _key(customer_id, goal), "keeping a journey's answers", "journey", customer_id, goal, body
    )


def forget(customer_id: str, goal: str) -> None:
    """Forget the journey's answers: it is finished, declined or started afresh."""
    memory_client.newest(
        _key(customer_id, goal), "forgetting a journey", "journey", customer_id, goal, None
    )


async def kept(customer_id: str, goal: str, slots: list[str]) -> dict[str, str] | None:
    """The answers kept for this journey (only the slots it names), or None."""
    found = await memory_client.ask("finding a paused journey", "journeys", customer_id)
    for journey in (found or {}).get("journeys") or []:
        if isinstance(journey, dict) and journey.get("goal") == goal:
            answers = journey.get("answers") or {}
            given = {s: str(v) for s, v in answers.items() if s in slots and v}
            return given or None
    return None
