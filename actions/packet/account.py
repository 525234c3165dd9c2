"""The verified customer's touched records, read from the backend at hand-over time
(and again later when they could not be read then, see actions/late_enrichment.py).
Nothing about an account goes into a packet unless the customer proved who they are."""

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from actions import backend_client as backend
from actions.packet.schema import packet_schema
from actions.records import TOPICS, RecordKind

logger = logging.getLogger(__name__)

Json = dict[str, Any]
# Which $defs entry of the schema describes a record of each snapshot collection.
SNAPSHOT_KINDS: dict[str, RecordKind] = {kind.collection: kind for kind in TOPICS.values()}
NOT_VERIFIED_NOTE = "Not fetched: the customer has not proven who they are."
BACKEND_DOWN_NOTE = "Not fetched: our systems did not answer at hand-over time."


def empty_snapshot(note: str | None) -> Json:
    return {**{collection: [] for collection in SNAPSHOT_KINDS}, "note": note}


async def _owned_record(collection: str, record_id: str, customer_id: str) -> Json | None:
    """The record if it exists and is the customer's, else None."""
    try:
        record = await backend.call(backend.client().record, collection, record_id)
    except backend.RecordNotFound:
        return None
    return record if record.get("customer_id") == customer_id else None


async def fetch_snapshot(record_ids: Mapping[str, list[str]], customer_id: str | None) -> Json:
    """The touched records of a verified customer, read from the backend now.

    Records that do not exist or are someone else's are left out and named in the
    note. A backend failure gives empty lists and a note, never an exception: the
    hand-over must go ahead without them."""
    if not customer_id:
        return empty_snapshot(NOT_VERIFIED_NOTE)
    wanted = [
        (collection, record_id)
        for collection in SNAPSHOT_KINDS
        for record_id in record_ids.get(collection, [])
    ]
    try:
        found = await asyncio.gather(
            *(_owned_record(collection, record_id, customer_id) for collection, record_id in wanted)
        )
    except backend.BackendError as error:
        logger.warning("hand-over snapshot without records: %s", error)
        return empty_snapshot(BACKEND_DOWN_NOTE)
    snapshot = empty_snapshot(None)
    for (collection, _), record in zip(wanted, found, strict=True):
        if record is not None:
            snapshot[collection].append(record)
    left_out = [
        record_id for (_, record_id), record in zip(wanted, found, strict=True) if record is None
    ]
    if left_out:
        snapshot["note"] = (
            f"Left out, not found or not on this customer's account: {', '.join(left_out)}."
        )
    return snapshot


def _project(value: Any, definition: Mapping[str, Any]) -> Any:
    """The value with only the fields the schema defines, so the packet carries what the
    contract promises whatever else the backend adds."""
    if isinstance(value, dict) and "properties" in definition:
        return {
            key: _project(value[key], spec)
            for key, spec in definition["properties"].items()
            if key in value
        }
    if isinstance(value, list) and isinstance(definition.get("items"), dict):
        return [_project(item, definition["items"]) for item in value]
    return value


def account(snapshot: Mapping[str, Any], verified: bool) -> Json:
    """The packet's account snapshot: the records as the schema defines them."""
    if not verified:
        return empty_snapshot(NOT_VERIFIED_NOTE)
    definitions = packet_schema()["$defs"]
    found = empty_snapshot(snapshot.get("note"))
    for collection, kind in SNAPSHOT_KINDS.items():
        found[collection] = [
            _project(record, definitions[kind.topic]) for record in snapshot.get(collection) or []
        ]
    return found


def customer(verified_id: str | None, record: Mapping[str, Any] | None) -> Json:
    """Who the customer is, only when proven; a record of anyone else is ignored."""
    if not verified_id:
        return {"verified": False, "customer_id": None, "name": None, "tier": None}
    known = record if record and record.get("id") == verified_id else {}
    name = " ".join(str(known[part]) for part in ("first_name", "last_name") if known.get(part))
    return {
        "verified": True,
        "customer_id": verified_id,
        "name": name or None,
        "tier": known.get("tier"),
    }


def enrichment(
    verified_id: str, record: Mapping[str, Any] | None, snapshot: Mapping[str, Any]
) -> Json:
    """The parts of a verified customer's packet that need the backend, built as the
    packet builds them: sent to the desk when they were read late."""
    return {"customer": customer(verified_id, record), "account_snapshot": account(snapshot, True)}
