"""Booking and cancelling store appointments."""

from typing import Any

import pytest

from .support import Api

SLOT = {"store_id": "ST-LON", "start": "2026-11-25T09:30:00"}
BOOKING = {"customer_id": "C-1001", **SLOT, "purpose": "repair"}


def free_slots(api: Api, store_id: str = "ST-LON") -> list[dict[str, Any]]:
    response = api.get("/appointment_slots", params={"store_id": store_id})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_book_then_cancel(api: Api, reset: None) -> None:
    assert SLOT in free_slots(api)

    response = api.post(
        "/appointments", json={**BOOKING, "customer_id": "c-1001", "store_id": "st-lon"}
    )
    assert response.status_code == 201, response.text
    appointment = response.json()
    assert appointment == {
        "id": "APT-3003",
        "customer_id": "C-1001",
        "store_id": "ST-LON",
        "purpose": "repair",
        "claim_id": None,
        "start": "2026-11-25T09:30:00",
        "status": "booked",
    }
    assert SLOT not in free_slots(api)
    assert api.get("/appointments/APT-3003").json() == appointment
    assert api.get("/customers/C-1001/appointments").json() == {"items": [appointment]}

    second = api.post("/appointments", json={**BOOKING, "customer_id": "C-1002"})
    assert second.status_code == 409
    assert "no free slot" in second.json()["detail"]

    cancelled = api.post("/appointments/apt-3003/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json() == {**appointment, "status": "cancelled"}
    assert SLOT in free_slots(api)
    assert api.post("/appointments/APT-3003/cancel").json()["status"] == "cancelled"

    rebooked = api.post(
        "/appointments", json={**BOOKING, "customer_id": "C-1002", "purpose": "advice"}
    )
    assert rebooked.status_code == 201, rebooked.text
    assert rebooked.json()["id"] == "APT-3004"


def test_book_with_claim(api: Api, fixture_data: dict[str, Any], reset: None) -> None:
    claim = fixture_data["claims"][0]
    slot = free_slots(api, "ST-BER")[0]
    body = {
        "customer_id": claim["customer_id"],
        **slot,
        "purpose": "repair",
        "claim_id": claim["id"].lower(),
    }
    response = api.post("/appointments", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["claim_id"] == claim["id"]


def test_cancelling_a_fixture_appointment_frees_its_slot(
    api: Api, fixture_data: dict[str, Any], reset: None
) -> None:
    booked = fixture_data["appointments"][0]
    slot = {"store_id": booked["store_id"], "start": booked["start"]}
    assert slot not in free_slots(api, booked["store_id"])
    assert api.post(f"/appointments/{booked['id']}/cancel").status_code == 200
    assert slot in free_slots(api, booked["store_id"])


def test_slot_held_by_a_fixture_appointment_is_not_free(
    api: Api, fixture_data: dict[str, Any]
) -> None:
    booked = fixture_data["appointments"][0]
    body = {
        "customer_id": "C-1001",
        "store_id": booked["store_id"],
        "start": booked["start"],
        "purpose": "repair",
    }
    assert api.post("/appointments", json=body).status_code == 409


@pytest.mark.parametrize(
    "change, status, reason",
    [
        ({"start": "2026-11-25T09:31:00"}, 409, "ST-LON has no free slot at 2026-11-25T09:31:00"),
        ({"customer_id": "C-0000"}, 404, "customer C-0000 not found"),
        ({"store_id": "ST-NOPE"}, 404, "store ST-NOPE not found"),
        ({"claim_id": "CLM-00000"}, 404, "claim CLM-00000 not found"),
        ({"claim_id": "CLM-70006"}, 422, "claim CLM-70006 is not a claim of customer C-1001"),
        ({"purpose": "party"}, 422, "body.purpose"),
        ({"start": 1795000000}, 422, "body.start"),
        ({"start": "tomorrow"}, 422, "body.start"),
        (
            {"start": "2026-11-25T09:30:00+01:00"},
            422,
            "body.start: expected the store's local time",
        ),
        ({"customer_id": 1001}, 422, "body.customer_id"),
        ({"customer_id": "C" * 33}, 422, "body.customer_id"),
        ({"surprise": True}, 422, "body.surprise"),
    ],
)
def test_bad_booking(api: Api, change: dict[str, Any], status: int, reason: str) -> None:
    response = api.post("/appointments", json={**BOOKING, **change})
    assert response.status_code == status, response.text
    assert reason in response.json()["detail"]
    assert SLOT in free_slots(api)


@pytest.mark.parametrize("field", ["customer_id", "store_id", "start", "purpose"])
def test_booking_without_a_field(api: Api, field: str) -> None:
    body = {key: value for key, value in BOOKING.items() if key != field}
    response = api.post("/appointments", json=body)
    assert response.status_code == 422
    assert response.json() == {"detail": f"body.{field}: field required"}


def test_cancel_unknown_appointment(api: Api) -> None:
    response = api.post("/appointments/APT-0000/cancel")
    assert response.status_code == 404
    assert response.json() == {"detail": "appointment APT-0000 not found"}
