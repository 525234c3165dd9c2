"""Completing a hand-over queued during an outage: when it is needed, and its
delivery against real HTTP servers standing in for the backend and the desk."""

from collections.abc import Iterator

import pytest

from actions import backend_client as backend
from actions.desk_client import desk
from actions.late_enrichment import deliver_enrichment, enrichment_write, needs_enrichment
from actions.packet.account import BACKEND_DOWN_NOTE, empty_snapshot
from actions.settings import settings
from tests.unit.test_backend_client import ORDER, Reply, ScriptedServer

CUSTOMER = {"id": "C-1001", "first_name": "Noah", "last_name": "O'Brien", "tier": "gold"}


@pytest.mark.parametrize(
    "verified, customer, note, needed",
    [
        ("C-1001", None, None, True),
        ("C-1001", CUSTOMER, BACKEND_DOWN_NOTE, True),
        ("C-1001", CUSTOMER, None, False),
        (None, None, BACKEND_DOWN_NOTE, False),  # nothing to add about an unverified customer
    ],
)
def test_only_a_verified_customers_packet_missing_backend_data_is_completed(
    verified, customer, note, needed
) -> None:
    assert needs_enrichment(verified, customer, empty_snapshot(note)) is needed


@pytest.fixture
def servers(monkeypatch: pytest.MonkeyPatch) -> Iterator[ScriptedServer]:
    """One scripted server as both the backend and the desk, wired in by settings."""
    server = ScriptedServer()
    monkeypatch.setenv("BACKEND_URL", server.url)
    monkeypatch.setenv("DESK_URL", server.url)
    monkeypatch.setenv("DESK_INTEGRATION_TOKEN", "desk-token")
    monkeypatch.setenv("BACKEND_READ_TIMEOUT", "0.3")
    monkeypatch.setenv("BACKEND_RETRIES", "0")
    caches = (settings, backend.client, desk)
    for cache in caches:
        cache.cache_clear()
    yield server
    server.stop()
    for cache in caches:
        cache.cache_clear()


WRITE = enrichment_write("H-7", "C-1001", {"orders": ["BW-100002"]})


def test_the_records_read_late_are_sent_to_the_desk(servers: ScriptedServer) -> None:
    servers.route("GET", "/customers/C-1001", Reply(200, CUSTOMER))
    servers.route("GET", "/orders/BW-100002", Reply(200, ORDER))
    servers.route("POST", "/api/handoffs/H-7/enrichment", Reply(200, {"id": "H-7"}))
    deliver_enrichment(WRITE, "outbox-1")
    sent = [r for r in servers.requests if r.method == "POST"]
    assert len(sent) == 1 and sent[0].headers["Authorization"] == "Bearer desk-token"
    body = sent[0].json()
    assert body["customer"] == {
        "verified": True,
        "customer_id": "C-1001",
        "name": "Noah O'Brien",
        "tier": "gold",
    }
    assert [o["id"] for o in body["account_snapshot"]["orders"]] == ["BW-100002"]


@pytest.mark.parametrize("down", ["/customers/C-1001", "/orders/BW-100002"])
def test_a_backend_still_down_is_retried_later_and_nothing_is_sent(
    servers: ScriptedServer, down: str
) -> None:
    servers.route("GET", "/customers/C-1001", Reply(200, CUSTOMER))
    servers.route("GET", "/orders/BW-100002", Reply(200, ORDER))
    servers.route("GET", down, Reply(503, {"detail": "down"}))
    with pytest.raises(backend.BackendUnavailable):
        deliver_enrichment(WRITE, "outbox-1")
    assert not [r for r in servers.requests if r.method == "POST"]


def test_the_write_keeps_ids_only() -> None:
    assert WRITE == {
        "handoff_id": "H-7",
        "customer_id": "C-1001",
        "touched": {"orders": ["BW-100002"]},
    }
