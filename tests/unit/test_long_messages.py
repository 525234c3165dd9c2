"""The long messages' schedule: each waits for the share of time the ones before it
used; none waits longer than the bound; the settings are checked at start."""

import pytest

from stack.long_messages import LongMessageConfigError, LongMessageSettings, Schedule


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def schedule(clock: Clock, cost: float = 0.5, share: float = 0.25) -> Schedule:
    return Schedule(share=share, max_wait_seconds=5.0, clock=clock, cost_seconds=cost)


def test_the_first_long_message_starts_at_once_and_the_next_waits_its_turn() -> None:
    clock = Clock()
    turns = schedule(clock)
    assert turns.admit() == 0
    assert turns.admit() == pytest.approx(2.0)  # 0.5 s of work is a quarter of 2 s
    assert turns.admit() == pytest.approx(4.0)


def test_a_long_message_after_a_quiet_spell_does_not_wait() -> None:
    clock = Clock()
    turns = schedule(clock)
    turns.admit()
    clock.now += 2.0
    assert turns.admit() == 0


def test_no_long_message_waits_longer_than_the_bound() -> None:
    clock = Clock()
    turns = schedule(clock, cost=3.0)
    waits = [turns.admit() for _ in range(5)]
    assert waits[0] == 0 and max(waits) == pytest.approx(5.0)
    clock.now += 5.0 + 12.0  # the backlog is bounded too: it clears after one spacing
    assert turns.admit() == 0


def test_the_spacing_follows_what_the_long_messages_cost() -> None:
    clock = Clock()
    turns = schedule(clock, cost=0.2)
    for _ in range(20):
        turns.finished(1.0)
    assert turns.cost_seconds == pytest.approx(1.0, abs=0.01)
    turns.admit()
    assert turns.admit() == pytest.approx(4.0, abs=0.05)


@pytest.mark.parametrize(
    "name,value",
    [
        ("SWITCHBOARD_LONG_MESSAGE_SHARE", "0"),
        ("SWITCHBOARD_LONG_MESSAGE_SHARE", "1.5"),
        ("SWITCHBOARD_LONG_MESSAGE_BYTES", "12"),
        ("SWITCHBOARD_LONG_MESSAGE_MAX_WAIT_SECONDS", "nan"),
        ("SWITCHBOARD_LONG_MESSAGE_MAX_WAIT_SECONDS", "90"),
    ],
)
def test_a_bad_setting_stops_the_start_naming_it(name: str, value: str) -> None:
    with pytest.raises(LongMessageConfigError, match=name):
        LongMessageSettings.from_env({name: value}, LongMessageConfigError)


def test_the_defaults_hold_without_settings() -> None:
    settings = LongMessageSettings.from_env({}, LongMessageConfigError)
    assert (settings.share, settings.max_wait_seconds) == (0.25, 5.0)
