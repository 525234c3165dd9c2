"""The assistant's responses (domain.yml) as the action server reads them: to record
in the hand-over packet the text a response was rendered to, as Rasa renders it
(the channel's variant, else the default; `{name}` filled from the variables)."""

import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DOMAIN_PATH = Path(__file__).resolve().parent.parent / "domain.yml"
# Rasa's own placeholder syntax (rasa.shared.nlg.interpolator).
PLACEHOLDER = re.compile(r"{([^\n{}]+?)}")


@lru_cache(maxsize=1)
def responses() -> dict[str, list[dict[str, Any]]]:
    return dict(yaml.safe_load(DOMAIN_PATH.read_text(encoding="utf-8"))["responses"])


def variant(name: str, channel: str | None = None) -> dict[str, Any]:
    """The variant Rasa picks: the channel's own, else the first without a channel."""
    variants = responses()[name]
    return next((v for v in variants if channel and v.get("channel") == channel), None) or next(
        v for v in variants if not v.get("channel")
    )


def placeholders(name: str) -> set[str]:
    """Every variable any variant of the response names."""
    return {found for v in responses()[name] for found in PLACEHOLDER.findall(v.get("text", ""))}


def render(name: str, variables: Mapping[str, Any], channel: str | None = None) -> str:
    """The response's text for the channel, filled like Rasa fills it."""
    text = str(variant(name, channel).get("text", ""))
    return PLACEHOLDER.sub(lambda m: str(variables.get(m[1], m[0])), text)
