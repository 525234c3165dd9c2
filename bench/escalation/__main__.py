"""How well the escalation rules pick the conversations a person should take over.

`python -m bench.escalation [--smoke] [--half dev|test]` replays every labelled item of
bench/escalation/messages.yml through the shipped `escalation.policy.EscalationPolicy`,
turn by turn for the conversations, on a real Rasa tracker: each message is a
`UserUttered` event, the decision the policy records is kept in the tracker as Rasa
keeps it, and the next turn's history is what the policy reads from those records
(a conversation escalates when any turn does). It prints precision,
recall, F1, the confusion counts, per-reason recall, the misclassified items and a
final `summary:` line; it writes bench/results/escalation.json.

The items are split in two halves by a hash of their text: tune on `dev` only and
read `test` as the figure that counts. `--half dev` prints the dev half alone.
`--smoke` runs a handful of items, to check that the bench works, and writes nothing.
"""

import argparse
import hashlib
import json
import platform
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from escalation.decision import ConversationFacts, Decision, TurnFacts, decision_from_record
from escalation.names import BACKEND_FAILURES_SLOT, CLARIFY_ACTION, DECISION_SLOT
from escalation.policy import EscalationPolicy

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = Path(__file__).resolve().parent / "messages.yml"
DOMAIN_FILE = ROOT / "domain.yml"
RESULTS = ROOT / "bench" / "results" / "escalation.json"
HALVES = ("dev", "test")
TARGETS = {"precision": 0.90, "recall": 0.95}
SMOKE_STRIDE = 40  # --smoke runs every 40th item
TURN_DEFAULTS = {"intent": "other", "confidence": 0.95, "margin": 0.9}
RUNNER_UP = "runner_up"  # the second intent of a turn's ranking, `margin` below the first
# What an item's `history` may say: the events a conversation so far leaves.
HISTORY_KEYS = frozenset({"user_turns", "goal_completed", "backend_failures"})


@dataclass(frozen=True)
class Case:
    id: str
    turns: tuple[TurnFacts, ...]
    channel: str
    history: ConversationFacts
    escalate: bool
    reason: str | None  # the expected reason_code, or "clarify"

    @property
    def half(self) -> str:
        """`dev` or `test`, fixed by the text alone."""
        text = "\n".join(turn.text for turn in self.turns)
        return HALVES[int(hashlib.sha256(text.encode()).hexdigest(), 16) % 2]


@dataclass(frozen=True)
class Outcome:
    case: Case
    decision: Decision  # the escalating turn's, else the last turn's
    clarified: bool
    scores: tuple[float, ...]  # every decided turn's emotion score
    seconds: tuple[float, ...]  # time of each decide call

    @property
    def escalated(self) -> bool:
        return self.decision.escalate


def load_cases(path: Path = MESSAGES) -> list[Case]:
    return [_case(item) for item in yaml.safe_load(path.read_text(encoding="utf-8"))["items"]]


def _case(item: dict[str, Any]) -> Case:
    turns = item.get("turns") or [
        {"text": item["text"], **{key: item[key] for key in TURN_DEFAULTS if key in item}}
    ]
    unknown = set(item.get("history", {})) - HISTORY_KEYS
    if unknown:
        raise ValueError(f"{item['id']}: history cannot say {sorted(unknown)}")
    return Case(
        id=item["id"],
        turns=tuple(TurnFacts(**{**TURN_DEFAULTS, **turn}) for turn in turns),
        channel=item.get("channel", "rest"),
        history=ConversationFacts(**item.get("history", {})),
        escalate=item["escalate"],
        reason=item.get("reason"),
    )


def shipped_policy(model_dir: Path) -> EscalationPolicy:
    """The policy as Rasa loads it, with the project's escalation.yml."""
    return EscalationPolicy.create(
        EscalationPolicy.get_default_config(),
        LocalModelStorage(model_dir),
        Resource("escalation"),
        ExecutionContext(GraphSchema({}), "bench"),
    )


def _history_events(history: ConversationFacts, goal_action: str) -> list[Event]:
    """What an item's conversation so far left in the tracker: earlier customer
    messages (undecided, as before the policy ran), a goal reached, backend failures."""
    events: list[Event] = [ActionExecuted(ACTION_LISTEN_NAME)]
    for _ in range(history.user_turns):
        events += [UserUttered(""), ActionExecuted(ACTION_LISTEN_NAME)]
    if history.goal_completed:
        events += [ActionExecuted(goal_action), ActionExecuted(ACTION_LISTEN_NAME)]
    # Each failing action sets the slot to its running count.
    events += [
        SlotSet(BACKEND_FAILURES_SLOT, count) for count in range(1, history.backend_failures + 1)
    ]
    return events


def _message(turn: TurnFacts, channel: str) -> UserUttered:
    intent = {"name": turn.intent, "confidence": turn.confidence}
    ranking = [intent, {"name": RUNNER_UP, "confidence": turn.confidence - turn.margin}]
    return UserUttered(
        turn.text,
        intent,
        parse_data={"intent": intent, "intent_ranking": ranking},
        input_channel=channel,
    )


def run(case: Case, policy: EscalationPolicy, domain: Domain) -> Outcome:
    """The case's turns through the policy, each decision kept as Rasa keeps it."""
    goal_action = sorted(policy.escalation.goal_actions)[0]
    tracker = DialogueStateTracker.from_events(
        case.id, _history_events(case.history, goal_action), domain.slots
    )
    clarified = False
    scores: list[float] = []
    seconds: list[float] = []
    for turn in case.turns:
        tracker.update(_message(turn, case.channel), domain)
        start = time.perf_counter()
        prediction = policy.predict_action_probabilities(tracker, domain)
        seconds.append(time.perf_counter() - start)
        tracker.update_with_events(prediction.events, domain)
        decision = decision_from_record(tracker.get_slot(DECISION_SLOT))
        scores.append(decision.emotion_score)
        clarified = clarified or decision.clarify
        if decision.escalate:
            break
        if decision.clarify:
            tracker.update(ActionExecuted(CLARIFY_ACTION), domain)
        tracker.update(ActionExecuted(ACTION_LISTEN_NAME), domain)
    return Outcome(case, decision, clarified, tuple(scores), tuple(seconds))


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 3) if whole else 0.0


def metrics(outcomes: list[Outcome]) -> dict[str, Any]:
    tp = sum(o.case.escalate and o.escalated for o in outcomes)
    fp = sum(not o.case.escalate and o.escalated for o in outcomes)
    fn = sum(o.case.escalate and not o.escalated for o in outcomes)
    tn = len(outcomes) - tp - fp - fn
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    per_reason: dict[str, dict[str, Any]] = {}
    for outcome in outcomes:
        if not outcome.case.escalate:
            continue
        entry = per_reason.setdefault(
            outcome.case.reason or "?", {"items": 0, "escalated": 0, "same_reason": 0}
        )
        entry["items"] += 1
        entry["escalated"] += outcome.escalated
        entry["same_reason"] += outcome.decision.reason_code == outcome.case.reason
    for entry in per_reason.values():
        entry["recall"] = _ratio(entry["escalated"], entry["items"])
    clarify = [o for o in outcomes if o.case.reason == "clarify"]
    return {
        "items": len(outcomes),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "per_reason": dict(sorted(per_reason.items())),
        "clarify_expected": len(clarify),
        "clarify_asked": sum(o.clarified and not o.escalated for o in clarify),
        "misclassified": [_misclassified(o) for o in outcomes if o.escalated != o.case.escalate],
    }


def _misclassified(outcome: Outcome) -> dict[str, Any]:
    decision = outcome.decision
    return {
        "id": outcome.case.id,
        "error": "false positive" if outcome.escalated else "false negative",
        "channel": outcome.case.channel,
        "text": " / ".join(turn.text for turn in outcome.case.turns),
        "expected": outcome.case.reason or "none",
        "got": decision.reason_code,
        "rule": decision.rule,
        "values": dict(decision.values),
        "emotion_scores": [round(score, 3) for score in outcome.scores],
    }


def report(half: str, result: dict[str, Any]) -> None:
    print(
        f"[{half}] {result['items']} items: precision {result['precision']:.3f}  "
        f"recall {result['recall']:.3f}  F1 {result['f1']:.3f}  "
        f"(tp {result['tp']}, fp {result['fp']}, fn {result['fn']}, tn {result['tn']})"
    )
    for reason, entry in result["per_reason"].items():
        print(
            f"    {reason:<30} recall {entry['recall']:.3f}  "
            f"({entry['escalated']}/{entry['items']} escalated, "
            f"{entry['same_reason']} for this reason)"
        )
    print(
        f"    clarifying question asked on {result['clarify_asked']}"
        f"/{result['clarify_expected']} single ambiguous misses"
    )
    for item in result["misclassified"]:
        print(
            f"    {item['error']}: {item['id']} ({item['channel']}) {item['text']!r}\n"
            f"        expected {item['expected']}, got {item['got']} via {item['rule']} "
            f"{item['values'] or ''} scores {item['emotion_scores']}"
        )


def _meets_targets(result: dict[str, Any]) -> bool:
    return all(result[name] >= target for name, target in TARGETS.items())


def summary(results: dict[str, dict[str, Any]]) -> str:
    halves = " | ".join(
        f"{half} P {r['precision']:.3f} R {r['recall']:.3f} F1 {r['f1']:.3f}"
        for half, r in results.items()
    )
    verdict = "met" if all(_meets_targets(r) for r in results.values()) else "NOT met"
    targets = ", ".join(f"{name} >= {target:.2f}" for name, target in TARGETS.items())
    return f"summary: {halves} | targets ({targets}) {verdict}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a few items only; writes nothing")
    parser.add_argument("--half", choices=HALVES, help="report this half only")
    args = parser.parse_args(argv)

    domain = Domain.load(str(DOMAIN_FILE))
    cases = load_cases()
    if args.smoke:
        cases = cases[::SMOKE_STRIDE]
    halves = (args.half,) if args.half else HALVES
    with tempfile.TemporaryDirectory() as model_dir:
        policy = shipped_policy(Path(model_dir))
        outcomes = [run(case, policy, domain) for case in cases if case.half in halves]
    results = {half: metrics([o for o in outcomes if o.case.half == half]) for half in halves}

    seconds = [second for outcome in outcomes for second in outcome.seconds]
    latency = {
        "turns": len(seconds),
        "mean_us": round(statistics.mean(seconds) * 1e6, 1),
        "max_us": round(max(seconds) * 1e6, 1),
    }
    sizes = ", ".join(f"{half} {result['items']}" for half, result in results.items())
    print(f"escalation bench over {len(outcomes)} items ({sizes})")
    for half, result in results.items():
        report(half, result)
    print(
        f"EscalationPolicy.predict_action_probabilities(): mean {latency['mean_us']} µs, "
        f"max {latency['max_us']} µs over {latency['turns']} turns"
    )
    if not args.smoke:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(
            json.dumps(
                {
                    "halves": results,
                    "targets": TARGETS,
                    "latency": latency,
                    "machine": f"{platform.machine()}, {platform.python_version()}",
                    "date": datetime.now(UTC).isoformat(timespec="seconds"),
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    print(summary(results))


if __name__ == "__main__":
    main()
