"""Reads escalation.yml into frozen settings, refusing anything malformed.

Everything is checked once, at load: the structure against `SCHEMA`
(escalation/config_schema.py), then
what a schema cannot say (every regex compiles, a phrase set has something to
match, the trend needs no more turns than it looks at). Every problem found is
reported at once, each on its own line, as `key.path: problem`.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from common.config_files import read_yaml
from common.languages import languages as known_languages
from common.schemas import schema_validator
from escalation.config_schema import SCHEMA
from escalation.topics import PhraseSet, any_of, phrase_pattern

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "escalation.yml"

_ESCAPES = re.compile(r"\\.")  # \S, \W, \B... are not capital letters to match
_UPPER_CASE = re.compile(r"[A-Z]")


class EscalationConfigError(ValueError):
    """escalation.yml cannot be used; the message names each bad key and its problem."""


@dataclass(frozen=True)
class ConfidenceSettings:
    min_confidence: float
    min_margin: float
    misses_to_escalate: int


@dataclass(frozen=True)
class EmotionSettings:
    turn_threshold: float
    trend_threshold: float


@dataclass(frozen=True)
class TurnLimitSettings:
    max_user_turns: int | None  # None: the channel has no turn limit


@dataclass(frozen=True)
class SystemTroubleSettings:
    max_backend_failures: int


@dataclass(frozen=True)
class ChannelSettings:
    """The thresholds in force on one channel: the defaults with its overrides."""

    channel: str
    confidence: ConfidenceSettings
    emotion: EmotionSettings
    turn_limit: TurnLimitSettings
    system_trouble: SystemTroubleSettings


@dataclass(frozen=True)
class Cue:
    """A sign of emotion in the wording; `weight` (≤ 0) is added to the sentiment,
    and `positive_sentiment` (one of POSITIVE_SENTIMENT) says what becomes of a
    positive sentiment score when the cue is found."""

    name: str
    weight: float
    phrases: PhraseSet
    positive_sentiment: str


@dataclass(frozen=True)
class ShoutingCue:
    """Shouting: at least `min_words` words of two or more letters, and at least
    `min_ratio` of all such words, written in capitals."""

    weight: float
    min_words: int
    min_ratio: float


@dataclass(frozen=True)
class TrendSettings:
    """Exponentially weighted mean of the last `window` scores, the newest weighted
    `smoothing`; no trend before `min_turns` scores."""

    smoothing: float
    window: int
    min_turns: int


@dataclass(frozen=True)
class SentimentSettings:
    lexicon_overrides: tuple[tuple[str, float], ...]
    trend: TrendSettings
    shouting: ShoutingCue
    cues: tuple[Cue, ...]
    # VADER's lexicon (with lexicon_overrides) reads the default language; a message in
    # another language is scored with that language's own lexicon (languages.<code>.lexicon)
    # or, with none, by its cues alone: "die" is an article in German, not a death.
    default_language: str = "en"
    lexicons: tuple[tuple[str, tuple[tuple[str, float], ...]], ...] = ()


@dataclass(frozen=True)
class HumanRequestSettings:
    intents: frozenset[str]
    min_intent_confidence: float
    wording: PhraseSet


@dataclass(frozen=True)
class EscalationConfig:
    """Everything in escalation.yml, validated; thresholds per channel via `for_channel`."""

    defaults: ChannelSettings
    channels: Mapping[str, ChannelSettings]
    sentiment: SentimentSettings
    human_request: HumanRequestSettings
    topics: tuple[PhraseSet, ...]  # in the file's order: the first match names the topic
    goal_actions: frozenset[str] = frozenset()  # actions that complete a customer's goal
    # A `description` written anywhere, by its dotted key ("topics.fraud"): the agent
    # desk's sentence for the rule.
    descriptions: Mapping[str, str] = field(default_factory=dict)

    def for_channel(self, channel: str) -> ChannelSettings:
        """A configured channel's settings; any other channel gets the defaults."""
        return self.channels.get(channel, self.defaults)


def load_escalation_config(path: str | Path | None = None) -> EscalationConfig:
    """Reads and validates escalation.yml (the project root's unless `path` is given)."""
    source = Path(path) if path is not None else DEFAULT_PATH
    return parse_escalation_config(read_yaml(source, EscalationConfigError), str(source))


@lru_cache(maxsize=4)
def escalation_config(path: str | Path | None = None) -> EscalationConfig:
    """escalation.yml read and validated once per process: the loader its readers share
    (the policy, the emotion analyser, the actions, the bench)."""
    return load_escalation_config(path)


def _without_descriptions(node: Any, path: tuple[str, ...], found: dict[str, str]) -> Any:
    """The document without its `description` texts, which go into `found`."""
    if not isinstance(node, dict):
        return node
    text = node.get("description")
    if isinstance(text, str) and path:
        found[".".join(path)] = " ".join(text.split())
    return {
        key: _without_descriptions(value, (*path, str(key)), found)
        for key, value in node.items()
        if not (key == "description" and isinstance(value, str) and path)
    }


def parse_escalation_config(raw: Any, source: str = "escalation.yml") -> EscalationConfig:
    """Validates an already parsed escalation.yml document and builds the settings."""
    descriptions: dict[str, str] = {}
    raw = _without_descriptions(raw, (), descriptions)
    problems = [
        (_key(error.absolute_path), error.message)
        for error in schema_validator(SCHEMA, formats=False).iter_errors(raw)
    ]
    if not problems:
        builder = _Builder()
        config = builder.config(raw)
        if not builder.problems:
            return replace(config, descriptions=MappingProxyType(descriptions))
        problems = builder.problems
    lines = "\n".join(f"  {key or '(top level)'}: {message}" for key, message in sorted(problems))
    raise EscalationConfigError(f"{source} is invalid:\n{lines}")


def _key(path: Any) -> str:
    """Where a problem is, as `channels.email.turn_limit` or `topics.fraud.patterns[2]`."""
    key = ""
    for part in path:
        if isinstance(part, int):
            key += f"[{part}]"
        else:
            key += f".{part}" if key else str(part)
    return key


class _Builder:
    """Turns a schema-valid document into settings, collecting what is still wrong."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def config(self, raw: dict[str, Any]) -> EscalationConfig:
        self.languages = self.other_languages(raw)
        defaults = raw["defaults"]
        channels = {
            name: self.channel(name, defaults, overrides)
            for name, overrides in raw["channels"].items()
        }
        human = raw["human_request"]
        return EscalationConfig(
            defaults=self.channel("defaults", defaults, {}),
            channels=MappingProxyType(channels),
            sentiment=self.sentiment(raw["sentiment"]),
            human_request=HumanRequestSettings(
                intents=frozenset(human["intents"]),
                min_intent_confidence=human["min_intent_confidence"],
                wording=self.phrase_set(
                    "human_request.wording", human["wording"], self.wordings("human_request")
                ),
            ),
            topics=tuple(
                self.phrase_set(f"topics.{name}", spec, self.wordings("topics", name))
                for name, spec in raw["topics"].items()
            ),
            goal_actions=frozenset(raw.get("goal_actions", ())),
        )

    def other_languages(self, raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """languages.<code>: each one of languages.yml's other languages, naming only
        cues and topics the sections above have."""
        config = known_languages()
        found = {}
        for code, spec in raw.get("languages", {}).items():
            if code not in config.languages:
                self.problems.append((f"languages.{code}", "not one of languages.yml's languages"))
                continue
            if code == config.default:
                self.problems.append((f"languages.{code}", "the sections above are in it"))
                continue
            for section, known in (("cues", raw["sentiment"]["cues"]), ("topics", raw["topics"])):
                for name in spec.get(section, {}):
                    if name not in known:
                        self.problems.append(
                            (f"languages.{code}.{section}.{name}", f"not one of {section}")
                        )
            found[code] = spec
        return found

    def wordings(self, section: str, name: str | None = None) -> list[tuple[str, dict[str, Any]]]:
        """The other languages' wording of one phrase set, each with its key."""
        found = []
        for code, spec in self.languages.items():
            wording = spec.get(section, {}) if name is None else spec.get(section, {}).get(name)
            if wording:
                key = f"languages.{code}.{section}" + (f".{name}" if name else "")
                found.append((key, wording))
        return found

    @staticmethod
    def channel(name: str, defaults: dict[str, Any], overrides: dict[str, Any]) -> ChannelSettings:
        merged = {
            section: {**values, **overrides.get(section, {})}
            for section, values in defaults.items()
        }
        return ChannelSettings(
            channel=name,
            confidence=ConfidenceSettings(**merged["confidence"]),
            emotion=EmotionSettings(**merged["emotion"]),
            turn_limit=TurnLimitSettings(**merged["turn_limit"]),
            system_trouble=SystemTroubleSettings(**merged["system_trouble"]),
        )

    def sentiment(self, raw: dict[str, Any]) -> SentimentSettings:
        trend = TrendSettings(**raw["trend"])
        if trend.min_turns > trend.window:
            self.problems.append(
                (
                    "sentiment.trend.min_turns",
                    f"{trend.min_turns} is more than the window of {trend.window}",
                )
            )
        overrides = raw.get("lexicon_overrides", {})
        return SentimentSettings(
            lexicon_overrides=tuple(
                sorted((word.lower(), float(value)) for word, value in overrides.items())
            ),
            trend=trend,
            shouting=ShoutingCue(**raw["shouting"]),
            cues=tuple(
                Cue(
                    name=name,
                    weight=spec["weight"],
                    phrases=self.phrase_set(
                        f"sentiment.cues.{name}", spec, self.wordings("cues", name)
                    ),
                    positive_sentiment=spec.get("positive_sentiment", "keep"),
                )
                for name, spec in raw["cues"].items()
            ),
            default_language=known_languages().default,
            lexicons=tuple(
                (code, tuple(sorted((w.lower(), float(v)) for w, v in spec["lexicon"].items())))
                for code, spec in self.languages.items()
                if "lexicon" in spec
            ),
        )

    def phrase_set(
        self, key: str, spec: dict[str, Any], wordings: Sequence[tuple[str, dict[str, Any]]] = ()
    ) -> PhraseSet:
        """One phrase set, with its wording in other languages (matched in every message:
        a customer may mix languages)."""
        patterns: list[str] = []
        exclude: list[str] = []
        negations: list[str] = []
        for part_key, part in [(key, spec), *wordings]:
            patterns += [phrase_pattern(phrase) for phrase in part.get("phrases", [])]
            patterns += self.regexes(f"{part_key}.patterns", part.get("patterns", []))
            if not part.get("phrases") and not part.get("patterns"):
                self.problems.append((part_key, "needs at least one entry in phrases or patterns"))
            exclude += self.regexes(f"{part_key}.exclude", part.get("exclude", []))
            negation = part.get("negated_by")
            if negation is not None and self.usable(f"{part_key}.negated_by", negation):
                negations.append(negation)
        return PhraseSet(
            name=key.rsplit(".", 1)[-1],
            pattern=any_of(patterns),
            exclude=any_of(exclude) if exclude else None,
            negated_by=any_of(negations) if negations else None,
        )

    def regexes(self, key: str, patterns: list[str]) -> list[str]:
        return [
            pattern
            for index, pattern in enumerate(patterns)
            if self.usable(f"{key}[{index}]", pattern)
        ]

    def usable(self, key: str, pattern: str) -> bool:
        """Whether the pattern can be used; when not, the problem is noted."""
        problem = _regex_problem(pattern)
        if problem is not None:
            self.problems.append((key, f"{problem}: {pattern!r}"))
        return problem is None


def _regex_problem(pattern: str) -> str | None:
    try:
        re.compile(pattern)
        re.compile(f"(?:{pattern})")  # as it will be joined with the others: see any_of
    except re.error as error:
        return f"is not a valid regular expression ({error})"
    if _UPPER_CASE.search(_ESCAPES.sub("", pattern)):
        return "has capital letters, but the text is matched in lower case"
    return None
