"""A conversation's goals, records, outcome and short factual summary, built from
its outcome record (contract K1: the `outcomes` slot), never from free text."""

from collections.abc import Mapping, Sequence
from typing import Any

RESOLVING = {"answered", "done"}
# Results of steps on the way to a goal, not of the goal itself.
STEPS = {"verified", "clarified"}
# Goals about the conversation itself: their record is a hand-over or the customer,
# not one of the customer's records.
CONVERSATION_GOALS = {"verify_identity", "hand_over", "callback"}
OUTCOMES = ("resolved", "handed_over", "abandoned", "open")


def _unique(values: Sequence[str | None]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def summarise(
    outcomes: Sequence[Mapping[str, Any]], handed_over: bool, ended: bool
) -> dict[str, Any]:
    """{goals, records, outcome, summary} of one conversation."""
    goals = _unique([o.get("goal") for o in outcomes if o.get("result") not in STEPS])
    records = _unique(
        [
            o.get("record")
            for o in outcomes
            if o.get("result") not in STEPS and o.get("goal") not in CONVERSATION_GOALS
        ]
    )
    last: dict[str, str] = {}
    for outcome in outcomes:
        if outcome.get("goal") in goals:
            last[outcome["goal"]] = str(outcome.get("result"))
    if handed_over or "handed_over" in last.values():
        state = "handed_over"
    elif goals and all(last.get(goal) in RESOLVING for goal in goals):
        state = "resolved"
    else:
        state = "abandoned" if ended else "open"
    lines = []
    for outcome in outcomes:
        if outcome.get("result") in STEPS:
            continue
        what = str(outcome.get("goal") or outcome.get("action") or "request").replace("_", " ")
        record = f" {outcome['record']}" if outcome.get("record") else ""
        lines.append(f"{what}{record}: {outcome.get('result')}")
    return {
        "goals": goals,
        "records": records,
        "outcome": state,
        "summary": "; ".join(_unique(lines))[:1000] or "no request recorded",
    }
