"""Which language a customer's message is in, given the conversation's language so far
(languages.yml). The detector (lingua, whose models ship in its wheel) reads only what
is left once record ids, numbers, addresses and links are taken out, and only when
enough is left: "ok" or "BW-100045" keeps the conversation's language."""

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from common.languages import LanguageConfig, languages

# What tells nothing of a language: links, e-mail addresses, record ids written with a
# space (CLM 70001), and any word with a digit (BW-100045, SW1A, 12.03.1985).
_NOT_LANGUAGE = re.compile(r"https?://\S+|\S+@\S+|\b[a-z]{1,3} \d{3,}\b|\S*\d\S*", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
# A browser's language tag (BCP 47, as navigator.language gives it): "de-DE", "es-419".
_TAG = re.compile(r"([A-Za-z]{2,3})(?:-[A-Za-z0-9]{1,8}){0,4}")


def _phrase(text: str) -> str:
    """A message or a listed phrase as the words it has, lower-cased, one space apart."""
    return " ".join(word.replace("’", "'") for word in _WORD.findall(text.lower()))


@dataclass(frozen=True)
class Reading:
    """The language to go on in, and why: asked (the customer asked for it), words
    (short replies of one language), detected, or kept (nothing told otherwise)."""

    language: str
    how: str


class LanguageReader:
    """Reads messages' languages by languages.yml."""

    def __init__(self, config: LanguageConfig) -> None:
        self.config = config
        self._words: dict[str, set[str]] = {}
        for language, words in config.words.items():
            for word in words:
                self._words.setdefault(_phrase(word), set()).add(language)
        self._asked = [
            (f" {_phrase(phrase)} ", language)
            for language, phrases in config.asked_for.items()
            for phrase in phrases
        ]
        self._negations = [f" {_phrase(negation)} " for negation in config.negations]
        self._names = {_phrase(name) for name in config.names}

    @cached_property
    def detector(self) -> LanguageDetector:
        languages = [Language.from_iso_code_639_1(_iso(code)) for code in self.config.languages]
        return (
            LanguageDetectorBuilder.from_languages(*languages)
            .with_preloaded_language_models()
            .build()
        )

    def read(self, text: str, current: str | None) -> Reading:
        """The language to answer text in, when the conversation was in current (None:
        nothing known yet)."""
        return self.heard(text) or Reading(current or self.config.default, "kept")

    def heard(self, text: str) -> Reading | None:
        """The language text tells, or None when it tells none ("ok", "BW-100045", a
        button's payload such as "/affirm")."""
        if text.lstrip().startswith("/"):
            return None
        words = " ".join(
            word
            for word in _phrase(_NOT_LANGUAGE.sub(" ", text)).split()
            if word not in self._names
        )
        if not words:
            return None
        for phrase, language in self._asked:
            before, found, _ = f" {words} ".partition(phrase)
            if found and not any(f"{before} ".endswith(no) for no in self._negations):
                return Reading(language, "asked")
        listed = self._listed(words)
        if listed is not None:
            return Reading(listed, "words") if listed else None
        if sum(len(word) for word in words.split()) < self.config.min_letters:
            return None
        best = self.detector.compute_language_confidence_values(words)[0]
        if best.value < self.config.min_confidence:
            return None
        return Reading(best.language.iso_code_639_1.name.lower(), "detected")

    def of_tag(self, tag: object) -> str | None:
        """The language of a browser's language tag ("de-DE" → "de") when it is one of
        ours; None for anything else."""
        found = _TAG.fullmatch(tag) if isinstance(tag, str) and len(tag) <= 35 else None
        language = found.group(1).lower() if found else None
        return language if language in self.config.languages else None

    def _listed(self, words: str) -> str | None:
        """The one language whose short replies make up words ('' when more than one
        language has them), or None when words are not all short replies."""
        shared: set[str] | None = None
        rest = words.split()
        while rest:
            for size in range(len(rest), 0, -1):
                found = self._words.get(" ".join(rest[:size]))
                if found:
                    shared = found if shared is None else shared & found
                    rest = rest[size:]
                    break
            else:
                return None
        if shared is None:
            return None
        return next(iter(shared)) if len(shared) == 1 else ""


def _iso(code: str) -> IsoCode639_1:
    return getattr(IsoCode639_1, code.upper())


@lru_cache(maxsize=1)
def reader() -> LanguageReader:
    """The reader of the project's languages.yml, built once per process."""
    return LanguageReader(languages())
