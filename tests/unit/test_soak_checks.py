"""The soak benchmark's checks (bench/soak.py) on conversations made up for them: each
fault it must report, reported."""

from typing import Any

from bench.soak import Sent, check, passed, summarize


def user(seq: int, at: float) -> tuple[float, dict[str, Any]]:
    return at, {"event": "user", "text": "hi", "metadata": {"soak_seq": seq}}


def bot(at: float) -> tuple[float, dict[str, Any]]:
    return at, {"event": "bot", "text": "hello"}


def figures(sent: list[Sent], stored: dict[str, list[tuple[float, dict[str, Any]]]]) -> dict:
    return summarize(sent, 2.0, check(sent, stored))


def test_a_clean_run_passes() -> None:
    sent = [Sent("a", 0, 200), Sent("a", 1, 200, retries=2), Sent("a", 2, 0, error="timeout")]
    result = figures(sent, {"a": [user(0, 1), bot(2), user(1, 3), bot(4)]})
    assert passed(result)
    assert result["acknowledged"] == 2 and result["retries"] == 2 and result["msg_per_s"] == 1.0


def test_every_fault_is_reported() -> None:
    sent = [Sent("a", 0, 200), Sent("a", 1, 200), Sent("b", 0, 200), Sent("b", 1, 502)]
    stored = {
        # a: message 1 answered but not stored, message 0 stored twice.
        "a": [user(0, 1), bot(2), user(0, 3)],
        # b: stored in the wrong order, and an event's time going back.
        "b": [user(1, 5), user(0, 4)],
    }
    result = figures(sent, stored)
    assert not passed(result)
    assert result["examples"]["lost"] == ["a#1"]
    assert result["examples"]["answered_twice"] == ["a#0"]
    assert result["examples"]["messages_out_of_order"] == ["b"]
    assert result["examples"]["event_times_out_of_order"] == ["b"]
    assert result["server_errors"] == {"502": 1}
