"""escalation.yml: loading, per-channel overrides, and errors that name the key."""

from pathlib import Path
from typing import Any

import pytest

from escalation.config import (
    EscalationConfig,
    EscalationConfigError,
    escalation_config,
    load_escalation_config,
    parse_escalation_config,
)
from escalation.config_schema import CHANNELS


def _problems(raw: Any) -> str:
    with pytest.raises(EscalationConfigError) as error:
        parse_escalation_config(raw)
    return str(error.value)


def test_the_project_file_loads(config: EscalationConfig):
    assert set(config.channels) == set(CHANNELS)
    assert [topic.name for topic in config.topics] == [
        "bereavement",
        "legal",
        "fraud",
        "vulnerability",
    ]
    assert "request_human" in config.human_request.intents


def test_a_channel_overrides_only_what_it_names(raw: dict[str, Any]):
    raw["channels"]["twilio_voice"] = {
        "emotion": {"turn_threshold": -0.2},
        "turn_limit": {"max_user_turns": 5},
    }
    raw["channels"]["email"] = {"turn_limit": {"max_user_turns": None}}
    config = parse_escalation_config(raw)
    voice, defaults = config.for_channel("twilio_voice"), config.defaults
    assert voice.emotion.turn_threshold == -0.2
    assert voice.emotion.trend_threshold == defaults.emotion.trend_threshold
    assert voice.turn_limit.max_user_turns == 5
    assert voice.confidence == defaults.confidence
    assert config.for_channel("email").turn_limit.max_user_turns is None


def test_an_unconfigured_channel_gets_the_defaults(config: EscalationConfig):
    assert config.for_channel("cmdline") is config.defaults


def test_email_has_no_turn_limit_and_voice_a_shorter_one(config: EscalationConfig):
    assert config.for_channel("email").turn_limit.max_user_turns is None
    voice = config.for_channel("twilio_voice").turn_limit.max_user_turns
    chat = config.for_channel("rest").turn_limit.max_user_turns
    assert voice is not None and chat is not None and voice < chat


def test_a_missing_threshold_is_named(raw: dict[str, Any]):
    del raw["defaults"]["confidence"]["min_margin"]
    assert "defaults.confidence: 'min_margin' is a required property" in _problems(raw)


def test_a_value_out_of_range_is_named(raw: dict[str, Any]):
    raw["defaults"]["emotion"]["turn_threshold"] = -1.5
    assert "defaults.emotion.turn_threshold: -1.5 is less than the minimum of -1" in _problems(raw)


def test_a_wrong_type_is_named(raw: dict[str, Any]):
    raw["defaults"]["turn_limit"]["max_user_turns"] = "twelve"
    assert (
        "defaults.turn_limit.max_user_turns: 'twelve' is not of type 'integer', 'null'"
        in _problems(raw)
    )


def test_an_unknown_channel_is_refused(raw: dict[str, Any]):
    raw["channels"]["whatsapp"] = {}
    assert (
        "channels: Additional properties are not allowed ('whatsapp' was unexpected)"
        in _problems(raw)
    )


def test_an_unknown_key_in_an_override_is_refused(raw: dict[str, Any]):
    raw["channels"]["email"] = {"emotion": {"threshold": -0.5}}
    assert "channels.email.emotion: Additional properties are not allowed" in _problems(raw)


def test_a_broken_regex_is_named_with_its_index(raw: dict[str, Any]):
    raw["topics"]["fraud"]["patterns"][1] = "(unclosed"
    problems = _problems(raw)
    assert "topics.fraud.patterns[1]: is not a valid regular expression" in problems
    assert "'(unclosed'" in problems


def test_a_regex_that_cannot_be_joined_with_the_others_is_refused(raw: dict[str, Any]):
    raw["sentiment"]["cues"]["profanity"]["patterns"].append("(?i)darn")
    assert "sentiment.cues.profanity.patterns[4]: is not a valid regular expression" in _problems(
        raw
    )


def test_capitals_in_a_pattern_are_refused_but_escapes_are_not(raw: dict[str, Any]):
    raw["human_request"]["wording"]["patterns"] = [r"\bAgent\b", r"\W\S\B"]
    problems = _problems(raw)
    assert "human_request.wording.patterns[0]: has capital letters" in problems
    assert "patterns[1]" not in problems


def test_a_topic_needs_something_to_match(raw: dict[str, Any]):
    raw["topics"]["legal"] = {"exclude": ["court"]}
    assert "topics.legal: needs at least one entry in phrases or patterns" in _problems(raw)


def test_the_trend_cannot_need_more_turns_than_it_sees(raw: dict[str, Any]):
    raw["sentiment"]["trend"].update(window=2, min_turns=3)
    assert "sentiment.trend.min_turns: 3 is more than the window of 2" in _problems(raw)


def test_a_cue_weight_must_not_be_positive(raw: dict[str, Any]):
    raw["sentiment"]["cues"]["sarcasm"]["weight"] = 0.5
    assert "sentiment.cues.sarcasm.weight: 0.5 is greater than the maximum of 0" in _problems(raw)


def test_every_problem_is_reported_at_once(raw: dict[str, Any]):
    raw["version"] = 2
    raw["defaults"]["system_trouble"]["max_backend_failures"] = 0
    problems = _problems(raw)
    assert "version: 1 was expected" in problems
    assert (
        "defaults.system_trouble.max_backend_failures: 0 is less than the minimum of 1" in problems
    )


def test_a_document_that_is_not_a_mapping_is_refused():
    assert "(top level): ['a'] is not of type 'object'" in _problems(["a"])


def test_a_missing_file_is_named(tmp_path: Path):
    missing = tmp_path / "escalation.yml"
    with pytest.raises(EscalationConfigError, match=f"{missing}: cannot be read"):
        load_escalation_config(missing)


def test_a_file_that_is_not_yaml_is_named(tmp_path: Path):
    broken = tmp_path / "escalation.yml"
    broken.write_text("defaults: [unclosed\n", encoding="utf-8")
    with pytest.raises(EscalationConfigError, match=f"{broken}: not valid YAML"):
        load_escalation_config(broken)


def test_settings_are_frozen(config: EscalationConfig):
    with pytest.raises(AttributeError):
        config.defaults.confidence.min_confidence = 0.0  # type: ignore[misc]


def test_descriptions_anywhere_are_collected_not_refused(raw: dict[str, Any]):
    raw["topics"]["fraud"]["description"] = "Possible fraud:\n  the fraud team calls back."
    raw["defaults"]["emotion"]["description"] = "Upset."
    config = parse_escalation_config(raw)
    assert dict(config.descriptions) == {
        "topics.fraud": "Possible fraud: the fraud team calls back.",
        "defaults.emotion": "Upset.",
    }
    raw["defaults"]["emotion"]["description"] = 3  # not a text: the schema says so
    assert "defaults.emotion" in _problems(raw)


def test_every_reader_shares_one_loaded_file():
    assert escalation_config() is escalation_config()
    assert escalation_config().defaults == load_escalation_config().defaults
