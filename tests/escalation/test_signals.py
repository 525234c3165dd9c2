"""Emotion: VADER plus contact-centre cues, and the trend over the last messages."""

from dataclasses import replace

import pytest

from escalation.config import EscalationConfig, TrendSettings
from escalation.signals import EmotionSignal, score_emotion


def _cues(text: str, config: EscalationConfig) -> dict[str, str]:
    return dict(score_emotion(text, config.sentiment).cues)


def test_a_calm_request_is_neutral(config: EscalationConfig):
    signal = score_emotion("Where is my order BW-100234?", config.sentiment)
    assert signal.score == 0.0 and signal.cues == ()


@pytest.mark.parametrize(
    "text, cue, matched",
    [
        ("I AM NOT HAPPY WITH THIS", "shouting", "AM NOT HAPPY WITH THIS"),
        ("Why has nobody answered???", "repeated_punctuation", "??"),
        ("where the f**k is my parcel", "profanity", "f**k"),
        ("This is the third time I ask", "repeated_contact", "third time"),
        ("It's still not fixed", "unresolved", "still not"),
        ("I'm absolutely furious", "stated_anger", "i'm absolutely furious"),
        ("This is a disgrace", "exasperation", "disgrace"),
        ("what is wrong with you people", "hostility", "what is wrong with you"),
        (
            "I'm going to post this on Twitter",
            "threat_to_go_public",
            "going to post this on twitter",
        ),
        ("I'll be taking my business elsewhere", "threat_to_leave", "taking my business elsewhere"),
        ("I'm cancelling my policy", "threat_to_cancel", "cancelling my policy"),
        ("Oh great, another delay", "sarcasm", "great, another delay"),
    ],
)
def test_each_cue_is_found(config: EscalationConfig, text: str, cue: str, matched: str):
    assert _cues(text, config)[cue] == matched


def test_capitalised_ids_and_acronyms_are_not_shouting(config: EscalationConfig):
    assert "shouting" not in _cues("My TV order BW-100002 has the HDMI cable?", config)


def test_sarcasm_turns_praise_negative(config: EscalationConfig):
    signal = score_emotion(
        "Oh great, another delay. Fantastic service as always.", config.sentiment
    )
    assert signal.sentiment > 0 > signal.score


def test_praise_without_a_failure_is_not_sarcasm(config: EscalationConfig):
    assert score_emotion("Oh great, it arrived early!", config.sentiment).score > 0


def test_a_threat_discards_vaders_misreading_as_praise(config: EscalationConfig):
    signal = score_emotion("never again. worst experience ever.", config.sentiment)
    assert signal.sentiment > 0
    weights = {cue.name: cue.weight for cue in config.sentiment.cues}
    assert signal.score == pytest.approx(weights["threat_to_leave"])


@pytest.mark.parametrize(
    "text",
    [
        "my battery died",
        "this bug kills my battery",
        "the screen is broken",
        "I got the wrong colour",
        "the sound quality is insane, love it",
    ],
)
def test_device_words_are_not_feelings(config: EscalationConfig, text: str):
    assert score_emotion(text, config.sentiment).score > config.defaults.emotion.turn_threshold / 2


def test_the_score_stays_within_bounds(config: EscalationConfig):
    text = "F**K THIS, THIRD TIME!!! Useless idiots, I'm going to the ombudsman"
    assert score_emotion(text, config.sentiment).score == -1.0


def _signal(
    score: float, smoothing: float = 0.5, window: int = 4, min_turns: int = 3
) -> EmotionSignal:
    return EmotionSignal(
        score=score,
        sentiment=score,
        cues=(),
        trend_settings=TrendSettings(smoothing, window, min_turns),
    )


def test_the_trend_is_an_exponentially_weighted_mean_ending_with_this_message():
    # ((-0.4 * 0.5 + -0.2 * 0.5) * 0.5 + -0.6 * 0.5) = -0.45
    assert _signal(-0.6).trend([-0.4, -0.2]) == pytest.approx(-0.45)


def test_the_trend_only_looks_at_its_window():
    assert _signal(-0.6, window=3).trend([1.0, -0.4, -0.2]) == pytest.approx(-0.45)


def test_there_is_no_trend_before_enough_messages():
    assert _signal(-0.9).trend([-0.9]) is None


def test_the_trend_settings_come_from_the_config(config: EscalationConfig):
    signal = score_emotion("hello", config.sentiment)
    assert signal.trend_settings == config.sentiment.trend
    assert replace(signal, score=-0.5).trend([-0.5] * 5) == pytest.approx(-0.5)
