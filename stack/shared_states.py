"""A tracker's past states computed once per step of a turn, for every policy.

Each policy asks the tracker for its states on its own (`tracker.past_states`, which
replays every event of the conversation on a fresh tracker and featurises each step):
RulePolicy twice for the same arguments right after a message (once for text, once
for intent), MemoizationPolicy once more. Here the answer is remembered on the
tracker itself, for the arguments asked with, while the tracker still holds the same
events: the states depend only on the events, the domain and the tracker's slot
definitions, and Rasa changes a tracker's events only by adding to or replacing them,
so a memo is kept only for the same number of events ending in the same event
object. Callers edit the states they get (the featurizer deletes a user sub-state's
text or intent), so each gets its own copy.

The states themselves are built on from those the conversation's earlier events
gave (stack/state_history.py), for the conversations most recently asked for.

Rasa's training trackers (TrackerWithCachedStates) keep their own cache and are not
touched.
"""

from dataclasses import dataclass, field
from typing import Any

from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

from stack.state_history import Arguments, Histories

MEMO = "_switchboard_past_states"
# A conversation's kept states take about a third of a megabyte at 300 events
# (three sets of arguments): a hundred conversations stay well under Rasa's model in
# memory, and more than a process on two cores serves at once (a conversation
# evicted has its states built in full once, as Rasa does on every call).
CONVERSATIONS = 100
_rasa_past_states = DialogueStateTracker.past_states
HISTORIES = Histories(CONVERSATIONS)


@dataclass
class Memo:
    """The states a tracker gave while it held `events` events ending in `last`, by
    the arguments asked with (the domain kept to check it is the same one)."""

    events: int
    last: Event | None
    states: dict[tuple[Any, ...], tuple[Domain, list[State]]] = field(default_factory=dict)


def copied(states: list[State]) -> list[State]:
    """A state maps names to sub-states whose values are strings or tuples: two
    levels of dicts copied are a deep copy."""
    return [{name: dict(sub_state) for name, sub_state in state.items()} for state in states]


def past_states(
    tracker: DialogueStateTracker,
    domain: Domain,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[State]:
    """DialogueStateTracker.past_states, remembered until the tracker's events change."""
    events = tracker.events
    last = events[-1] if events else None
    memo: Memo | None = tracker.__dict__.get(MEMO)
    if memo is None or memo.events != len(events) or memo.last is not last:
        memo = Memo(len(events), last)
        tracker.__dict__[MEMO] = memo
    key = (id(domain), omit_unset_slots, ignore_rule_only_turns, repr(rule_only_data))
    found = memo.states.get(key)
    if found is None or found[0] is not domain:
        found = (
            domain,
            HISTORIES.past_states(
                tracker,
                domain,
                Arguments(omit_unset_slots, ignore_rule_only_turns, rule_only_data),
            ),
        )
        memo.states[key] = found
    return copied(found[1])


def install() -> None:
    DialogueStateTracker.past_states = past_states
