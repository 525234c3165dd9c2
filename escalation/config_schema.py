"""The structure escalation.yml must have (JSON Schema, draft 7); what a schema
cannot say is checked in escalation/config.py."""

from typing import Any

CHANNELS = ("rest", "socketio", "twilio", "twilio_voice", "email")
# What a cue found in a message does to a positive VADER score: nothing, discard
# it (VADER misreads "never again. worst experience ever." as praise), or turn
# it negative (sarcasm: "oh great, another delay").
POSITIVE_SENTIMENT = ("keep", "ignore", "flip")

_PROBABILITY = {"type": "number", "minimum": 0, "maximum": 1}
_SCORE = {"type": "number", "minimum": -1, "maximum": 1}
_COUNT = {"type": "integer", "minimum": 1}
_STRINGS = {"type": "array", "items": {"type": "string", "minLength": 1}}

THRESHOLD_SECTIONS: dict[str, dict[str, Any]] = {
    "confidence": {
        "min_confidence": _PROBABILITY,
        "min_margin": _PROBABILITY,
        "misses_to_escalate": _COUNT,
    },
    "emotion": {
        "turn_threshold": _SCORE,
        "trend_threshold": _SCORE,
    },
    "turn_limit": {
        "max_user_turns": {"type": ["integer", "null"], "minimum": 1},
    },
    "system_trouble": {
        "max_backend_failures": _COUNT,
    },
}


def _sections(required: bool) -> dict[str, Any]:
    """The threshold sections, written once and used twice: in `defaults` every key
    is required, in a channel's overrides every key is optional."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(THRESHOLD_SECTIONS) if required else [],
        "properties": {
            section: {
                "type": "object",
                "additionalProperties": False,
                "required": list(keys) if required else [],
                "properties": keys,
            }
            for section, keys in THRESHOLD_SECTIONS.items()
        },
    }


_PHRASE_SET: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "phrases": _STRINGS,
        "patterns": _STRINGS,
        "exclude": _STRINGS,
        "negated_by": {"type": "string", "minLength": 1},
    },
}

_CUE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["weight"],
    "properties": {
        **_PHRASE_SET["properties"],
        "weight": {"type": "number", "minimum": -1, "maximum": 0},
        "positive_sentiment": {"enum": list(POSITIVE_SENTIMENT)},
    },
}

# Another language's wording for the cues, the requests for a person and the topics
# (by their names in the sections above), and its own sentiment lexicon.
_LANGUAGE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "lexicon": {
            "type": "object",
            "additionalProperties": {"type": "number", "minimum": -4, "maximum": 4},
        },
        "cues": {"type": "object", "additionalProperties": _PHRASE_SET},
        "human_request": _PHRASE_SET,
        "topics": {"type": "object", "additionalProperties": _PHRASE_SET},
    },
}

SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "additionalProperties": False,
    "required": ["version", "defaults", "channels", "sentiment", "human_request", "topics"],
    "properties": {
        "version": {"const": 1},
        "defaults": _sections(required=True),
        "channels": {
            "type": "object",
            "additionalProperties": False,
            "properties": {channel: _sections(required=False) for channel in CHANNELS},
        },
        "sentiment": {
            "type": "object",
            "additionalProperties": False,
            "required": ["trend", "shouting", "cues"],
            "properties": {
                "lexicon_overrides": {
                    "type": "object",
                    "additionalProperties": {"type": "number", "minimum": -4, "maximum": 4},
                },
                "trend": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["smoothing", "window", "min_turns"],
                    "properties": {
                        "smoothing": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                        "window": _COUNT,
                        "min_turns": _COUNT,
                    },
                },
                "shouting": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["weight", "min_words", "min_ratio"],
                    "properties": {
                        "weight": _CUE["properties"]["weight"],
                        "min_words": _COUNT,
                        "min_ratio": _PROBABILITY,
                    },
                },
                "cues": {"type": "object", "additionalProperties": _CUE},
            },
        },
        "human_request": {
            "type": "object",
            "additionalProperties": False,
            "required": ["intents", "min_intent_confidence", "wording"],
            "properties": {
                "intents": _STRINGS,
                "min_intent_confidence": _PROBABILITY,
                "wording": _PHRASE_SET,
            },
        },
        "topics": {"type": "object", "minProperties": 1, "additionalProperties": _PHRASE_SET},
        "goal_actions": {**_STRINGS, "uniqueItems": True},
        "languages": {"type": "object", "additionalProperties": _LANGUAGE},
    },
}
