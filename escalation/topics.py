"""Matching text against configured phrases, and the topics never automated.

Texts are normalised once so that the configured patterns stay simple: lower case,
typographic quotes made plain, runs of three or more of one character cut to two
("soooo" → "soo", "!!!!" → "!!") and whitespace collapsed. `PhraseSet` is used for
the topics here and, through the config, for emotion cues and requests for a person.
"""

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from common.reading import head

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201b": "'",
        "\u02bc": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
    }
)
_LONG_RUNS = re.compile(r"(.)\1{2,}")
_SPACES = re.compile(r"\s+")
_CLAUSE_END = re.compile(r"[.!?;,]")


def normalise(text: str) -> str:
    """The form every pattern is matched against."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
    return _SPACES.sub(" ", _LONG_RUNS.sub(r"\1\1", text)).strip()


@lru_cache(maxsize=64)
def normalise_message(text: str) -> str:
    """A customer's message as the rules read it: the part the assistant reads
    (common/reading.py), normalised. The rules scan it with one regex per phrase set
    on Rasa's event loop, and the policy asks several times per message: the scan is
    bounded, the normalised text kept for the next ask."""
    return normalise(head(text))


def phrase_pattern(phrase: str) -> str:
    """A literal phrase as a regex: whole words, any run of spaces between them."""
    words = (re.escape(word) for word in normalise(phrase).split(" "))
    return r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)"


def any_of(patterns: Sequence[str]) -> re.Pattern[str]:
    """One regex matching wherever any of the patterns matches: a single scan of the
    text instead of one per pattern. Patterns are lower case, as the text is."""
    return re.compile("|".join(f"(?:{pattern})" for pattern in patterns))


@dataclass(frozen=True)
class PhraseSet:
    """What marks a topic or cue, with the exceptions that cancel a match.

    `exclude` cancels a match that overlaps one of its own matches ("my battery
    died" cancels "died"); `negated_by` cancels a match whose clause starts with
    a negation within `negation_window` characters before it ("I don't need a
    human"). The first match that survives both is returned.
    """

    name: str
    pattern: re.Pattern[str]
    exclude: re.Pattern[str] | None = None
    negated_by: re.Pattern[str] | None = None
    negation_window: int = 30

    def find(self, normalised: str) -> str | None:
        """The matched phrase in an already normalised text, or None."""
        excluded = (
            [match.span() for match in self.exclude.finditer(normalised)] if self.exclude else []
        )
        for match in self.pattern.finditer(normalised):
            start, end = match.span()
            if any(start < x_end and x_start < end for x_start, x_end in excluded):
                continue
            if not self._negated(normalised, start):
                return match.group(0)
        return None

    def _negated(self, normalised: str, start: int) -> bool:
        if self.negated_by is None:
            return False
        before = normalised[max(0, start - self.negation_window) : start]
        clause = _CLAUSE_END.split(before)[-1]
        return self.negated_by.search(clause) is not None


@dataclass(frozen=True)
class TopicMatch:
    topic: str  # the key under `topics` in escalation.yml
    phrase: str  # the words that matched, normalised


@lru_cache(maxsize=64)
def detect_topic(text: str, topics: tuple[PhraseSet, ...]) -> TopicMatch | None:
    """The first configured topic the text matches, or None: a match hands the
    customer to a person at once. Cached like normalise_message."""
    normalised = normalise_message(text)
    for topic in topics:
        phrase = topic.find(normalised)
        if phrase is not None:
            return TopicMatch(topic.name, phrase)
    return None
