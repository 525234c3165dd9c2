"""The emotion scoring's cost is bounded, whatever a customer sends (issue #20):
VADER is quadratic in words and spells out every emoji."""

import time

import pytest
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from escalation.config import EscalationConfig
from escalation.emotion import EmotionAnalyzer
from escalation.names import SENTIMENT_KEY
from escalation.signals import bounded, score_emotion

BOUND_SECONDS = 0.5
HOSTILE = {
    "10,000 emoji": "\U0001f600" * 10_000,
    "10,000 mixed emoji": "\U0001f600\U0001f621\U0001f622\U0001f44d" * 2_500,
    "100 KB of words": ("this is terrible service and I am furious " * 2_500)[:100_000],
    "100 KB of one word": "awful" * 20_000,
    "20,000 exclamation marks": "no" + "!" * 20_000,
}


@pytest.fixture(scope="module")
def analyzer(config: EscalationConfig) -> EmotionAnalyzer:
    return EmotionAnalyzer(config.sentiment)


@pytest.mark.parametrize("label", sorted(HOSTILE))
def test_a_hostile_message_is_scored_within_the_bound(
    analyzer: EmotionAnalyzer, label: str
) -> None:
    message = Message(data={TEXT: HOSTILE[label]})
    started = time.perf_counter()
    analyzer.process([message])
    assert time.perf_counter() - started < BOUND_SECONDS
    assert -1.0 <= message.get(SENTIMENT_KEY)["score"] <= 1.0


@pytest.mark.parametrize("label", sorted(HOSTILE))
def test_the_policy_s_own_scoring_is_bounded_too(config: EscalationConfig, label: str) -> None:
    """escalation.decision scores the raw text itself, outside the NLU pipeline."""
    started = time.perf_counter()
    score_emotion(HOSTILE[label], config.sentiment)
    assert time.perf_counter() - started < BOUND_SECONDS


def test_a_long_angry_message_still_reads_as_angry(analyzer: EmotionAnalyzer) -> None:
    message = Message(data={TEXT: HOSTILE["100 KB of words"]})
    analyzer.process([message])
    assert message.get(SENTIMENT_KEY)["score"] < -0.5


def test_an_ordinary_message_scores_as_before(
    analyzer: EmotionAnalyzer, config: EscalationConfig
) -> None:
    text = "This is the THIRD time I ask!!!! Where is my order?? 😡😡"
    message = Message(data={TEXT: text})
    analyzer.process([message])
    expected = score_emotion(text, config.sentiment).score
    assert message.get(SENTIMENT_KEY)["score"] == round(expected, 3)


def test_the_bound_keeps_the_start_cuts_runs_and_caps_emoji() -> None:
    assert bounded("hello there", 1000, 50) == "hello there"
    assert bounded("no!!!!!!!!!!", 1000, 50) == "no!!!!"
    assert bounded("a" * 10 + "b" * 5000, 100, 50) == "aaaa" + "b" * 4
    assert bounded("x" + "\U0001f600\U0001f621" * 100, 1000, 3) == "x\U0001f600\U0001f621\U0001f600"
    assert len(bounded("word " * 10_000, 1000, 50)) == 1000


@pytest.mark.parametrize(
    "key,value", [("max_chars", 0), ("max_emoji", -1), ("max_chars", "1000"), ("max_emoji", True)]
)
def test_a_bad_bound_stops_the_start_naming_the_key(
    config: EscalationConfig, key: str, value: object
) -> None:
    with pytest.raises(ValueError, match=key):
        EmotionAnalyzer(config.sentiment, **{key: value})
