"""An event reaches the conversation its customer is having now through Rasa's HTTP
API (`trigger_intent` on the internal listener, with RASA_API_TOKEN, which only this
service and outreach hold): the assistant's action for the intent says it on the customer's
channel. A failure leaves the event waiting for the customer's next contact.

One trigger is in flight per conversation; the events that arrive for it meanwhile go
together in the next one (each event's entities carry its `group`), so a burst of
events for one customer becomes one turn, not a queue of them behind Rasa's lock."""

import asyncio
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import aiohttp

logger = logging.getLogger(__name__)

INTENT = "EXTERNAL_memory_event"
# Where Rasa sends the event's message, per channel of a live conversation: the
# channel's own output for those that take a message the customer did not ask for;
# none on a call (it only answers what the caller says), where the message waits in
# the conversation and the call says it at the caller's next turn (connectors/voice.py).
OUTPUT_CHANNELS: dict[str, str | None] = {
    "socketio": "latest",
    "twilio": "latest",
    "rest": "latest",
    "twilio_voice": None,
}
TIMEOUT = aiohttp.ClientTimeout(total=15, connect=2)
# An idle connection is let go before Sanic's keep-alive (5 s) closes it under us.
KEEPALIVE_SECONDS = 2.0


def grouped_entities(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events as one trigger's entities: each event's, in group str(index)."""
    return [
        {"entity": name, "value": value, "group": str(index)}
        for index, event in enumerate(events)
        for name, value in entities(event).items()
    ]


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
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        """One session (and its kept-alive connections) for every trigger."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=TIMEOUT,
                connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    @property
    def configured(self) -> bool:
        return bool(self.url and self.token)

    async def trigger(
        self, conversation_id: str, channel: str, events: list[dict[str, Any]]
    ) -> bool:
        """True once Rasa has run the events' intent in the conversation."""
        if not self.configured:
            return False
        url = f"{self.url}/conversations/{quote(conversation_id, safe='')}/trigger_intent"
        ids = ",".join(str(event["id"]) for event in events)
        params = {"token": str(self.token)}
        if output := OUTPUT_CHANNELS.get(channel):
            params["output_channel"] = output
        try:
            async with self._client().post(
                url, params=params, json={"name": INTENT, "entities": grouped_entities(events)}
            ) as answer:
                if answer.status == 200:
                    return True
                logger.error("memory.live.failed events=%s status=%s", ids, answer.status)
        except (aiohttp.ClientError, TimeoutError) as error:
            logger.error("memory.live.unreachable events=%s: %s", ids, error.__class__.__name__)
        return False


class Deliveries:
    """Events on their way to live conversations, one trigger in flight per
    conversation; `delivered(event_ids, conversation_id)` is called after each."""

    def __init__(self, rasa: Rasa, delivered: Callable[[list[int], str], None]) -> None:
        self.rasa, self.delivered = rasa, delivered
        self.waiting: dict[str, list[dict[str, Any]]] = {}
        self.tasks: dict[str, asyncio.Task] = {}

    def add(self, conversation_id: str, channel: str, event: dict[str, Any]) -> None:
        self.waiting.setdefault(conversation_id, []).append(event)
        if conversation_id not in self.tasks:
            task = asyncio.get_running_loop().create_task(self._send(conversation_id, channel))
            self.tasks[conversation_id] = task

    async def _send(self, conversation_id: str, channel: str) -> None:
        try:
            while events := self.waiting.pop(conversation_id, None):
                if await self.rasa.trigger(conversation_id, channel, events):
                    ids = [event["id"] for event in events]
                    await asyncio.to_thread(self.delivered, ids, conversation_id)
        finally:
            self.tasks.pop(conversation_id, None)

    def cancel(self) -> None:
        for task in list(self.tasks.values()):
            task.cancel()
