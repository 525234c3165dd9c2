"""The conversation's language (the slot `language`) once the customer is known."""

from collections.abc import Mapping
from typing import Any

from actions.slots import LANGUAGE
from common.languages import languages


def recorded_language(customer: Mapping[str, Any], slots: Mapping[str, Any]) -> dict[str, str]:
    """The customer's recorded language as the conversation's, unless their messages
    already told one (a customer who writes in English is answered in English)."""
    recorded = customer.get("language")
    if slots.get(LANGUAGE) is None and recorded in languages().languages:
        return {LANGUAGE: str(recorded)}
    return {}


def conversation_language(slots: Mapping[str, Any]) -> str:
    """The language the conversation is in."""
    return str(slots.get(LANGUAGE) or languages().default)
