"""The backend client's writes against the real sample backend: each answer, each
refusal as the client's typed error with the backend's reason, and a repeated write
with its key changing nothing."""

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import requests

from actions.backend_client import BackendClient, BackendConflict, BackendRejected, RecordNotFound
from actions.backend_writes import idempotency_key
from tests.support.services import Service


@pytest.fixture
def client(backend: Service) -> Iterator[BackendClient]:
    """A client of the real backend, whose database is rebuilt after the test."""
    yield BackendClient(backend.url, retries=1, turn_bound=False)
    rebuilt = requests.post(f"{backend.url}/admin/rebuild", timeout=10)
    assert rebuilt.status_code == 200, rebuilt.text


def key(*parts: str) -> str:
    return idempotency_key("test-conversation", *parts)


def test_idempotency_key_is_stable_and_well_formed() -> None:
    assert key("file_claim", "POL-50001") == key("file_claim", "POL-50001")
    assert key("file_claim", "POL-50001") != key("file_claim", "POL-50002")
    assert len(key("x")) == 40


def test_a_claim_filed_twice_with_its_key_is_one_claim(client: BackendClient) -> None:
    args = ("C-1001", "POL-50001", "screen_damage", date(2026, 11, 20), "Cracked screen.")
    first = client.file_claim(key("claim"), *args)
    assert (first["id"], first["status"], first["excess"]) == ("CLM-70014", "submitted", 49.0)
    assert client.file_claim(key("claim"), *args) == first
    assert len(client.customer_records("C-1001", "claims")) == 2  # the fixture's and this one


def test_an_uncovered_incident_is_rejected_with_the_covered_types(client: BackendClient) -> None:
    with pytest.raises(BackendRejected) as caught:
        client.file_claim(key("theft"), "C-1001", "POL-50001", "theft", date(2026, 11, 20), "Gone.")
    assert caught.value.status == 422
    assert caught.value.reason == (
        "device policy POL-50001 (basic plan) does not cover theft; "
        "it covers screen_damage, malfunction"
    )


def test_a_key_reused_for_another_request_is_rejected(client: BackendClient) -> None:
    client.cancel_policy(key("cancel"), "POL-50001", "C-1001", "too_expensive")
    with pytest.raises(BackendRejected, match="was already used for another request"):
        client.cancel_policy(key("cancel"), "POL-50001", "C-1001", "other")


def test_booking_moving_and_cancelling(client: BackendClient) -> None:
    start = datetime(2026, 11, 25, 9, 30)
    booked = client.book_appointment(key("book"), "C-1001", "ST-LON", start, "repair")
    assert client.book_appointment(key("book"), "C-1001", "ST-LON", start, "repair") == booked
    with pytest.raises(BackendConflict) as taken:
        client.book_appointment(key("book-2"), "C-1002", "ST-LON", start, "advice")
    assert "ST-LON has no free slot at 2026-11-25T09:30:00" in taken.value.reason

    with pytest.raises(BackendConflict, match="free: 2026-11-25T14:00:00"):
        client.move_appointment(key("move-taken"), "APT-3001", start)
    moved = client.move_appointment(key("move"), booked["id"], datetime(2026, 11, 25, 14, 0))
    assert moved["start"] == "2026-11-25T14:00:00"
    cancelled = client.cancel_appointment(key("cancel-apt"), booked["id"])
    assert cancelled["status"] == "cancelled"
    assert client.cancel_appointment(key("cancel-apt"), booked["id"]) == cancelled


def test_lead_activation_return_and_payment_link(client: BackendClient) -> None:
    lead = client.create_lead(
        key("lead"),
        "Ana Prospect",
        "email",
        "contact-v3",
        datetime(2026, 11, 24, 10, 0, tzinfo=UTC),
        email="ana@example.com",
    )
    assert (lead["id"], lead["consent_channel"]) == ("LEAD-00001", "email")

    policy = client.activate_policy(
        key("activate"), "POL-50008", "C-1011", "Orbit 12 smartphone", "490154203237518", "2026-10"
    )
    assert (policy["status"], policy["start_date"]) == ("active", "2026-11-24")

    authorised = client.start_return(key("return"), "C-1001", "BW-100001", "faulty")
    assert authorised["id"] == "RMA-00001"
    with pytest.raises(BackendConflict, match="already has return authorisation RMA-00001"):
        client.start_return(key("return-again"), "C-1001", "BW-100001", "faulty")

    link = client.payment_link(key("link"), "INV-900001", "C-1001")
    assert link["url"].startswith("https://")
    assert client.payment_link(key("link"), "INV-900001", "C-1001") == link


def test_an_unknown_record_is_not_found(client: BackendClient) -> None:
    with pytest.raises(RecordNotFound, match="invoice INV-000000 not found"):
        client.payment_link(key("nope"), "INV-000000", "C-1001")


def test_a_write_without_a_usable_key_is_not_sent(client: BackendClient) -> None:
    with pytest.raises(ValueError, match="idempotency key"):
        client.cancel_appointment("", "APT-3001")
    assert client.record("appointments", "APT-3001")["status"] == "booked"
