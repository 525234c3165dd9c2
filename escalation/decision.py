"""The escalation decision for one customer turn: a pure function of facts and config.

The rules, in the order they are tried (the first that fires names the decision):

1. a topic never automated (bereavement, legal, fraud, vulnerability);
2. an explicit request for a person (the NLU intent, or the wording);
3. negative emotion: this message, or the trend over the last messages;
4. system trouble: backend or action failures in this conversation;
5. too many user turns without a completed goal;
6. low certainty: a second miss in a row escalates, a first one asks to clarify.

A sensitive topic outranks a request for a person so that the hand-over goes to the
team for that topic. `decide` reads nothing but its arguments (VADER's lexicon is
read once per process, see `signals.warm_up`), so calling it on every turn is cheap.
A policy that sees a backend failure without a new customer message can call it
again with the last turn and the updated `ConversationFacts`.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from escalation.config import ChannelSettings, EscalationConfig
from escalation.signals import EmotionSignal, score_emotion
from escalation.topics import detect_topic, normalise_message

NO_REASON = "none"


@dataclass(frozen=True)
class TurnFacts:
    """What the tracker says about the customer's latest message."""

    text: str
    intent: str | None = None
    confidence: float = 1.0
    margin: float = 1.0  # top intent's confidence minus the runner-up's
    # The NLU's own confidence in `intent` when it differs: inside a form `confidence`
    # counts as 1.0 (an answer is not a miss), but a request for a person still needs
    # the NLU sure.
    intent_confidence: float | None = None

    @property
    def nlu_confidence(self) -> float:
        return self.confidence if self.intent_confidence is None else self.intent_confidence

    # The emotion the NLU pipeline already scored off the event loop (score,
    # sentiment, (cue, matched) pairs); None: score the text here.
    scored_emotion: tuple[float, float, tuple[tuple[str, str], ...]] | None = None


@dataclass(frozen=True)
class ConversationFacts:
    """What the tracker says about the conversation before the latest message."""

    previous_scores: tuple[float, ...] = ()  # emotion scores of earlier messages, oldest first
    consecutive_low_confidence: int = 0  # misses in a row just before this turn
    user_turns: int = 0  # customer messages before this one
    goal_completed: bool = False
    backend_failures: int = 0


@dataclass(frozen=True)
class Decision:
    """What to do now and why; `clarify` is only ever set without `escalate`."""

    escalate: bool
    clarify: bool
    reason_code: str  # e.g. "negative_emotion", "sensitive_topic:fraud"; "none" when nothing fired
    rule: str  # the escalation.yml key that fired, e.g. "emotion.trend_threshold"; "none"
    values: Mapping[str, Any]  # what made it fire
    emotion_score: float  # this message's score, for the next turn's history
    low_confidence: bool  # this turn is a miss, for the next turn's history


class _Turn(NamedTuple):
    facts: TurnFacts
    history: ConversationFacts
    config: EscalationConfig
    settings: ChannelSettings
    emotion: EmotionSignal
    miss: bool


class _Fired(NamedTuple):
    reason_code: str
    rule: str
    values: dict[str, Any]


def is_miss(turn: TurnFacts, settings: ChannelSettings) -> bool:
    """Whether the NLU was unsure of this message: low confidence or a small margin."""
    return (
        turn.confidence < settings.confidence.min_confidence
        or turn.margin < settings.confidence.min_margin
    )


def decide(
    turn: TurnFacts, history: ConversationFacts, config: EscalationConfig, channel: str
) -> Decision:
    """Whether to hand this conversation to a person now, and why."""
    settings = config.for_channel(channel)
    if turn.scored_emotion is None:
        emotion = score_emotion(turn.text, config.sentiment)
    else:
        emotion = EmotionSignal(*turn.scored_emotion, trend_settings=config.sentiment.trend)
    miss = is_miss(turn, settings)
    context = _Turn(turn, history, config, settings, emotion, miss)
    for rule in _ESCALATION_RULES:
        fired = rule(context)
        if fired is not None:
            return Decision(True, False, *fired, emotion_score=emotion.score, low_confidence=miss)
    if miss:
        threshold = (
            "min_confidence"
            if turn.confidence < settings.confidence.min_confidence
            else "min_margin"
        )
        return Decision(
            False,
            True,
            "low_confidence",
            f"confidence.{threshold}",
            _confidence_values(context),
            emotion.score,
            True,
        )
    return Decision(False, False, NO_REASON, NO_REASON, {}, emotion.score, False)


def decision_record(decision: Decision, channel: str) -> dict[str, Any]:
    """The decision as the policy records it in the tracker: plain JSON."""
    return json.loads(
        json.dumps(
            {
                "escalate": decision.escalate,
                "clarify": decision.clarify,
                "reason_code": decision.reason_code,
                "rule": decision.rule,
                "values": dict(decision.values),
                "emotion_score": round(decision.emotion_score, 3),
                "low_confidence": decision.low_confidence,
                "channel": channel,
            }
        )
    )


def decision_from_record(record: Mapping[str, Any]) -> Decision:
    """A recorded decision read back: what the hand-over and the next turn's history use."""
    return Decision(
        bool(record.get("escalate")),
        bool(record.get("clarify")),
        str(record.get("reason_code") or NO_REASON),
        str(record.get("rule") or NO_REASON),
        dict(record.get("values") or {}),
        float(record.get("emotion_score") or 0.0),
        bool(record.get("low_confidence")),
    )


def advance(
    history: ConversationFacts, decision: Decision, config: EscalationConfig
) -> ConversationFacts:
    """The history the next turn is decided with, once this turn's decision is made."""
    keep = config.sentiment.trend.window - 1
    return replace(
        history,
        previous_scores=(*history.previous_scores, decision.emotion_score)[-keep:] if keep else (),
        consecutive_low_confidence=history.consecutive_low_confidence + 1
        if decision.low_confidence
        else 0,
        user_turns=history.user_turns + 1,
    )


def _sensitive_topic(turn: _Turn) -> _Fired | None:
    match = detect_topic(turn.facts.text, turn.config.topics)
    if match is None:
        return None
    return _Fired(
        f"sensitive_topic:{match.topic}",
        f"topics.{match.topic}",
        {"topic": match.topic, "phrase": match.phrase},
    )


def _human_requested(turn: _Turn) -> _Fired | None:
    request = turn.config.human_request
    if (
        turn.facts.intent in request.intents
        and turn.facts.nlu_confidence >= request.min_intent_confidence
    ):
        return _Fired(
            "human_requested",
            "human_request.intents",
            {
                "intent": turn.facts.intent,
                "confidence": turn.facts.nlu_confidence,
                "min_intent_confidence": request.min_intent_confidence,
            },
        )
    phrase = request.wording.find(normalise_message(turn.facts.text))
    if phrase is None:
        return None
    return _Fired("human_requested", "human_request.wording", {"phrase": phrase})


def _negative_emotion(turn: _Turn) -> _Fired | None:
    emotion, thresholds = turn.emotion, turn.settings.emotion
    if emotion.score <= thresholds.turn_threshold:
        return _Fired(
            "negative_emotion",
            "emotion.turn_threshold",
            {
                "score": round(emotion.score, 3),
                "threshold": thresholds.turn_threshold,
                "sentiment": emotion.sentiment,
                "cues": dict(emotion.cues),
            },
        )
    trend = emotion.trend(turn.history.previous_scores)
    if trend is not None and trend <= thresholds.trend_threshold:
        return _Fired(
            "negative_emotion",
            "emotion.trend_threshold",
            {
                "trend": round(trend, 3),
                "threshold": thresholds.trend_threshold,
                "scores": [
                    round(score, 3) for score in (*turn.history.previous_scores, emotion.score)
                ],
                "cues": dict(emotion.cues),
            },
        )
    return None


def _system_trouble(turn: _Turn) -> _Fired | None:
    failures = turn.history.backend_failures
    limit = turn.settings.system_trouble.max_backend_failures
    if failures < limit:
        return None
    return _Fired(
        "system_trouble",
        "system_trouble.max_backend_failures",
        {"backend_failures": failures, "max_backend_failures": limit},
    )


def _turn_limit(turn: _Turn) -> _Fired | None:
    limit = turn.settings.turn_limit.max_user_turns
    user_turns = turn.history.user_turns + 1
    if limit is None or turn.history.goal_completed or user_turns < limit:
        return None
    return _Fired(
        "turn_limit",
        "turn_limit.max_user_turns",
        {"user_turns": user_turns, "max_user_turns": limit},
    )


def _repeated_low_confidence(turn: _Turn) -> _Fired | None:
    misses = turn.history.consecutive_low_confidence + 1
    if not turn.miss or misses < turn.settings.confidence.misses_to_escalate:
        return None
    return _Fired("low_confidence", "confidence.misses_to_escalate", _confidence_values(turn))


def _confidence_values(turn: _Turn) -> dict[str, Any]:
    thresholds = turn.settings.confidence
    return {
        "intent": turn.facts.intent,
        "confidence": turn.facts.confidence,
        "min_confidence": thresholds.min_confidence,
        "margin": turn.facts.margin,
        "min_margin": thresholds.min_margin,
        "consecutive_misses": turn.history.consecutive_low_confidence + 1,
        "misses_to_escalate": thresholds.misses_to_escalate,
    }


_ESCALATION_RULES: tuple[Callable[[_Turn], _Fired | None], ...] = (
    _sensitive_topic,
    _human_requested,
    _negative_emotion,
    _system_trouble,
    _turn_limit,
    _repeated_low_confidence,
)
