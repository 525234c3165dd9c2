"""What a channel says on its own (an e-mail's greeting and signature, numbered
options, a call's "didn't hear you"), read from the assistant's domain responses
like every other sentence, with their channel variants and named variables: the
running model's domain in Rasa, domain.yml where no model runs (tests, tools)."""

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from sanic import Sanic
from sanic.exceptions import SanicException

DOMAIN_FILE = Path(__file__).resolve().parents[1] / "domain.yml"


class WordingMissing(LookupError):
    """The domain has no such response."""


@lru_cache(maxsize=1)
def _file_responses() -> dict[str, Any]:
    return dict(yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))["responses"])


def _responses() -> dict[str, Any]:
    try:
        domain = getattr(getattr(Sanic.get_app().ctx, "agent", None), "domain", None)
    except SanicException:  # no Rasa app in this process
        domain = None
    return dict(domain.responses) if domain is not None else _file_responses()


def say(response: str, channel: str, **variables: Any) -> str:
    """The response's text for the channel, its variables filled."""
    responses = _responses()
    if response not in responses:
        raise WordingMissing(f"no response {response} in the domain")
    said = TemplatedNaturalLanguageGenerator(responses).generate_from_slots(
        response, {}, channel, **variables
    )
    return str((said or {}).get("text") or "")
