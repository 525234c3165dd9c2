"""The assistant's responses (domain.yml) as the action server reads them: to record
in the hand-over packet the text a response was rendered to, as Rasa renders it
(the channel's variant, else the default; `{name}` filled from the variables), and to
word a button's title in the conversation's language (locales/<code>.yml, else the
domain's)."""

import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DOMAIN_PATH = Path(__file__).resolve().parent.parent / "domain.yml"
LOCALES = DOMAIN_PATH.parent / "locales"
# Rasa's own placeholder syntax (rasa.shared.nlg.interpolator).
PLACEHOLDER = re.compile(r"{([^\n{}]+?)}")


@lru_cache(maxsize=1)
def responses() -> dict[str, list[dict[str, Any]]]:
    return dict(yaml.safe_load(DOMAIN_PATH.read_text(encoding="utf-8"))["responses"])


@lru_cache(maxsize=8)
def locale_responses(language: str) -> dict[str, list[dict[str, Any]]]:
    """A locale's responses (checked when the assistant loads); none for the default."""
    path = LOCALES / f"{language}.yml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    return dict((raw or {}).get("responses") or {})


def variant(name: str, channel: str | None = None, language: str | None = None) -> dict[str, Any]:
    """The variant Rasa picks: in the language's locale when it has the response, the
    channel's own, else the first without a channel."""
    variants = (locale_responses(language).get(name) if language else None) or responses()[name]
    return next((v for v in variants if channel and v.get("channel") == channel), None) or next(
        v for v in variants if not v.get("channel")
    )


def placeholders(name: str) -> set[str]:
    """Every variable any variant of the response names."""
    return {found for v in responses()[name] for found in PLACEHOLDER.findall(v.get("text", ""))}


def render(
    name: str,
    variables: Mapping[str, Any],
    channel: str | None = None,
    language: str | None = None,
) -> str:
    """The response's text for the channel (and language), filled like Rasa fills it."""
    text = str(variant(name, channel, language).get("text", ""))
    return PLACEHOLDER.sub(lambda m: str(variables.get(m[1], m[0])), text)
