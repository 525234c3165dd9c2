"""What each entry point's legitimate caller presents, in one place per channel, so
a change of credentials (REST's bearer JWT, the desk's signed-in accounts) is a
change here and nowhere else."""

from collections.abc import Callable
from dataclasses import dataclass

from connectors.rest_auth import authorization
from stack.config import StackConfig
from tests.channels.conftest import EMAIL_SECRET
from tests.channels.twilio_fake import PUBLIC_URL, TwilioWebhook
from tests.support.stack import Stack

FUZZ_AGENT = "fuzz-agent"


def _rest_headers(config: StackConfig) -> Callable[[str], dict[str, str]]:
    """REST messages and polls carry a JWT naming the sender."""
    return lambda sender: authorization(config.rest_jwt_secret, sender)


def _desk_agent(stack: Stack) -> dict[str, str]:
    """An agent's headers as the signed-in DeskClient sends them (contract C4), its
    session cookie included, whatever the desk's sign-in turns out to be."""
    client = stack.agent(FUZZ_AGENT)
    headers = {
        k: v if isinstance(v, str) else v.decode()
        for k, v in client.session.headers.items()
        if k.lower() in ("authorization", "x-agent-name", "x-csrf-token")
    }
    cookies = "; ".join(f"{k}={v}" for k, v in client.session.cookies.items())
    return {**headers, **({"Cookie": cookies} if cookies else {})}


@dataclass(frozen=True)
class Credentials:
    rest: Callable[[str], dict[str, str]]  # sender → headers
    email: dict[str, str]
    desk_agent: dict[str, str]
    desk_admin: dict[str, str]
    desk_integration: dict[str, str]
    twilio_public_url: str
    whatsapp_signer: TwilioWebhook
    voice_signer: TwilioWebhook

    @classmethod
    def of(cls, stack: Stack) -> "Credentials":
        config = stack.config
        return cls(
            rest=_rest_headers(config),
            email={"Authorization": f"Bearer {EMAIL_SECRET}"},
            desk_agent=_desk_agent(stack),
            desk_admin={"Authorization": str(stack.desk_admin().session.headers["Authorization"])},
            desk_integration={"Authorization": f"Bearer {config.desk_integration_token}"},
            twilio_public_url=PUBLIC_URL,
            whatsapp_signer=TwilioWebhook(config.rasa_url, "/webhooks/twilio/webhook"),
            voice_signer=TwilioWebhook(config.rasa_url, "/webhooks/twilio_voice/webhook"),
        )

    def twilio_signature(self, signer: TwilioWebhook, target: str, params: dict[str, str]) -> str:
        """Twilio's X-Twilio-Signature for a path (with its query) and form."""
        try:
            return signer.validator.compute_signature(f"{self.twilio_public_url}{target}", params)
        except UnicodeEncodeError:  # lone surrogates: Twilio could not have signed it
            return "bm90LXNpZ25hYmxl"
