"""Reading records: every fixture record is served exactly as the fixture has it."""

from typing import Any

import pytest

from .support import Api

BY_ID = {
    "customers": "customer",
    "orders": "order",
    "claims": "claim",
    "invoices": "invoice",
    "device_policies": "device policy",
    "appointments": "appointment",
    "stores": "store",
}
HISTORY_ORDER = {
    "orders": "placed_at",
    "claims": "opened_at",
    "invoices": "due_date",
    "device_policies": "start_date",
    "appointments": "start",
    "events": "at",
}


def newest_first(records: list[dict[str, Any]], field: str) -> list[dict[str, Any]]:
    """Newest first; ties by highest id, or for records without id the later in the fixture."""
    ranked = sorted(
        enumerate(records),
        key=lambda pair: (pair[1][field], pair[1].get("id", ""), pair[0]),
        reverse=True,
    )
    return [record for _, record in ranked]


def test_health(api: Api) -> None:
    response = api.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_delayed_order(api: Api) -> None:
    order = api.get("/orders/BW-100002").json()
    assert order["status"] == "delayed"
    assert order["delay_reason"] == "carrier capacity shortage"
    assert order["eta"] == "2026-11-25"
    assert order["delivered_at"] is None
    assert order["total"] == 68.0


def test_customer(api: Api) -> None:
    customer = api.get("/customers/C-1001").json()
    assert customer["postcode"] == "98096"
    assert customer["marketing_consent"] is True


@pytest.mark.parametrize("collection", BY_ID)
def test_every_record_is_served_as_in_the_fixture(
    api: Api, fixture_data: dict[str, Any], collection: str
) -> None:
    for record in fixture_data[collection]:
        response = api.get(f"/{collection}/{record['id']}")
        assert response.status_code == 200, response.text
        assert response.json() == record


@pytest.mark.parametrize("collection", BY_ID)
def test_ids_ignore_case(api: Api, fixture_data: dict[str, Any], collection: str) -> None:
    record = fixture_data[collection][-1]
    assert api.get(f"/{collection}/{record['id'].lower()}").json() == record


@pytest.mark.parametrize("collection, noun", BY_ID.items())
def test_unknown_id_is_404_with_reason(api: Api, collection: str, noun: str) -> None:
    response = api.get(f"/{collection}/XX-999999")
    assert response.status_code == 404
    assert response.json() == {"detail": f"{noun} XX-999999 not found"}


def test_unknown_order_reason(api: Api) -> None:
    assert api.get("/orders/BW-999999").json() == {"detail": "order BW-999999 not found"}


@pytest.mark.parametrize("collection, field", HISTORY_ORDER.items())
def test_customer_history_newest_first(
    api: Api,
    fixture_data: dict[str, Any],
    collection: str,
    field: str,
) -> None:
    for customer in fixture_data["customers"]:
        expected = newest_first(
            [r for r in fixture_data[collection] if r["customer_id"] == customer["id"]], field
        )
        response = api.get(f"/customers/{customer['id']}/{collection}")
        assert response.status_code == 200, response.text
        assert response.json() == {"items": expected}, customer["id"]


def test_customer_history_ids_ignore_case(api: Api) -> None:
    items = api.get("/customers/c-1001/orders").json()["items"]
    assert "BW-100002" in [order["id"] for order in items]


@pytest.mark.parametrize("collection", [*HISTORY_ORDER, "interactions"])
def test_history_of_unknown_customer_is_404(api: Api, collection: str) -> None:
    response = api.get(f"/customers/C-0000/{collection}")
    assert response.status_code == 404
    assert response.json() == {"detail": "customer C-0000 not found"}


def test_events(api: Api) -> None:
    events = api.get("/customers/C-1001/events").json()["items"]
    assert events == [
        {
            "customer_id": "C-1001",
            "type": "shipment_delayed",
            "order_id": "BW-100002",
            "at": "2026-11-23",
            "detail": "carrier capacity shortage",
        }
    ]


def test_policies(api: Api, fixture_data: dict[str, Any]) -> None:
    policies = api.get("/policies").json()
    assert policies == fixture_data["policies"]
    assert list(policies) == list(fixture_data["policies"])


@pytest.mark.parametrize("collection", ["catalog", "protection_plans", "stores"])
def test_reference_lists_in_fixture_order(
    api: Api, fixture_data: dict[str, Any], collection: str
) -> None:
    assert api.get(f"/{collection}").json() == {"items": fixture_data[collection]}


def test_free_slots_are_the_fixture_slots(api: Api, fixture_data: dict[str, Any]) -> None:
    for store in fixture_data["stores"]:
        expected = sorted(
            (slot for slot in fixture_data["appointment_slots"] if slot["store_id"] == store["id"]),
            key=lambda slot: slot["start"],
        )
        assert api.get("/appointment_slots", params={"store_id": store["id"]}).json() == {
            "items": expected
        }


def test_free_slots_of_one_day(api: Api) -> None:
    items = api.get(
        "/appointment_slots", params={"store_id": "st-lon", "date": "2026-11-25"}
    ).json()["items"]
    assert items
    assert all(
        slot["store_id"] == "ST-LON" and slot["start"].startswith("2026-11-25") for slot in items
    )


@pytest.mark.parametrize("day", ["0001-01-01", "2026-11-01", "9999-12-31"])
def test_no_free_slots_on_a_day_without_any(api: Api, day: str) -> None:
    response = api.get("/appointment_slots", params={"store_id": "ST-LON", "date": day})
    assert response.json() == {"items": []}


def test_slots_of_unknown_store_is_404(api: Api) -> None:
    response = api.get("/appointment_slots", params={"store_id": "ST-NOPE"})
    assert response.status_code == 404
    assert response.json() == {"detail": "store ST-NOPE not found"}


@pytest.mark.parametrize(
    "params",
    [
        {"phone": "+447700998515"},
        {"phone": "+44 7700 998515"},
        {"phone": "+44-7700-998-515"},
        {"phone": "00447700998515"},
        {"phone": " 447700998515"},  # an unencoded + arrives as a space
        {"whatsapp": "whatsapp:+447700998515"},
        {"whatsapp": "+44 7700 998515"},
        {"email": "Noah.OBrien0@Example.com"},
        {"email": "noah.obrien0@example.com", "phone": "+447700998515"},
    ],
)
def test_customer_lookup(api: Api, fixture_data: dict[str, Any], params: dict[str, str]) -> None:
    response = api.get("/customers", params=params)
    assert response.status_code == 200, response.text
    assert response.json() == {"items": [fixture_data["customers"][0]]}


def test_every_customer_is_found_by_each_contact(api: Api, fixture_data: dict[str, Any]) -> None:
    for customer in fixture_data["customers"]:
        for field in ("phone", "email", "whatsapp"):
            found = api.get("/customers", params={field: customer[field]}).json()["items"]
            assert customer in found, (customer["id"], field)


def test_customer_lookup_without_match(api: Api) -> None:
    assert api.get("/customers", params={"phone": "+15550000000"}).json() == {"items": []}
    assert api.get(
        "/customers", params={"email": "noah.obrien0@example.com", "phone": "+15550000000"}
    ).json() == {"items": []}


@pytest.mark.parametrize(
    "params, status, reason",
    [
        ({}, 400, "give phone, email or whatsapp"),
        ({"phone": ""}, 400, "give phone, email or whatsapp"),
        ({"phone": "call me"}, 422, "phone: not a phone number"),
        ({"whatsapp": "whatsapp:12"}, 422, "whatsapp: not a phone number"),
        ({"email": "x" * 300}, 422, "query.email"),
        ({"email": "not-an-address"}, 422, "email: not an e-mail address"),
    ],
)
def test_bad_customer_lookup(api: Api, params: dict[str, str], status: int, reason: str) -> None:
    response = api.get("/customers", params=params)
    assert response.status_code == status
    assert reason in response.json()["detail"]
