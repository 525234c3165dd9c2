"""A tracker's past states shared by the policies: the same as Rasa computes them,
never those of an earlier step of the conversation, and each caller's own copy."""

from collections.abc import Iterator
from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from stack import shared_states
from stack.state_history import Arguments, Histories

DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [greet, order_status]
entities: [order_id]
slots:
  order_id:
    type: text
    mappings: [{type: from_entity, entity: order_id}]
  verified:
    type: bool
    mappings: [{type: custom}]
forms:
  order_form:
    required_slots: [order_id]
actions: [action_order_status]
""")
RULE_ONLY = {"slots": ["verified"], "loops": ["order_form"]}
ARGUMENTS: list[dict[str, Any]] = [
    {},
    {"omit_unset_slots": True},
    {"ignore_rule_only_turns": True, "rule_only_data": RULE_ONLY},
    {"ignore_rule_only_turns": False, "rule_only_data": RULE_ONLY},
]


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Arguments]]:
    """shared_states installed (with histories of its own); each time it asks them
    for the states."""
    made: list[Arguments] = []
    histories = Histories(conversations=10)
    build = histories.past_states

    def counting(tracker: DialogueStateTracker, domain: Domain, arguments: Arguments) -> Any:
        made.append(arguments)
        return build(tracker, domain, arguments)

    monkeypatch.setattr(histories, "past_states", counting)
    monkeypatch.setattr(shared_states, "HISTORIES", histories)
    monkeypatch.setattr(DialogueStateTracker, "past_states", shared_states.past_states)
    yield made


def rasa_states(tracker: DialogueStateTracker, **kwargs: Any) -> Any:
    return shared_states._rasa_past_states(tracker, DOMAIN, **kwargs)


def conversation() -> DialogueStateTracker:
    tracker = DialogueStateTracker("c", DOMAIN.slots)
    for event in [
        ActionExecuted("action_listen"),
        UserUttered("hi", {"name": "greet", "confidence": 1.0}),
        ActionExecuted("order_form"),
        ActiveLoop("order_form"),
        SlotSet("verified", True),
        ActionExecuted("action_listen"),
        UserUttered(
            "BW-1",
            {"name": "order_status", "confidence": 1.0},
            [{"entity": "order_id", "value": "BW-1", "start": 0, "end": 4}],
        ),
    ]:
        tracker.update(event)
    return tracker


@pytest.mark.parametrize("kwargs", ARGUMENTS)
def test_the_states_are_rasas(calls: list[Arguments], kwargs: dict[str, Any]) -> None:
    tracker = conversation()
    assert tracker.past_states(DOMAIN, **kwargs) == rasa_states(tracker, **kwargs)
    assert tracker.past_states(DOMAIN, **kwargs) == rasa_states(tracker, **kwargs)


def test_the_same_question_is_answered_once_per_step(calls: list[Arguments]) -> None:
    tracker = conversation()
    for kwargs in ARGUMENTS + ARGUMENTS:
        tracker.past_states(DOMAIN, **kwargs)
    assert len(calls) == len(ARGUMENTS)


def test_a_tracker_that_moved_on_is_not_given_its_earlier_states(
    calls: list[Arguments],
) -> None:
    tracker = conversation()
    before = tracker.past_states(DOMAIN)
    tracker.update(SlotSet("order_id", "BW-1"))
    tracker.update(ActionExecuted("action_order_status"))
    after = tracker.past_states(DOMAIN)
    assert after != before
    assert after == rasa_states(tracker)
    # Another tracker, even one with as many events, has its own states.
    other = conversation()
    other.update(SlotSet("verified", False))
    other.update(ActionExecuted("action_order_status"))
    assert other.past_states(DOMAIN) == rasa_states(other) != after


def test_each_caller_gets_its_own_copy(calls: list[Arguments]) -> None:
    tracker = conversation()
    first = tracker.past_states(DOMAIN)
    for state in first:  # as the featurizer does to the last user sub-state
        state.pop("user", None)
        for sub_state in state.values():
            sub_state.clear()
    assert tracker.past_states(DOMAIN) == rasa_states(tracker)


def test_the_sub_states_hold_only_strings_and_tuples(calls: list[Arguments]) -> None:
    """What makes `copied` a deep copy."""
    tracker = conversation()
    tracker.update(SlotSet("order_id", "BW-1"))
    for kwargs in ARGUMENTS:
        for state in rasa_states(tracker, **kwargs):
            for sub_state in state.values():
                assert all(isinstance(v, str | tuple) for v in sub_state.values())
                assert all(
                    isinstance(x, str | int | float)
                    for v in sub_state.values()
                    for x in v
                    if isinstance(v, tuple)
                )
