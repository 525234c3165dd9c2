"""A hand-over queued during an outage, completed once the backend answers again.

The hand-over never waits for the customer's record: when it could not be read in
time, the packet goes to the desk with the customer's id only and an empty account
snapshot, and the outbox (actions/outbox.py) gets a `handoff_enrichment` write.
Its worker reads the record and the touched records again and sends them to the
desk's POST /api/handoffs/{id}/enrichment, retrying until the backend answers.
"""

import asyncio
from collections.abc import Mapping
from typing import Any

from actions import backend_client as backend
from actions.desk_client import desk
from actions.packet.account import BACKEND_DOWN_NOTE, enrichment, fetch_snapshot

KIND = "handoff_enrichment"


def needs_enrichment(
    verified_id: str | None, customer: Mapping[str, Any] | None, snapshot: Mapping[str, Any]
) -> bool:
    """True when a verified customer's packet lacks what the backend did not give."""
    return bool(verified_id) and (customer is None or snapshot.get("note") == BACKEND_DOWN_NOTE)


def enrichment_write(
    handoff_id: str, customer_id: str, touched: Mapping[str, list[str]]
) -> dict[str, Any]:
    """The outbox payload: ids only, so the outbox keeps no personal data it need not."""
    return {
        "handoff_id": handoff_id,
        "customer_id": customer_id,
        "touched": {kind: list(ids) for kind, ids in touched.items()},
    }


def deliver_enrichment(payload: dict[str, Any], request_id: str) -> Any:
    """Read what was missing and send it to the desk; BackendUnavailable (retried)
    while the backend still does not answer. Runs on a worker thread."""
    customer_id = payload["customer_id"]
    record = backend.client().record("customers", customer_id)
    snapshot = asyncio.run(fetch_snapshot(payload["touched"], customer_id))
    if snapshot.get("note") == BACKEND_DOWN_NOTE:
        raise backend.BackendUnavailable("the customer's records are still unreadable")
    return desk().enrich(payload["handoff_id"], enrichment(customer_id, record, snapshot))
