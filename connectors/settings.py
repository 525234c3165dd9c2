"""Channel settings: credentials.yml names what is not secret; secrets and
deployment-specific values come from the environment (Rasa refuses to start on an
unset `${VAR}` in credentials.yml, and a stack without Twilio must still start)."""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

TWILIO_API_URL = "https://api.twilio.com"


def setting(
    credentials: dict[str, Any] | None,
    key: str,
    env_name: str,
    default: str | None = None,
    env: Mapping[str, str] = os.environ,
) -> str | None:
    """credentials.yml's value for key, else the environment variable, else default."""
    value = (credentials or {}).get(key)
    if value not in (None, ""):
        return str(value)
    return env.get(env_name) or default


@dataclass(frozen=True)
class TwilioSettings:
    """What a Twilio channel (WhatsApp, voice) is configured with, from its section of
    credentials.yml and the environment. Read here once, by the channel and by the
    stack's start-up check (stack/preflight.py) alike."""

    account_sid: str | None
    auth_token: str | None
    whatsapp_number: str | None
    public_url: str | None
    api_url: str
    agent_number: str | None
    # Where an agent's reply to a caller who has hung up comes from (SMS); without
    # it, from the WhatsApp number.
    sms_number: str | None = None

    @property
    def caller_reply_from(self) -> str | None:
        return self.sms_number or self.whatsapp_number

    @classmethod
    def from_credentials(
        cls, credentials: dict[str, Any] | None, env: Mapping[str, str] = os.environ
    ) -> "TwilioSettings":
        return cls(
            setting(credentials, "account_sid", "TWILIO_ACCOUNT_SID", env=env),
            setting(credentials, "auth_token", "TWILIO_AUTH_TOKEN", env=env),
            setting(credentials, "twilio_number", "TWILIO_WHATSAPP_NUMBER", env=env),
            setting(credentials, "public_url", "SWITCHBOARD_PUBLIC_URL", env=env),
            setting(credentials, "api_url", "TWILIO_API_URL", TWILIO_API_URL, env)
            or TWILIO_API_URL,
            setting(credentials, "agent_number", "TWILIO_VOICE_AGENT_NUMBER", env=env),
            setting(credentials, "sms_number", "TWILIO_SMS_NUMBER", env=env),
        )
