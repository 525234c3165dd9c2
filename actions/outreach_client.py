"""The client through which the action server reaches the outreach API (outreach/):
a customer's STOP, recorded in the consent ledger."""

import asyncio
import logging
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from actions.backend_client import BackendError, TokenClient, _expect_dict
from actions.settings import settings

logger = logging.getLogger(__name__)
TIMEOUT = 2.0  # seconds; an opt-out is one small insert


class OutreachClient(TokenClient):
    """The outreach API with its bearer token; one attempt per call (the request id
    makes a repeat harmless, but a turn does not wait for retries)."""

    def opt_out(
        self, customer_id: str, via: str, purposes: list[str], request_id: str
    ) -> dict[str, Any]:
        body = {"via": via, "purposes": purposes, "request_id": request_id}
        path = f"/customers/{quote(customer_id, safe='')}/opt-out"
        return _expect_dict(self.post(path, body), "opt-out")


@lru_cache(maxsize=1)
def client() -> OutreachClient | None:
    """The process-wide client; None when OUTREACH_URL is not set."""
    config = settings()
    if not config.outreach_url:
        return None
    return OutreachClient(config.outreach_url, config.outreach_token, TIMEOUT)


async def opt_out(
    customer_id: str, via: str, purposes: list[str], request_id: str
) -> dict[str, Any] | None:
    """The API's answer, or None (logged as an error) when it is off, down or refuses."""
    outreach = client()
    if outreach is None:
        logger.error("outreach.unavailable: OUTREACH_URL is not set")
        return None
    try:
        return await asyncio.to_thread(outreach.opt_out, customer_id, via, purposes, request_id)
    except BackendError as error:
        logger.error("outreach.unavailable while opting out: %s", error.__class__.__name__)
        return None
