"""The gate's logic without a model: release.yml validation, the judging of results
against it and against the release in service, and numbered releases with rollback."""

import json
from pathlib import Path
from typing import Any

import pytest

from release.config import DEFAULT_PATH, ReleaseConfigError, load_config, parse_config
from release.gate import changes, judge, lost_by_journey
from release.replay import Recorded, load_set
from release.store import ReleaseError, Releases

CLAIM = ("verify_identity: verified", "file_claim: done")
RECORDED = [
    Recorded("claim", "file_claim", ("hi",), CLAIM),
    Recorded("policy", "ask_return_policy", ("hi",), ("ask_return_policy: answered",)),
]


def results(
    accuracy: float = 0.98, claim: tuple[str, ...] = CLAIM, f1: float = 1.0, other: float = 0.97
) -> dict[str, Any]:
    languages = {code: {"intent_accuracy": other} for code in load_config().held_out.languages}
    return {
        "validate": {"passed": True},
        "held_out": {
            "intent_accuracy": accuracy,
            "languages": {**languages, "en": {"intent_accuracy": accuracy}},
            "intent_f1": {"file_claim": f1, "greet": 1.0},
        },
        "stories": {"conversation_accuracy": 1.0, "failed_stories": []},
        "escalation": {"precision": 0.95, "recall": 0.97},
        "regression": {
            "outcomes": {"claim": list(claim), "policy": ["ask_return_policy: answered"]}
        },
        "release": "001",
    }


def failed(found: list[Any]) -> list[str]:
    return [check.name for check in found if not check.passed]


def test_the_shipped_release_yml_and_regression_set_load() -> None:
    config = load_config(DEFAULT_PATH)
    assert 0 < config.held_out.min_intent_accuracy <= 1
    recorded = load_set()
    assert len({r.journey for r in recorded}) >= 5 and all(r.expect for r in recorded)
    assert len({r.id for r in recorded}) == len(recorded)


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        (
            {"held_out": {"languages": {"en": {"path": "tests/nlu", "min_intent_accuracy": 1.5}}}},
            "held_out.languages.en.min_intent_accuracy",
        ),
        (
            {"held_out": {"languages": {"de": {"path": "tests/nlu_de", "min_intent_accuracy": 1}}}},
            "held_out.languages: the default language 'en' comes first",
        ),
        (
            {"held_out": {"languages": {"en": {"path": "tests/nope", "min_intent_accuracy": 1}}}},
            "held_out.languages.en.path: 'tests/nope' is not a folder",
        ),
        (
            {
                "held_out": {
                    "languages": {
                        "en": {"path": "tests/nlu", "min_intent_accuracy": 1},
                        "xx": {"path": "tests/nlu", "min_intent_accuracy": 1},
                    }
                }
            },
            "held_out.languages: 'xx' is not one of",
        ),
        ([], "(top level)"),
    ],
)
def test_a_bad_release_yml_names_the_key(raw: Any, named: str) -> None:
    with pytest.raises(ReleaseConfigError, match=named.replace("(", r"\(").replace(")", r"\)")):
        parse_config(raw)


def test_an_unchanged_candidate_passes_against_the_release_in_service() -> None:
    config = load_config()
    assert failed(judge(results(), config, RECORDED, results())) == []
    assert changes(results(), results())[1:] == ["No measured difference."]


def test_a_candidate_losing_one_journey_is_refused_for_that_journey_only() -> None:
    config = load_config()
    worse = results(claim=("hand_over: handed_over",), f1=0.2)
    assert failed(judge(worse, config, RECORDED, results())) == [
        "intent file_claim F1",
        "journey file_claim",
    ]
    worse["behaviour"] = {"escalation.yml": "ab" * 32}
    said = "\n".join(changes(worse, {**results(), "behaviour": {"escalation.yml": "cd" * 32}}))
    assert "intent file_claim F1: 1.000 → 0.200" in said and "conversation claim" in said
    assert "escalation.yml changed (sha256 abababababababab…)" in said


def test_thresholds_hold_without_a_release_in_service() -> None:
    config = load_config()
    assert failed(judge(results(accuracy=0.5, other=0.5), config, RECORDED, None)) == [
        "held-out intent accuracy",
        *(f"held-out intent accuracy ({code})" for code in list(config.held_out.languages)[1:]),
    ]


def test_a_language_below_its_threshold_or_too_far_below_english_is_refused() -> None:
    config = load_config()
    others = list(config.held_out.languages)[1:]
    assert others, "release.yml gates at least one language besides the default"
    weak = results(other=0.5)
    assert failed(judge(weak, config, RECORDED, None)) == [
        name
        for code in others
        for name in (f"held-out intent accuracy ({code})", f"{code} below the default language")
    ]
    # Above every floor, but further below English than a stricter release.yml allows.
    strict = config.copy(
        update={"held_out": config.held_out.copy(update={"max_below_default": 0.01})}
    )
    floor = max(entry.min_intent_accuracy for entry in config.held_out.languages.values())
    behind = results(accuracy=1.0, other=floor + 0.01)
    assert failed(judge(behind, strict, RECORDED, None)) == [
        f"{code} below the default language" for code in others
    ]
    assert "held-out intent accuracy (" in "\n".join(changes(weak, results()))


def test_a_conversation_the_current_release_already_lost_is_not_counted_again() -> None:
    lost = lost_by_journey(RECORDED, {"claim": [], "policy": []}, {"claim": [], "policy": ["x"]})
    assert lost == {"file_claim": [], "ask_return_policy": []}


def promote(releases: Releases, tmp_path: Path, text: str) -> str:
    model = tmp_path / f"{text}.tar.gz"
    model.write_text(text)
    return releases.promote(model, {"note": text}, f"# {text}").name


def test_releases_are_numbered_and_rollback_returns_to_the_previous_one(tmp_path: Path) -> None:
    releases = Releases(tmp_path / "releases")
    with pytest.raises(ReleaseError, match="no release is in service"):
        releases.rollback()
    assert [promote(releases, tmp_path, name) for name in ("a", "b", "c")] == ["001", "002", "003"]
    pointer = releases.folder / "current.tar.gz"
    assert pointer.read_text() == "c"
    assert releases.rollback().name == "002" and pointer.read_text() == "b"
    assert releases.rollback().name == "001" and pointer.read_text() == "a"
    with pytest.raises(ReleaseError, match="is the first"):
        releases.rollback()
    history = [
        json.loads(line) for line in (releases.folder / "history.jsonl").read_text().splitlines()
    ]
    assert [(h["event"], h["release"]) for h in history][-2:] == [
        ("rolled back", "002"),
        ("rolled back", "001"),
    ]
    assert promote(releases, tmp_path, "d") == "004"
    current = releases.current()
    assert current is not None and current.results()["previous"] == "001"
