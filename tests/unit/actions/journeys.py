"""What the tests of the lifecycle journeys share: running an action while checking
that every response it says exists with all its variables, the assistant's whole
domain, and a journey's form at work for a customer who opened with a request."""

from functools import lru_cache
from typing import Any

from rasa.shared.core.domain import Domain
from rasa_sdk import Action, Tracker

from actions.responses import placeholders
from actions.responses import responses as domain_responses
from stack.processes import ROOT
from tests.unit.actions.conftest import run as run_in
from tests.unit.actions.conftest import slots_set, tracker


def run(action: Action, track: Tracker, domain: dict[str, Any] | None = None) -> Any:
    """conftest's run(), also checking every response said exists with all its variables."""
    events, said = run_in(action, track, domain)
    for name, words in said:
        assert name in domain_responses() and placeholders(str(name)) <= set(words), name
    return events, said


@lru_cache(maxsize=1)
def domain() -> dict[str, Any]:
    return Domain.load(str(ROOT / "domain.yml")).as_dict()


def in_form(
    form: str, goal: str, opening: str, slots: dict[str, Any], text: str, intent: str = "inform"
) -> Tracker:
    """The form running for a verified customer who opened with `opening` (the goal's
    intent), now saying `text`."""
    track = tracker(slots, text=text, intent=intent, active_loop=form)
    track.events.insert(
        3,
        {
            "event": "user",
            "text": opening,
            "timestamp": 1.5,
            "parse_data": {"text": opening, "intent": {"name": goal, "confidence": 0.9}},
        },
    )
    return track


def form_turn(validation: Action, track: Tracker) -> dict[str, Any]:
    """The slots one reply sets; the form's validation says nothing itself."""
    events, said = run(validation, track, domain())
    assert said == []
    return slots_set(events)
