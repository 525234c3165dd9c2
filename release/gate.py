"""The gate: measure a candidate model, compare it with the release in service and
the recorded conversations, judge it against release.yml, and promote it only when
every check holds. The report (markdown and JSON) says what changed and why."""

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from release import checks
from release.config import ReleaseConfig
from release.replay import Recorded, replay_all
from release.store import Release, Releases
from stack.processes import ROOT

NOTABLE_F1_CHANGE = 0.02
# Released with the model, so a report names the behaviour files changed since the last
# release (between releases they change only through the desk's /admin/changes).
BEHAVIOUR_FILES = ("escalation.yml", "outreach.yml", "metrics.yml", "lifecycle.yml")


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    value: str
    threshold: str


@dataclass(frozen=True)
class Verdict:
    promoted: Release | None
    checks: list[Check]
    results: dict[str, Any]
    report: str

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def measure(
    model: Path, inputs: Path, config: ReleaseConfig, recorded: list[Recorded], work: Path
) -> dict[str, Any]:
    """Every measurement of the candidate, with the seconds each took."""
    steps: dict[str, Callable[[], Any]] = {
        "validate": lambda: checks.validate(inputs),
        "stories": lambda: checks.stories(model, work / "core"),
        "held_out": lambda: checks.held_out(model, work / "nlu", config.held_out.sets()),
        "escalation": checks.escalation,
        "regression": lambda: {"outcomes": replay_all(model, recorded)},
    }
    results: dict[str, Any] = {"seconds": {}}
    for name, step in steps.items():
        start = time.perf_counter()
        results[name] = step()
        results["seconds"][name] = round(time.perf_counter() - start, 1)
    return results


def lost_by_journey(
    recorded: list[Recorded], outcomes: dict[str, list[str]], baseline: dict[str, list[str]] | None
) -> dict[str, list[str]]:
    """Per journey, the conversations the baseline ended as recorded and the candidate
    does not (no baseline: every recorded conversation counts)."""
    lost: dict[str, list[str]] = {item.journey: [] for item in recorded}
    for item in recorded:
        held_before = baseline is None or baseline.get(item.id) == list(item.expect)
        if held_before and outcomes.get(item.id) != list(item.expect):
            lost[item.journey].append(item.id)
    return lost


def judge(
    results: dict[str, Any],
    config: ReleaseConfig,
    recorded: list[Recorded],
    current: dict[str, Any] | None,
) -> list[Check]:
    """Each threshold of release.yml against the candidate's results."""
    held, stories, escalation = results["held_out"], results["stories"], results["escalation"]
    found = [
        Check(
            "rasa data validate", results["validate"]["passed"], _ok(results["validate"]), "clean"
        ),
        _at_least(
            "held-out intent accuracy", held["intent_accuracy"], config.held_out.min_intent_accuracy
        ),
        *_languages(held, config),
        _at_least(
            "story conversation accuracy",
            stories["conversation_accuracy"],
            config.stories.min_conversation_accuracy,
        ),
        _at_least("escalation precision", escalation["precision"], config.escalation.min_precision),
        _at_least("escalation recall", escalation["recall"], config.escalation.min_recall),
    ]
    if current:
        before = current["held_out"]["intent_f1"]
        limit = config.held_out.max_intent_f1_drop
        for intent, f1 in sorted(before.items()):
            now = held["intent_f1"].get(intent, 0.0)
            if f1 - now > limit:
                found.append(
                    Check(f"intent {intent} F1", False, f"{f1:.3f} → {now:.3f}", f"drop ≤ {limit}")
                )
    baseline = current["regression"]["outcomes"] if current else None
    lost = lost_by_journey(recorded, results["regression"]["outcomes"], baseline)
    allowed = config.regression.max_lost_per_journey
    for journey, ids in sorted(lost.items()):
        value = f"{len(ids)} lost" + (f" ({', '.join(ids)})" if ids else "")
        found.append(Check(f"journey {journey}", len(ids) <= allowed, value, f"≤ {allowed} lost"))
    return found


def _languages(held: dict[str, Any], config: ReleaseConfig) -> list[Check]:
    """Each other language's accuracy, and how far it is below the default language's."""
    default = held["intent_accuracy"]
    limit = config.held_out.max_below_default
    found = []
    for code, entry in list(config.held_out.languages.items())[1:]:
        accuracy = held.get("languages", {}).get(code, {}).get("intent_accuracy", 0.0)
        found.append(
            _at_least(f"held-out intent accuracy ({code})", accuracy, entry.min_intent_accuracy)
        )
        below = default - accuracy
        found.append(
            Check(
                f"{code} below the default language", below <= limit, f"{below:.3f}", f"≤ {limit}"
            )
        )
    return found


def _ok(step: dict[str, Any]) -> str:
    return "clean" if step["passed"] else "errors or warnings"


def _at_least(name: str, value: float, threshold: float) -> Check:
    return Check(name, value >= threshold, f"{value:.3f}", f"≥ {threshold}")


def changes(results: dict[str, Any], current: dict[str, Any] | None) -> list[str]:
    """What differs from the release in service, in words."""
    if current is None:
        return ["No release is in service: this would be the first."]
    lines = [f"Compared with release {current['release']}."]
    pairs = [
        ("held-out intent accuracy", ("held_out", "intent_accuracy")),
        ("story conversation accuracy", ("stories", "conversation_accuracy")),
        ("escalation precision", ("escalation", "precision")),
        ("escalation recall", ("escalation", "recall")),
    ]
    for label, (part, key) in pairs:
        before, now = current[part][key], results[part][key]
        if before != now:
            lines.append(f"{label}: {before:.3f} → {now:.3f}")
    before_languages = current["held_out"].get("languages", {})
    for code, now_language in list(results["held_out"].get("languages", {}).items())[1:]:
        old, new = (
            before_languages.get(code, {}).get("intent_accuracy", 0.0),
            now_language["intent_accuracy"],
        )
        if old != new:
            lines.append(f"held-out intent accuracy ({code}): {old:.3f} → {new:.3f}")
    before_f1, now_f1 = current["held_out"]["intent_f1"], results["held_out"]["intent_f1"]
    for intent in sorted(set(before_f1) | set(now_f1)):
        old, new = before_f1.get(intent, 0.0), now_f1.get(intent, 0.0)
        if abs(new - old) >= NOTABLE_F1_CHANGE:
            lines.append(f"intent {intent} F1: {old:.3f} → {new:.3f}")
    before_files = current.get("behaviour", {})
    for name, digest in sorted(results.get("behaviour", {}).items()):
        if before_files.get(name) != digest:
            lines.append(f"{name} changed (sha256 {digest[:16]}…)")
    old_out, new_out = current["regression"]["outcomes"], results["regression"]["outcomes"]
    for conversation in sorted(new_out):
        if old_out.get(conversation) != new_out[conversation]:
            lines.append(
                f"conversation {conversation}: {old_out.get(conversation)} → {new_out[conversation]}"
            )
    if len(lines) == 1:
        lines.append("No measured difference.")
    return lines


def render(
    verdict_line: str, found: list[Check], changed: list[str], results: dict[str, Any]
) -> str:
    rows = "\n".join(
        f"| {c.name} | {c.value} | {c.threshold} | {'pass' if c.passed else '**FAIL**'} |"
        for c in found
    )
    failed = results["stories"]["failed_stories"]
    validate = results["validate"].get("output")
    extra = ""
    if failed:
        extra += "\nStories with a wrong action: " + ", ".join(failed) + "\n"
    if validate:
        extra += f"\n`rasa data validate` said:\n\n```\n{validate}\n```\n"
    return (
        f"# Release gate: {verdict_line}\n\n"
        f"Candidate `{results['candidate']['model']}` (sha256 {results['candidate']['sha256'][:16]}…), "
        f"{results['candidate']['at']}.\n\n"
        "| check | value | threshold | result |\n| --- | --- | --- | --- |\n"
        f"{rows}\n\n## What changed\n\n"
        + "\n".join(f"- {line}" for line in changed)
        + "\n"
        + extra
        + "\nSeconds per step: "
        + ", ".join(f"{k} {v}" for k, v in results["seconds"].items())
        + "\n"
    )


def run_gate(
    model: Path,
    inputs: Path,
    config: ReleaseConfig,
    recorded: list[Recorded],
    releases: Releases,
    work: Path,
) -> Verdict:
    """Measure, judge, and promote the candidate if every check passed."""
    results = measure(model, inputs, config, recorded, work)
    results["candidate"] = {
        "model": str(model),
        "sha256": sha256(model),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    results["behaviour"] = {name: sha256(ROOT / name) for name in BEHAVIOUR_FILES}
    current_release = releases.current()
    current = current_release.results() if current_release else None
    found = judge(results, config, recorded, current)
    changed = changes(results, current)
    failed = [c.name for c in found if not c.passed]
    if failed:
        line = "REFUSED (" + "; ".join(failed) + ")"
    else:
        line = f"PROMOTED as release {max((r.number for r in releases.all()), default=0) + 1:03d}"
    report = render(line, found, changed, results)
    results["checks"] = [c.__dict__ for c in found]
    results["verdict"] = line
    promoted = None if failed else releases.promote(model, results, report)
    write_report(releases, results, report)
    return Verdict(promoted, found, results, report)


def write_report(releases: Releases, results: dict[str, Any], report: str) -> None:
    folder = releases.folder / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    (folder / f"{stamp}.md").write_text(report)
    (folder / f"{stamp}.json").write_text(json.dumps(results, indent=2))
