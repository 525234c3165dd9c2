"""Idempotency keys: a write sent twice with its key happens once; a key is never
reused for another request; the keys survive a restart of the backend."""

import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from .support import Api, start_backend
from .test_appointments import BOOKING, SLOT, free_slots
from .test_writes import ACTIVATION, CLAIM, LEAD, RETURN, post

WRITES = [
    ("/leads", LEAD, None),
    ("/claims", CLAIM, "/customers/C-1001/claims"),
    ("/returns", RETURN, "/customers/C-1001/orders"),
    ("/device_policies/POL-50008/activation", ACTIVATION, "/device_policies/POL-50008"),
    (
        "/device_policies/POL-50001/cancellation",
        {"customer_id": "C-1001", "reason": "other"},
        "/device_policies/POL-50001",
    ),
    ("/invoices/INV-900001/payment-link", {"customer_id": "C-1001"}, "/invoices/INV-900001"),
    ("/appointments/APT-3001/move", {"start": "2026-11-25T09:30:00"}, "/appointments/APT-3001"),
    ("/appointments", BOOKING, "/customers/C-1001/appointments"),
]

OTHER = {  # a change that makes each write's body another valid request
    "/leads": {"name": "Someone Else"},
    "/claims": {"incident_date": "2026-11-21"},
    "/returns": {"reason": "faulty"},
    "/device_policies/POL-50008/activation": {"terms_version": "2026-11"},
    "/device_policies/POL-50001/cancellation": {"reason": "too_expensive"},
    "/invoices/INV-900001/payment-link": {"customer_id": "C-1002"},
    "/appointments/APT-3001/move": {"start": "2026-11-25T14:00:00"},
    "/appointments": {"purpose": "advice"},
}


def key() -> str:
    return uuid.uuid4().hex


@pytest.mark.parametrize("path, body, state", WRITES)
def test_a_doubled_write_happens_once(
    api: Api, path: str, body: dict[str, Any], state: str | None, reset: None
) -> None:
    """Sent again without its key, each of these would be refused or make a new record
    (or link); with it, the first answer comes back and the records stay as they were."""
    the_key = key()
    first = post(api, path, body, the_key)
    assert first.status_code in (200, 201), first.text
    assert "Idempotent-Replayed" not in first.headers
    before = api.get(state).json() if state else None
    second = post(api, path, body, the_key)
    assert (second.status_code, second.json()) == (first.status_code, first.json())
    assert second.headers["Idempotent-Replayed"] == "true"
    assert (api.get(state).json() if state else None) == before


@pytest.mark.parametrize("path, body, state", WRITES)
def test_a_key_reused_with_another_body_is_refused(
    api: Api, path: str, body: dict[str, Any], state: str | None, reset: None
) -> None:
    the_key = key()
    assert post(api, path, body, the_key).status_code in (200, 201)
    before = api.get(state).json() if state else None
    response = post(api, path, {**body, **OTHER[path]}, the_key)
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith(f"Idempotency-Key {the_key} was already used")
    assert (api.get(state).json() if state else None) == before


def test_a_key_is_bound_to_its_operation(api: Api, reset: None) -> None:
    the_key = key()
    assert post(api, "/claims", CLAIM, the_key).status_code == 201
    response = post(api, "/returns", RETURN, the_key)
    assert "was already used for another request (file_claim)" in response.json()["detail"]
    assert post(api, "/returns", RETURN).status_code == 201  # the return itself was not done


def test_doubled_bookings_sent_at_once_book_one_slot(api: Api, reset: None) -> None:
    the_key = key()
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: post(api, "/appointments", BOOKING, the_key), range(8)))
    assert {answer.status_code for answer in answers} == {201}
    assert len({answer.json()["id"] for answer in answers}) == 1
    assert len(api.get("/customers/C-1001/appointments").json()["items"]) == 1
    assert SLOT not in free_slots(api)


def test_a_doubled_cancel_with_its_key(api: Api, reset: None) -> None:
    the_key = key()
    first = api.post("/appointments/APT-3001/cancel", headers={"Idempotency-Key": the_key})
    second = api.post("/appointments/apt-3001/cancel", headers={"Idempotency-Key": the_key})
    assert first.json() == second.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    other = api.post("/appointments/APT-3002/cancel", headers={"Idempotency-Key": the_key})
    assert other.status_code == 422
    assert api.get("/appointments/APT-3002").json()["status"] == "booked"


def test_a_refused_write_leaves_its_key_unused(api: Api, reset: None) -> None:
    the_key = key()
    refused = post(api, "/claims", {**CLAIM, "incident_type": "theft"}, the_key)
    assert refused.status_code == 422
    assert post(api, "/claims", CLAIM, the_key).status_code == 201


@pytest.mark.parametrize(
    "headers, reason",
    [
        ({}, "header.Idempotency-Key: field required"),
        ({"Idempotency-Key": "short"}, "header.Idempotency-Key: string does not match regex"),
        ({"Idempotency-Key": "k" * 65}, "header.Idempotency-Key"),
        ({"Idempotency-Key": "a key with spaces"}, "header.Idempotency-Key"),
    ],
)
def test_the_new_writes_need_a_well_formed_key(
    api: Api, headers: dict[str, str], reason: str
) -> None:
    response = api.post("/claims", json=CLAIM, headers=headers)
    assert response.status_code == 422
    assert reason in response.json()["detail"]
    assert len(api.get("/customers/C-1001/claims").json()["items"]) == 1


def test_keys_survive_a_restart(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'backend.db'}"}
    the_key = key()
    service = start_backend("backend-restart-1", tmp_path / "first", env)
    try:
        first = post(Api(service.url), "/claims", CLAIM, the_key)
        assert first.status_code == 201, first.text
    finally:
        service.stop()
    service = start_backend("backend-restart-2", tmp_path / "second", env)
    try:
        api = Api(service.url)
        again = post(api, "/claims", CLAIM, the_key)
        assert again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"
        assert len(api.get("/customers/C-1001/claims").json()["items"]) == 2  # fixture's + one
        other = post(api, "/claims", {**CLAIM, "incident_date": "2026-11-21"}, the_key)
        assert other.status_code == 422
    finally:
        service.stop()
