"""The escalation decision: each rule, its reason and values, their order, and channels."""

from typing import Any

import pytest

from escalation.config import EscalationConfig
from escalation.decision import ConversationFacts, Decision, TurnFacts, advance, decide

CALM = ConversationFacts()
UNCLEAR: dict[str, Any] = {"intent": "inform", "confidence": 0.3, "margin": 0.05}


def _decide(
    config: EscalationConfig,
    text: str,
    history: ConversationFacts = CALM,
    channel: str = "rest",
    **nlu: Any,
) -> Decision:
    return decide(TurnFacts(text, **nlu), history, config, channel)


@pytest.mark.parametrize(
    "text",
    [
        "Where is my order BW-100234?",
        "Can I return a TV I bought two weeks ago?",
        "My order is a couple of days late, could you check what's happening?",
        "Still waiting on my refund, could you check for me please?",
        "thanks, that's really helpful",
        "My battery died after two hours, is that covered by the warranty?",
        "This bug kills my battery, is there an update coming?",
        "I'm dying to get my hands on the new tablet",
        "Can I cancel my order? I picked the wrong colour.",
        "Is this a human or a bot?",
        "Am I chatting with a real person?",
        "I don't need to talk to a human, just tell me where my order is",
        "My phone was stolen on the train, I'd like to make a claim",
    ],
)
def test_calm_messages_and_false_friends_do_not_escalate(config: EscalationConfig, text: str):
    decision = _decide(config, text)
    assert (decision.escalate, decision.clarify, decision.reason_code, decision.rule) == (
        False,
        False,
        "none",
        "none",
    )
    assert decision.values == {}


def test_a_sensitive_topic_escalates_whatever_the_confidence(config: EscalationConfig):
    decision = _decide(config, "someone used my card to buy a laptop", **UNCLEAR)
    assert decision.escalate and not decision.clarify
    assert (decision.reason_code, decision.rule) == ("sensitive_topic:fraud", "topics.fraud")
    assert decision.values == {"topic": "fraud", "phrase": "someone used my"}


def test_the_human_request_intent_escalates(config: EscalationConfig):
    decision = _decide(config, "yes that", intent="request_human", confidence=0.9)
    assert (decision.escalate, decision.reason_code, decision.rule) == (
        True,
        "human_requested",
        "human_request.intents",
    )
    assert decision.values == {
        "intent": "request_human",
        "confidence": 0.9,
        "min_intent_confidence": config.human_request.min_intent_confidence,
    }


def test_an_unsure_human_request_intent_is_not_enough(config: EscalationConfig):
    confidence = config.human_request.min_intent_confidence - 0.01
    decision = _decide(config, "yes that", intent="request_human", confidence=confidence)
    assert decision.reason_code != "human_requested"


def test_asking_for_a_person_in_words_escalates(config: EscalationConfig):
    decision = _decide(config, "Can I talk to a real person please?")
    assert (decision.escalate, decision.reason_code, decision.rule) == (
        True,
        "human_requested",
        "human_request.wording",
    )
    assert decision.values == {"phrase": "talk to a real person"}


def test_an_angry_message_escalates_with_its_score_and_cues(config: EscalationConfig):
    decision = _decide(config, "THIS IS THE THIRD TIME I AM ASKING!!! Useless.")
    assert (decision.escalate, decision.reason_code, decision.rule) == (
        True,
        "negative_emotion",
        "emotion.turn_threshold",
    )
    assert (
        decision.values["score"]
        <= decision.values["threshold"]
        == config.defaults.emotion.turn_threshold
    )
    assert set(decision.values["cues"]) == {"shouting", "repeated_punctuation", "repeated_contact"}
    assert decision.emotion_score == pytest.approx(decision.values["score"], abs=1e-3)


def test_a_negative_trend_escalates_when_no_single_message_would(config: EscalationConfig):
    text = "it is still not here"
    alone = _decide(config, text)
    assert not alone.escalate and alone.emotion_score > config.defaults.emotion.turn_threshold
    decision = _decide(config, text, ConversationFacts(previous_scores=(-0.5, -0.5)))
    assert (decision.escalate, decision.reason_code, decision.rule) == (
        True,
        "negative_emotion",
        "emotion.trend_threshold",
    )
    assert decision.values["trend"] <= config.defaults.emotion.trend_threshold
    assert decision.values["scores"] == [-0.5, -0.5, round(alone.emotion_score, 3)]


def test_backend_failures_escalate_at_the_limit(config: EscalationConfig):
    limit = config.defaults.system_trouble.max_backend_failures
    assert not _decide(config, "try again", ConversationFacts(backend_failures=limit - 1)).escalate
    decision = _decide(config, "try again", ConversationFacts(backend_failures=limit))
    assert (decision.escalate, decision.reason_code, decision.rule) == (
        True,
        "system_trouble",
        "system_trouble.max_backend_failures",
    )
    assert decision.values == {"backend_failures": limit, "max_backend_failures": limit}


def test_the_turn_limit_counts_this_turn(config: EscalationConfig):
    limit = config.defaults.turn_limit.max_user_turns
    assert limit is not None
    assert not _decide(config, "and?", ConversationFacts(user_turns=limit - 2)).escalate
    decision = _decide(config, "and?", ConversationFacts(user_turns=limit - 1))
    assert (decision.escalate, decision.reason_code, decision.rule) == (
        True,
        "turn_limit",
        "turn_limit.max_user_turns",
    )
    assert decision.values == {"user_turns": limit, "max_user_turns": limit}


def test_a_completed_goal_lifts_the_turn_limit(config: EscalationConfig):
    history = ConversationFacts(user_turns=100, goal_completed=True)
    assert not _decide(config, "one more question", history).escalate


def test_first_miss_clarifies_and_second_in_a_row_escalates(config: EscalationConfig):
    first = _decide(config, "the thing from before", **UNCLEAR)
    assert (first.escalate, first.clarify, first.reason_code, first.rule) == (
        False,
        True,
        "low_confidence",
        "confidence.min_confidence",
    )
    assert first.values["consecutive_misses"] == 1 and first.low_confidence
    history = advance(CALM, first, config)
    second = _decide(config, "you know, the other one", history, **UNCLEAR)
    assert (second.escalate, second.clarify, second.reason_code, second.rule) == (
        True,
        False,
        "low_confidence",
        "confidence.misses_to_escalate",
    )
    assert second.values == {
        "intent": "inform",
        "confidence": 0.3,
        "min_confidence": config.defaults.confidence.min_confidence,
        "margin": 0.05,
        "min_margin": config.defaults.confidence.min_margin,
        "consecutive_misses": 2,
        "misses_to_escalate": config.defaults.confidence.misses_to_escalate,
    }


def test_a_close_runner_up_is_a_miss_too(config: EscalationConfig):
    decision = _decide(config, "the claim or the order", confidence=0.62, margin=0.02)
    assert (decision.clarify, decision.rule) == (True, "confidence.min_margin")


def test_a_clear_turn_between_two_misses_resets_the_count(config: EscalationConfig):
    history = CALM
    turns: list[tuple[str, dict[str, Any]]] = [
        ("the thing", UNCLEAR),
        ("where is my order BW-100002", {}),
        ("and the other", UNCLEAR),
    ]
    for text, nlu in turns:
        decision = _decide(config, text, history, **nlu)
        assert not decision.escalate
        history = advance(history, decision, config)
    assert decision.clarify


def test_a_topic_outranks_a_request_for_a_person(config: EscalationConfig):
    decision = _decide(config, "My husband passed away, can I speak to a person?")
    assert decision.reason_code == "sensitive_topic:bereavement"


def test_a_request_for_a_person_outranks_anger(config: EscalationConfig):
    decision = _decide(config, "GET ME A HUMAN NOW!!! This is SHIT")
    assert decision.reason_code == "human_requested"


def test_voice_escalates_on_wording_that_web_chat_tolerates(config: EscalationConfig):
    text = "this is so frustrating"
    score = _decide(config, text).emotion_score
    voice = config.for_channel("twilio_voice").emotion.turn_threshold
    assert config.for_channel("rest").emotion.turn_threshold < score <= voice
    assert not _decide(config, text, channel="rest").escalate
    assert _decide(config, text, channel="twilio_voice").reason_code == "negative_emotion"


def test_the_turn_limit_depends_on_the_channel(config: EscalationConfig):
    voice_limit = config.for_channel("twilio_voice").turn_limit.max_user_turns
    assert voice_limit is not None
    history = ConversationFacts(user_turns=voice_limit - 1)
    assert _decide(config, "ok", history, channel="twilio_voice").reason_code == "turn_limit"
    assert not _decide(config, "ok", history, channel="rest").escalate
    assert not _decide(config, "ok", ConversationFacts(user_turns=500), channel="email").escalate


def test_advance_keeps_what_the_next_trend_needs(config: EscalationConfig):
    history = CALM
    scores = []
    for text in ["hello", "this is awful", "terrible", "dreadful", "thanks"]:
        decision = _decide(config, text, history)
        scores.append(decision.emotion_score)
        history = advance(history, decision, config)
    keep = config.sentiment.trend.window - 1
    assert history.previous_scores == tuple(scores[-keep:])
    assert history.user_turns == 5 and history.consecutive_low_confidence == 0


def test_deciding_twice_gives_the_same_decision(config: EscalationConfig):
    history = ConversationFacts(previous_scores=(-0.2,), user_turns=3)
    text = "still not here!!"
    assert _decide(config, text, history) == _decide(config, text, history)
