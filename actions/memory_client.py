"""The one client through which Switchboard reaches the customer memory (memory/,
contract K3).

The memory makes a conversation better, never possible: every call here has short
timeouts (MEMORY_TIMEOUT) and a circuit breaker of its own, and a failure is logged
loudly (`memory.unavailable`) and answered with None, so the turn goes on as it
would without a memory. Without MEMORY_URL the memory is simply not used.
"""

import asyncio
import logging
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from actions.backend_client import BackendError, TokenClient, _expect_dict
from actions.settings import settings

logger = logging.getLogger(__name__)

_background: set[asyncio.Task] = set()
# Per key, the arguments of the newest write waiting behind one in flight.
_waiting: dict[str, tuple[Any, ...]] = {}
_in_flight: set[str] = set()

# How each caller says a link was confirmed (the memory refuses anything else).
KNOWLEDGE_FACTOR = "knowledge_factor"
TRUSTED_INTEGRATION = "trusted_integration"


class MemoryClient(TokenClient):
    """The memory's API with its bearer token; no retries (a turn does not wait)."""

    def put(self, path: str, body: dict[str, Any]) -> Any:
        """PUT once: the memory's PUTs are upserts, so a repeat is harmless anyway."""
        return self._request("PUT", path, 1, json=body)

    def link(
        self, customer_id: str, channel: str, identity: str, confirmed_by: str
    ) -> dict[str, Any]:
        return _expect_dict(
            self.put(
                f"/customers/{quote(customer_id, safe='')}/links",
                {"channel": channel, "identity": identity, "confirmed_by": confirmed_by},
            ),
            "link",
        )

    def recall(self, customer_id: str, conversation_id: str) -> dict[str, Any]:
        return _expect_dict(
            self.get(
                f"/customers/{quote(customer_id, safe='')}/recall",
                {"conversation_id": conversation_id},
            ),
            "recall",
        )

    def mentioned(
        self, customer_id: str, conversation_id: str, event_ids: list[int]
    ) -> dict[str, Any]:
        return _expect_dict(
            self.post(
                f"/customers/{quote(customer_id, safe='')}/mentioned",
                {"conversation_id": conversation_id, "event_ids": event_ids},
            ),
            "mentioned",
        )

    def sentiment_shift(self, shift: dict[str, Any]) -> dict[str, Any]:
        body = {key: value for key, value in shift.items() if key != "customer_id"}
        return _expect_dict(
            self.post(f"/customers/{quote(shift['customer_id'], safe='')}/sentiment", body),
            "sentiment shift",
        )

    def conversation(self, body: dict[str, Any]) -> dict[str, Any]:
        return _expect_dict(self.put("/conversations", body), "conversation")

    def journey(self, customer_id: str, goal: str, body: dict[str, Any] | None) -> dict[str, Any]:
        """Keep a journey's answers so far (body), or forget it (None): one method, so
        that newest() keeps a journey's writes in order."""
        path = f"/customers/{quote(customer_id, safe='')}/journeys/{quote(goal, safe='')}"
        if body is None:
            return _expect_dict(self._request("DELETE", path, 1), "journey")
        return _expect_dict(self.put(path, body), "journey")

    def journeys(self, customer_id: str) -> dict[str, Any]:
        """The customer's journeys left half-way, newest first."""
        return _expect_dict(
            self.get(f"/customers/{quote(customer_id, safe='')}/journeys"), "journeys"
        )

    def customer(self, customer_id: str, limit: int = 20) -> dict[str, Any]:
        return _expect_dict(
            self.get(f"/customers/{quote(customer_id, safe='')}", {"limit": str(limit)}), "customer"
        )


@lru_cache(maxsize=1)
def client() -> MemoryClient | None:
    """The process-wide client; None when MEMORY_URL is not set."""
    config = settings()
    if not config.memory_url:
        return None
    return MemoryClient(config.memory_url, config.memory_token, config.memory_timeout)


async def ask(what: str, method_name: str, *args: Any) -> dict[str, Any] | None:
    """The memory's answer, or None (logged as an error) when it is off, down or
    refuses: the caller then does what it did before there was a memory."""
    memory = client()
    if memory is None:
        return None
    try:
        return await asyncio.to_thread(getattr(memory, method_name), *args)
    except BackendError as error:
        logger.error("memory.unavailable while %s: %s", what, error)
        return None


def later(what: str, method_name: str, *args: Any) -> None:
    """ask() in the background: for writes no turn needs to wait for."""
    if client() is None:
        return
    task = asyncio.get_running_loop().create_task(ask(what, method_name, *args))
    _background.add(task)
    task.add_done_callback(_background.discard)


def newest(key: str, what: str, method_name: str, *args: Any) -> None:
    """later() for a write that replaces the previous one under the same key: one is
    in flight per key at a time, and of those queued behind it only the newest is
    sent, so the memory never gets them out of order and a busy moment sends fewer."""
    if client() is None:
        return
    _waiting[key] = args
    if key in _in_flight:
        return
    _in_flight.add(key)

    async def send() -> None:
        try:
            while key in _waiting:
                await ask(what, method_name, *_waiting.pop(key))
        finally:
            _in_flight.discard(key)

    task = asyncio.get_running_loop().create_task(send())
    _background.add(task)
    task.add_done_callback(_background.discard)
