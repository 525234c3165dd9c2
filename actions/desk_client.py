"""The one client through which actions reach the agent desk (desk/, port 8100).

It shares the backend client's timeouts, error types and no-retry rule for
writes: a hand-over POSTed twice is harmless anyway, since the desk keeps one
open hand-over per conversation.
"""

from functools import lru_cache
from typing import Any
from urllib.parse import quote

import requests

from actions.backend_client import BackendClient, BackendUnavailable, _expect_dict
from actions.settings import settings


class DeskClient(BackendClient):
    """The desk's integration API, authenticated with the integration token."""

    def __init__(
        self, base_url: str, token: str | None, connect_timeout: float, read_timeout: float
    ) -> None:
        session = requests.Session()
        if token:
            session.headers["Authorization"] = f"Bearer {token}"
        # Not bound by the turn's backend budget: the hand-over must reach the desk
        # even when the backend's reads have spent it.
        super().__init__(
            base_url, connect_timeout, read_timeout, retries=0, session=session, turn_bound=False
        )

    def queue(self) -> dict[str, Any]:
        """How many customers wait and a new arrival's expected wait in minutes."""
        return _expect_dict(self.get("/api/queue"), "queue")

    def submit(self, packet: dict[str, Any]) -> dict[str, Any]:
        """Queue a hand-over; the receipt has its id, status, position and wait."""
        return _expect_dict(self.post("/api/handoffs", packet), "hand-over receipt")

    def enrich(self, handoff_id: str, parts: dict[str, Any]) -> dict[str, Any]:
        """Complete a hand-over queued during an outage (customer, account_snapshot)."""
        return _expect_dict(
            self.post(f"/api/handoffs/{quote(handoff_id, safe='')}/enrichment", parts), "hand-over"
        )


class NoDesk(BackendUnavailable):
    """No desk is configured (DESK_URL unset)."""


@lru_cache(maxsize=1)
def desk() -> DeskClient:
    """The process-wide desk client; NoDesk when DESK_URL is not set."""
    config = settings()
    if not config.desk_url:
        raise NoDesk("DESK_URL is not set")
    return DeskClient(
        config.desk_url,
        config.desk_token,
        config.backend_connect_timeout,
        config.backend_read_timeout,
    )
