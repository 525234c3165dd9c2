"""An event reaches the conversation its customer is having now through Rasa's HTTP
API (`trigger_intent` on the internal listener, with RASA_API_TOKEN, which only this
service holds): the assistant's action for the intent says it on the customer's
channel. A failure leaves the event waiting for the customer's next contact."""

import logging
from typing import Any
from urllib.parse import quote

import aiohttp

logger = logging.getLogger(__name__)

INTENT = "EXTERNAL_memory_event"
# Channels that can take a message the customer did not ask for: a voice call only
# answers what the caller says, so an event waits for the next contact there.
PUSH_CHANNELS = frozenset({"socketio", "twilio", "rest"})
TIMEOUT = aiohttp.ClientTimeout(total=15, connect=2)


def entities(event: dict[str, Any]) -> dict[str, Any]:
    """The event's data as the intent's entities (what the action words it from)."""
    data = event["data"]
    return {
        "memory_event_id": event["id"],
        "memory_event_type": event["type"],
        "memory_event_customer": data["customer_id"],
        "memory_event_record": event.get("record") or "",
        "memory_event_detail": data.get("detail")
        or data.get("status")
        or data.get("product")
        or "",
    }


class Rasa:
    """Rasa's HTTP API, for trigger_intent only."""

    def __init__(self, url: str | None, token: str | None) -> None:
        self.url, self.token = url, token

    @property
    def configured(self) -> bool:
        return bool(self.url and self.token)

    async def trigger(self, conversation_id: str, event: dict[str, Any]) -> bool:
        """True once Rasa has run the event's intent in the conversation."""
        if not self.configured:
            return False
        url = f"{self.url}/conversations/{quote(conversation_id, safe='')}/trigger_intent"
        try:
            async with (
                aiohttp.ClientSession(timeout=TIMEOUT) as session,
                session.post(
                    url,
                    params={"token": self.token, "output_channel": "latest"},
                    json={"name": INTENT, "entities": entities(event)},
                ) as answer,
            ):
                if answer.status == 200:
                    return True
                logger.error("memory.live.failed event=%s status=%s", event["id"], answer.status)
        except (aiohttp.ClientError, TimeoutError) as error:
            logger.error(
                "memory.live.unreachable event=%s: %s", event["id"], error.__class__.__name__
            )
        return False
