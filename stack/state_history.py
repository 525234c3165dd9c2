"""A conversation's past states built on from those of its earlier events.

Rasa's `past_states` (Domain.states_for_tracker_history) replays every applied event
of the conversation on a fresh tracker and builds a state at each action, so a turn
costs more the longer the conversation. Yet the state at an action depends only on
the applied events before it and on what the loop carried from the states before
(for rule-only turns: whether the turn is hidden, the last ML action, the last
state). So the states, and what the loop carried after each, are kept per
conversation; a later call reuses those of the actions within the applied events it
shares with the earlier one, and builds the rest. Only the last state (the tracker
after every event, not at an action) is always built, since events after it change
it.

Two calls share an applied event when it is the same object (the store's decoded
events and a turn's running tracker keep them) or when it serialises the same (a
turn's events come back from the store as new objects, and a minimised event as a
different one, from which the states are then built again). The running tracker is
kept when the new applied events extend all of the earlier ones; otherwise the
shared ones are replayed on a fresh tracker without building their states (a form's
repeated action undoes events within the list). The applied events themselves are
found on from the earlier ones in the same way, event by event with Rasa's own loop.

Used from Rasa's event loop only (the policies' predictions), so it needs no lock.
"""

import json
import operator
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from rasa.shared.core.constants import PREVIOUS_ACTION
from rasa.shared.core.domain import Domain, State, SubState
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker


@dataclass(frozen=True)
class Carried:
    """What Rasa's loop carries from one state to the next (rule-only turns only)."""

    last_ml_action: SubState | None = None
    turn_was_hidden: bool = False
    last_state: State | None = None


@dataclass(frozen=True)
class Step:
    """The state built at the applied event `index` (an action), and what is carried
    after it; `state` is None for a hidden rule-only turn."""

    index: int
    state: State | None
    carried: Carried


@dataclass(frozen=True)
class Arguments:
    """past_states' arguments; equal when the rule-only data reads the same."""

    omit_unset_slots: bool = False
    ignore_rule_only_turns: bool = False
    rule_only_data: dict[str, Any] | None = field(default=None, compare=False)
    rule_only_key: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rule_only_key", repr(self.rule_only_data))


@dataclass
class Applied:
    """A conversation's events from its session's start, the names of the loops all
    its events activate, and the events they apply (found once for every set of
    arguments)."""

    events: list[Event] = field(default_factory=list)
    loop_names: set[str] = field(default_factory=set)
    applied: list[Event] = field(default_factory=list)


@dataclass
class History:
    """For one set of arguments: the applied events the states were last built from,
    the steps at their actions, and a tracker with all of them applied."""

    domain: Domain
    applied: list[Event] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    tracker: DialogueStateTracker | None = None


def build_state(
    domain: Domain,
    tracker: DialogueStateTracker,
    hide_rule_turn: bool,
    carried: Carried,
    arguments: Arguments,
) -> tuple[State | None, Carried]:
    """One iteration of Domain.states_for_tracker_history's loop: the state of the
    tracker before an action (or after the last event), None for a hidden turn."""
    last_ml_action, turn_was_hidden = carried.last_ml_action, carried.turn_was_hidden
    if arguments.ignore_rule_only_turns:
        if not turn_was_hidden:
            last_ml_action = domain._get_prev_action_sub_state(tracker)
        if not tracker.followup_action and tracker.latest_action_name != tracker.active_loop_name:
            turn_was_hidden = hide_rule_turn
        if turn_was_hidden:
            return None, Carried(last_ml_action, turn_was_hidden, carried.last_state)
    state = domain.get_active_state(tracker, omit_unset_slots=arguments.omit_unset_slots)
    if arguments.ignore_rule_only_turns:
        domain._remove_rule_only_features(state, arguments.rule_only_data)
        if carried.last_state is not None:
            domain._substitute_rule_only_user_input(state, carried.last_state)
        if last_ml_action:
            state[PREVIOUS_ACTION] = last_ml_action
    state = domain._clean_state(state)
    return state, Carried(last_ml_action, turn_was_hidden, state)


def same_event(earlier: Event, later: Event) -> bool:
    """The same object, or the same JSON (a turn's events read back from the store
    hold lists where the turn's own held tuples)."""
    if earlier is later:
        return True
    if type(earlier) is not type(later):
        return False
    text = as_json(earlier)
    return text is not None and text == as_json(later)


def as_json(event: Event) -> str | None:
    try:
        return json.dumps(event.as_dict(), sort_keys=True)
    except (TypeError, ValueError):  # not the store's JSON: no other event is the same
        return None


def shared_length(earlier: list[Event], later: list[Event]) -> int:
    """How many events, from the first, the two lists share."""
    identical = list(map(operator.is_, earlier, later))  # in C: most are the same objects
    length = 0
    while True:
        try:
            length = identical.index(False, length)
        except ValueError:
            return len(identical)
        if not same_event(earlier[length], later[length]):
            return length
        length += 1


def apply(
    tracker: DialogueStateTracker, applied: list[Event], event: Event, loops: set[str]
) -> None:
    """One iteration of DialogueStateTracker.applied_events' loop: `event` applied to
    (or undoing events of) `applied`."""
    if isinstance(event, Restarted | SessionStarted):
        applied.clear()
    elif isinstance(event, ActionReverted):
        tracker._undo_till_previous(ActionExecuted, applied)
    elif isinstance(event, UserUtteranceReverted):
        tracker._undo_till_previous(UserUttered, applied)
        tracker._undo_till_previous(ActionExecuted, applied)
    elif (
        isinstance(event, ActionExecuted)
        and event.action_name in loops
        and not tracker._first_loop_execution_or_unhappy_path(event.action_name, applied)
    ):
        tracker._undo_till_previous_loop_execution(event.action_name, applied)
    else:
        applied.append(event)


def kind(event: Event) -> type[Event] | None:
    """Restarted or SessionStarted (which clear the applied events), ActiveLoop, or
    None: by the event's class, remembered (isinstance on Rasa's event classes walks
    their ABC machinery on every call)."""
    cls = type(event)
    if cls not in _KINDS:
        found = [k for k in (Restarted, SessionStarted, ActiveLoop) if issubclass(cls, k)]
        _KINDS[cls] = found[0] if found else None
    return _KINDS[cls]


_KINDS: dict[type[Event], type[Event] | None] = {}


def session(events: list[Event]) -> tuple[list[Event], set[str]]:
    """The events from the last restart or session start (applying one clears the
    applied events), and the names of the loops any event activates."""
    start, loops = 0, set()
    for index, event in enumerate(events):
        found = kind(event)
        if found is Restarted or found is SessionStarted:
            start = index
        elif found is ActiveLoop and event.name:
            loops.add(event.name)
    return events[start:], loops


def applied_events(known: Applied, tracker: DialogueStateTracker) -> list[Event]:
    """`tracker.applied_events()`, found on from `known` while the session's events
    extend those of the earlier call and name the same loops (Rasa undoes a repeated
    loop action only for a loop some event activates, anywhere in the conversation);
    otherwise as Rasa finds them. A turn's tracker holds the events before its session
    started, the store's from the session on: only the session's are compared."""
    events, loops = session(list(tracker.events))
    shared = shared_length(known.events, events)
    if shared < len(known.events) or loops != known.loop_names:
        applied = tracker.applied_events()
    else:
        applied = list(known.applied)
        for event in events[shared:]:
            apply(tracker, applied, event, loops)
    known.events, known.loop_names, known.applied = events, loops, applied
    return applied


def states(
    history: History, applied: list[Event], tracker: DialogueStateTracker, arguments: Arguments
) -> list[State]:
    """Rasa's past states of `tracker` (whose applied events are `applied`), reusing
    and extending `history`."""
    domain = history.domain
    # An undone loop action can take events from within the list, not only its end.
    shared = shared_length(history.applied, applied)
    steps = history.steps
    while steps and steps[-1].index >= shared:
        steps.pop()
    running = history.tracker
    if running is None or shared < len(history.applied):
        running = tracker.init_copy()
        for event in applied[:shared]:
            running.update(event)
    carried = steps[-1].carried if steps else Carried()
    for index in range(shared, len(applied)):
        event = applied[index]
        if isinstance(event, ActionExecuted):
            state, carried = build_state(domain, running, event.hide_rule_turn, carried, arguments)
            steps.append(Step(index, state, carried))
        running.update(event)
    history.applied, history.tracker = applied, running
    last, _ = build_state(domain, running, False, carried, arguments)
    built = [step.state for step in steps if step.state is not None]
    return [*built, last] if last is not None else built


@dataclass
class Conversation:
    """A conversation's applied events, the tracker they were found for (to find them
    once while it is unchanged), and a history per set of arguments."""

    applied: Applied = field(default_factory=Applied)
    tracker: weakref.ref[DialogueStateTracker] | None = None
    length: int = 0
    last: Event | None = None
    histories: dict[Arguments, History] = field(default_factory=dict)


class Histories:
    """The histories of the `conversations` most recently asked for conversations."""

    def __init__(self, conversations: int) -> None:
        if conversations < 1:
            raise ValueError("conversations must be at least 1")
        self.conversations = conversations
        self.by_sender: OrderedDict[str, Conversation] = OrderedDict()

    def past_states(
        self, tracker: DialogueStateTracker, domain: Domain, arguments: Arguments
    ) -> list[State]:
        """The states Rasa's `past_states` gives (shared with later calls: copy them
        before changing them)."""
        sender = tracker.sender_id
        conversation = self.by_sender.pop(sender, None) or Conversation()
        self.by_sender[sender] = conversation
        while len(self.by_sender) > self.conversations:
            self.by_sender.popitem(last=False)
        # Rasa changes a tracker's events only by adding to or replacing them.
        events = tracker.events
        last = events[-1] if events else None
        if (
            conversation.tracker is None
            or conversation.tracker() is not tracker
            or conversation.length != len(events)
            or conversation.last is not last
        ):
            applied_events(conversation.applied, tracker)
            conversation.tracker = weakref.ref(tracker)
            conversation.length, conversation.last = len(events), last
        history = conversation.histories.get(arguments)
        if history is None or history.domain is not domain:
            history = conversation.histories[arguments] = History(domain)
        return states(history, conversation.applied.applied, tracker, arguments)
