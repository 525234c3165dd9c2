"""How upset a customer sounds: VADER sentiment plus the cues of a contact centre.

VADER is a lexicon with rules, no model: after its lexicon is read once per
process, scoring a message is pure computation. Its general-purpose lexicon is
corrected by `sentiment.lexicon_overrides` for words that here describe devices,
not feelings ("my battery died", "this bug kills my battery"). The cues VADER does
not know (shouting, repeated !!!/???, profanity, "third time", "still not",
hostility, threats to leave, cancel or go public, sarcasm) add their negative
weights; a cue can also discard or flip a positive VADER score, which misreads
"never again. worst experience ever." and "oh great, another delay".
"""

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from escalation.config import SentimentSettings, ShoutingCue, TrendSettings
from escalation.topics import normalise

SHOUTING = "shouting"
# How much of a message is scored: VADER's cost grows with the square of its words
# and it spells every emoji out (10,000 emoji took minutes). Runs of one character
# longer than four are cut to four (VADER counts no more than four "!" anyway).
DEFAULT_MAX_CHARS = 1000
DEFAULT_MAX_EMOJI = 50
_LONG_RUN = re.compile(r"(.)\1{4,}", re.DOTALL)
_WORDS = re.compile(r"(?<![\w-])[^\W\d_]{2,}(?![\w-])")  # ids such as BW-100002 are not words


@dataclass(frozen=True)
class EmotionSignal:
    """One message's emotion: `score` in [-1, 1], negative when upset."""

    score: float
    sentiment: float  # VADER's compound score, before the cues
    cues: tuple[tuple[str, str], ...]  # (cue name, what matched)
    trend_settings: TrendSettings

    def trend(self, previous_scores: Sequence[float]) -> float | None:
        """Exponentially weighted mean of the last scores ending with this one;
        None while there are fewer than the configured minimum of turns."""
        settings = self.trend_settings
        scores = [*previous_scores, self.score][-settings.window :]
        if len(scores) < settings.min_turns:
            return None
        mean = scores[0]
        for score in scores[1:]:
            mean = settings.smoothing * score + (1 - settings.smoothing) * mean
        return mean


def warm_up(settings: SentimentSettings) -> None:
    """Reads VADER's lexicons now rather than on the first scored message."""
    _analyzer(settings.lexicon_overrides)
    for language, _ in settings.lexicons:
        _analyzer_for(settings, language)


def bounded(text: str, max_chars: int, max_emoji: int) -> str:
    """The part of a message that is scored: its first max_chars characters after
    long runs are cut, with emoji (any other symbol too) beyond the first max_emoji
    dropped."""
    text = _LONG_RUN.sub(lambda m: m.group(1) * 4, text[: max_chars * 4])[:max_chars]
    kept, seen = [], 0
    for character in text:
        if unicodedata.category(character) == "So":
            seen += 1
            if seen > max_emoji:
                continue
        kept.append(character)
    return "".join(kept)


def score_emotion(
    text: str,
    settings: SentimentSettings,
    max_chars: int = DEFAULT_MAX_CHARS,
    max_emoji: int = DEFAULT_MAX_EMOJI,
    language: str | None = None,
) -> EmotionSignal:
    """VADER's score of the (bounded) text in language (None: the default one), with
    that language's lexicon, corrected by the cues found in it."""
    text = bounded(text, max_chars, max_emoji)
    analyzer = _analyzer_for(settings, language)
    sentiment = analyzer.polarity_scores(text)["compound"] if analyzer else 0.0
    normalised = normalise(text)
    cues: list[tuple[str, str]] = []
    weight = 0.0
    treatments = {"keep"}  # what the cues found say about a positive sentiment
    shouted = _shouted_words(text, settings.shouting)
    if shouted:
        cues.append((SHOUTING, shouted))
        weight += settings.shouting.weight
    for cue in settings.cues:
        matched = cue.phrases.find(normalised)
        if matched is not None:
            cues.append((cue.name, matched))
            weight += cue.weight
            treatments.add(cue.positive_sentiment)
    base = sentiment
    if sentiment > 0 and "flip" in treatments:
        base = -sentiment
    elif sentiment > 0 and "ignore" in treatments:
        base = 0.0
    return EmotionSignal(
        score=max(-1.0, min(1.0, base + weight)),
        sentiment=sentiment,
        cues=tuple(cues),
        trend_settings=settings.trend,
    )


def _shouted_words(text: str, shouting: ShoutingCue) -> str | None:
    words = _WORDS.findall(text)
    capitals = [word for word in words if word.isupper()]
    if len(capitals) >= shouting.min_words and len(capitals) >= shouting.min_ratio * len(words):
        return " ".join(capitals)
    return None


def _analyzer_for(
    settings: SentimentSettings, language: str | None
) -> SentimentIntensityAnalyzer | None:
    """VADER with the language's lexicon; None for a language that has none."""
    if language is None or language == settings.default_language:
        return _analyzer(settings.lexicon_overrides)
    own = dict(settings.lexicons).get(language)
    return _analyzer(own, replaced=True) if own is not None else None


@lru_cache(maxsize=8)
def _analyzer(
    lexicon_overrides: tuple[tuple[str, float], ...], replaced: bool = False
) -> SentimentIntensityAnalyzer:
    """VADER with its English lexicon overridden, or replaced by another language's."""
    analyzer = SentimentIntensityAnalyzer()
    if replaced:
        analyzer.lexicon = {}
    analyzer.lexicon.update(lexicon_overrides)
    return analyzer
