"""The satisfaction prompt's settings, metrics.yml's `satisfaction` key: on which input
channels the assistant asks its one question at the end of a conversation (the
answer is 1 to 5, the prompt's five options in domain.yml's utter_ask_satisfaction). Read by the action server (which asks) and the analytics service
(which counts the answers, analytics.metrics_config); shared here so that neither
imports the other."""

from pathlib import Path

from pydantic import BaseModel, Extra, ValidationError, validator

from common.config_files import read_yaml

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "metrics.yml"
# Where a one-question prompt with buttons suits: web chat, REST and WhatsApp. A call
# or an e-mail is not asked (the "chat and WhatsApp conversations").
PROMPT_CHANNELS = ("rest", "socketio", "twilio")
SCORES = range(1, 6)  # the answers: 1 (very unhappy) to 5 (very happy)


class SatisfactionConfigError(ValueError):
    """metrics.yml's satisfaction key cannot be used; the message names it and why."""


class Satisfaction(BaseModel):
    """`channels`: the input channels whose conversations end with the prompt (empty:
    none)."""

    channels: list[str] = []

    class Config:
        extra = Extra.forbid
        allow_mutation = False

    @validator("channels", each_item=True)
    def _prompt_channel(cls, channel: str) -> str:
        if channel not in PROMPT_CHANNELS:
            raise ValueError(f"the prompt is asked on {', '.join(PROMPT_CHANNELS)} only")
        return channel

    def asked_on(self, channel: str | None) -> bool:
        return channel in self.channels


def load_satisfaction(path: Path = DEFAULT_PATH) -> Satisfaction:
    """metrics.yml's satisfaction settings, checked (the action server's read of it)."""
    data = read_yaml(path, SatisfactionConfigError)
    section = data.get("satisfaction", {}) if isinstance(data, dict) else None
    if not isinstance(section, dict):
        raise SatisfactionConfigError("metrics.yml: satisfaction: expected a mapping")
    try:
        return Satisfaction.parse_obj(section)
    except ValidationError as invalid:
        first = invalid.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        raise SatisfactionConfigError(f"metrics.yml: satisfaction.{key}: {first['msg']}") from None
