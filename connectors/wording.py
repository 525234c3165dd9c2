"""What a channel says on its own (an e-mail's greeting and signature, a call's
"didn't hear you"), read from the running assistant's domain responses like every
other sentence, with their channel variants and named variables."""

from typing import Any

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from sanic import Sanic


class WordingMissing(LookupError):
    """The domain has no such response (or Rasa has no model loaded yet)."""


def say(response: str, channel: str, **variables: Any) -> str:
    """The response's text for the channel, its variables filled."""
    agent = getattr(Sanic.get_app().ctx, "agent", None)
    domain = getattr(agent, "domain", None)
    if domain is None or response not in domain.responses:
        raise WordingMissing(f"no response {response} in the loaded domain")
    said = TemplatedNaturalLanguageGenerator(domain.responses).generate_from_slots(
        response, {}, channel, **variables
    )
    return str((said or {}).get("text") or "")
