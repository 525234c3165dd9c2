"""A conversation's past states built on from its earlier ones are exactly Rasa's:
over the real test stories and rules, for random sequences of the conversation's
event prefixes (growing, shrinking, read back from their JSON as the store does,
changed, rewound), with every set of arguments the policies ask with."""

import itertools
from functools import lru_cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
)
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.importers.importer import TrainingDataImporter

from stack import shared_states
from stack.state_history import Arguments, Histories

PATHS = ["tests/stories", "data/stories", "data/rules"]


@lru_cache(maxsize=1)
def stories() -> tuple[Domain, list[list[Event]]]:
    importer = TrainingDataImporter.load_from_dict(
        domain_path="domain.yml", training_data_paths=PATHS
    )
    domain = importer.get_domain()
    generator = TrainingDataGenerator(
        importer.get_stories(),
        domain,
        augmentation_factor=0,
        use_story_concatenation=False,
        tracker_limit=None,
    )
    return domain, [list(tracker.events) for tracker in generator.generate_story_trackers()]


def rule_only_data(domain: Domain) -> dict[str, Any]:
    """Some of the domain's slots and forms, as RulePolicy's rule-only data names them."""
    return {"slots": [slot.name for slot in domain.slots[::3]], "loops": domain.form_names[::2]}


def arguments(domain: Domain) -> list[Arguments]:
    return [
        Arguments(),
        Arguments(omit_unset_slots=True),
        Arguments(ignore_rule_only_turns=True, rule_only_data=rule_only_data(domain)),
        Arguments(ignore_rule_only_turns=True, rule_only_data=None),
        Arguments(ignore_rule_only_turns=False, rule_only_data=rule_only_data(domain)),
    ]


def rasa_states(tracker: DialogueStateTracker, domain: Domain, arguments: Arguments) -> list[State]:
    return shared_states._rasa_past_states(
        tracker,
        domain,
        omit_unset_slots=arguments.omit_unset_slots,
        ignore_rule_only_turns=arguments.ignore_rule_only_turns,
        rule_only_data=arguments.rule_only_data,
    )


def read_back(events: list[Event]) -> list[Event]:
    """The events as the tracker store gives them: new objects from their JSON."""
    return [Event.from_parameters(event.as_dict()) for event in events]


def hidden(events: list[Event], every: int | None) -> list[Event]:
    """Every `every`-th action marked a rule-only turn, as RulePolicy marks its own."""
    if every is None:
        return events
    actions = itertools.count()
    return [
        ActionExecuted(event.action_name, hide_rule_turn=True, timestamp=event.timestamp)
        if isinstance(event, ActionExecuted) and next(actions) % every == 0
        else event
        for event in events
    ]


REWINDS = [UserUtteranceReverted, ActionReverted, Restarted]

# One call: (prefix length as a share of the story, read back from JSON from its
# session's start, an event changed at a share of the prefix, a rewind inserted at a
# share of the prefix).
CALL = st.tuples(
    st.floats(0, 1),
    st.booleans(),
    st.none() | st.floats(0, 1),
    st.none() | st.tuples(st.floats(0, 1), st.sampled_from(REWINDS)),
)


def conversation_events(events: list[Event], call: tuple[Any, ...]) -> list[Event]:
    share, from_json, changed, rewind = call
    prefix = list(events[: round(share * len(events))])
    if rewind is not None and prefix:
        place, kind = rewind
        prefix.insert(round(place * len(prefix)), kind())
    if from_json:  # the store reads back from the last session start or restart on
        starts = [i for i, e in enumerate(prefix) if isinstance(e, Restarted | SessionStarted)]
        prefix = read_back(prefix[starts[-1] if starts else 0 :])
    if changed is not None and prefix:
        place = min(round(changed * len(prefix)), len(prefix) - 1)
        prefix[place:place] = [SlotSet("knowledge_factor", "changed"), ActionExecuted("x")]
    return prefix


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    story=st.integers(0),
    hide=st.none() | st.integers(1, 4),
    calls=st.lists(CALL, min_size=1, max_size=6),
)
def test_the_states_are_rasas_at_every_call(
    story: int, hide: int | None, calls: list[tuple[Any, ...]]
) -> None:
    domain, all_events = stories()
    events = hidden(all_events[story % len(all_events)], hide)
    histories = Histories(conversations=1)
    for call in calls:
        tracker = DialogueStateTracker.from_events(
            "c", conversation_events(events, call), domain.slots
        )
        for each in arguments(domain):
            assert histories.past_states(tracker, domain, each) == rasa_states(
                tracker, domain, each
            )


def test_a_conversation_grown_event_by_event_has_rasas_states() -> None:
    domain, all_events = stories()
    histories = Histories(conversations=2)
    for events in [*all_events, *(hidden(events, 2) for events in all_events)]:
        for length in range(len(events) + 1):
            tracker = DialogueStateTracker.from_events("c", events[:length], domain.slots)
            for each in arguments(domain):
                assert histories.past_states(tracker, domain, each) == rasa_states(
                    tracker, domain, each
                )


def test_another_domain_builds_the_states_again() -> None:
    domain, all_events = stories()
    other = Domain.from_dict(domain.as_dict())
    histories = Histories(conversations=1)
    tracker = DialogueStateTracker.from_events("c", max(all_events, key=len), domain.slots)
    histories.past_states(tracker, domain, Arguments())
    history = histories.by_sender["c"].histories[Arguments()]
    histories.past_states(tracker, other, Arguments())
    assert histories.by_sender["c"].histories[Arguments()] is not history


def test_only_the_latest_conversations_are_kept() -> None:
    domain, all_events = stories()
    histories = Histories(conversations=2)
    for sender in ["a", "b", "c", "b"]:
        tracker = DialogueStateTracker.from_events(sender, all_events[0], domain.slots)
        histories.past_states(tracker, domain, Arguments())
    assert list(histories.by_sender) == ["c", "b"]


def test_at_least_one_conversation() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Histories(conversations=0)


def test_a_conversation_read_back_from_its_session_start_is_carried_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The turn's tracker holds the events before its session started, the store's
    read starts at the session: the applied events are still found on from the
    earlier call's, not again from the first."""
    domain, all_events = stories()
    story = [e for e in max(all_events, key=len) if not isinstance(e, Restarted | SessionStarted)]
    events = [ActionExecuted("action_session_start"), SessionStarted(), *story]
    histories = Histories(conversations=1)
    first = DialogueStateTracker.from_events("c", events, domain.slots)
    histories.past_states(first, domain, Arguments())
    found: list[int] = []
    rasa = DialogueStateTracker.applied_events

    def counting(tracker: DialogueStateTracker) -> list[Event]:
        found.append(len(tracker.events))
        return rasa(tracker)

    monkeypatch.setattr(DialogueStateTracker, "applied_events", counting)
    later = [*read_back(events[1:]), ActionExecuted("action_listen")]
    second = DialogueStateTracker.from_events("c", later, domain.slots)
    assert histories.past_states(second, domain, Arguments()) == rasa_states(
        second, domain, Arguments()
    )
    assert found == [len(later)]  # Rasa's own, for the comparison only
