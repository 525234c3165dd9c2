"""The journeys' writes: leads, claims, policy activation and cancellation, returns,
payment links, moving an appointment. Each one's answer and each refusal's reason.

The backend's today is the fixture's as_of (2026-11-24) unless BACKEND_TODAY says
otherwise; `later` is a second backend whose today is 2027-01-15.
"""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.services import Service

from .support import Api, start_backend

CLAIM = {
    "customer_id": "C-1001",
    "policy_id": "POL-50001",
    "incident_type": "screen_damage",
    "incident_date": "2026-11-20",
    "description": "Dropped it on the stairs; the screen is cracked.",
}
ACTIVATION = {
    "customer_id": "C-1011",
    "device": "orbit 12 smartphone",
    "device_serial": "490154203237518",
    "terms_version": "2026-10",
    "terms_accepted": True,
}
CANCELLATION = {"customer_id": "C-1001", "reason": "too_expensive"}
RETURN = {"customer_id": "C-1001", "order_id": "BW-100001", "reason": "changed_mind"}
CONSENT = {
    "granted": True,
    "channel": "email",
    "text_version": "contact-v3",
    "given_at": "2026-11-24T10:00:00Z",
}
LEAD = {"name": "Ana Prospect", "email": "ana@example.com", "consent": CONSENT}


def post(api: Api, path: str, body: dict[str, Any], key: str | None = None) -> requests.Response:
    """A write with a fresh Idempotency-Key (or the one given)."""
    return api.post(path, json=body, headers={"Idempotency-Key": key or uuid.uuid4().hex})


def refused(response: requests.Response, status: int) -> str:
    assert response.status_code == status, response.text
    detail: str = response.json()["detail"]
    return detail


@pytest.fixture(scope="module")
def later(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """A backend whose today is 2027-01-15, its payment links on another page for 30 minutes."""
    workdir: Path = tmp_path_factory.mktemp("backend-later")
    service: Service = start_backend(
        "backend-later",
        workdir,
        {
            "DATABASE_URL": f"sqlite:///{workdir / 'backend.db'}",
            "BACKEND_TODAY": "2027-01-15",
            "BACKEND_PAYMENT_LINK_URL": "https://pay.test.example/p/",
            "BACKEND_PAYMENT_LINK_MINUTES": "30",
        },
    )
    yield Api(service.url)
    service.stop()


# Today


def test_today_is_the_fixtures_day_or_backend_today(api: Api, later: Api) -> None:
    """What callers read relative dates against: the day the writes judge dates on."""
    assert api.get("/today").json() == {"today": "2026-11-24"}
    assert later.get("/today").json() == {"today": "2027-01-15"}


# Leads


def test_lead_with_consent(api: Api, reset: None) -> None:
    response = post(api, "/leads", {**LEAD, "interest": "Orbit 12 smartphone with plus plan"})
    assert response.status_code == 201, response.text
    lead = response.json()
    assert lead["id"] == "LEAD-00001"
    assert lead["consent_channel"] == "email"
    assert lead["consent_text_version"] == "contact-v3"
    assert lead["consent_given_at"] == "2026-11-24T10:00:00+00:00"
    second = post(
        api, "/leads", {**LEAD, "consent": {**CONSENT, "channel": "sms"}, "phone": "+4915112345678"}
    )
    assert second.json()["id"] == "LEAD-00002"


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"consent": None}, "a lead needs the prospect's explicit consent"),
        (
            {"consent": {**CONSENT, "granted": False}},
            "a lead needs the prospect's explicit consent",
        ),
        (
            {"consent": {**CONSENT, "channel": "whatsapp"}},
            "consent is for whatsapp: the lead needs a phone",
        ),
        (
            {"consent": {**CONSENT, "given_at": "2026-11-24T10:00:00"}},
            "expected a time with its UTC offset",
        ),
        ({"consent": {**CONSENT, "text_version": ""}}, "body.consent.text_version"),
        (
            {"consent": {**CONSENT, "given_at": "0001-01-01T00:00:00+01:00"}},
            "body.consent.given_at: out of range",
        ),
        ({"consent": {**CONSENT, "channel": "pigeon"}}, "body.consent.channel"),
        ({"email": "not an address"}, "body.email"),
        ({"phone": "0151 123"}, "body.phone"),
        ({"customer_id": "C-0000"}, "customer C-0000 not found"),
    ],
)
def test_lead_refused(api: Api, change: dict[str, Any], reason: str) -> None:
    body = {key: value for key, value in {**LEAD, **change}.items() if value is not None}
    response = post(api, "/leads", body)
    assert reason in refused(response, 404 if "not found" in reason else 422)


def test_lead_with_consent_given_in_the_future_is_refused(api: Api) -> None:
    future = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    response = post(api, "/leads", {**LEAD, "consent": {**CONSENT, "given_at": future}})
    assert refused(response, 422) == "consent.given_at is in the future"


# Claims


def test_claim_is_filed_with_excess_and_next_step(api: Api, reset: None) -> None:
    response = post(api, "/claims", CLAIM)
    assert response.status_code == 201, response.text
    claim = response.json()
    assert claim == {
        "id": "CLM-70014",
        "policy_id": "POL-50001",
        "customer_id": "C-1001",
        "type": "screen_damage",
        "status": "submitted",
        "opened_at": "2026-11-24",
        "last_update": "2026-11-24",
        "next_step": "A claims handler will review it within 5 business days.",
        "payout": None,
        "incident_date": "2026-11-20",
        "description": CLAIM["description"],
        "excess": 49.0,
    }
    stored = api.get("/claims/CLM-70014").json()
    assert stored == {key: claim[key] for key in stored}
    assert stored in api.get("/customers/C-1001/claims").json()["items"]


@pytest.mark.parametrize(
    "change, status, reason",
    [
        (
            {"incident_type": "theft"},
            422,
            "device policy POL-50001 (basic plan) does not cover theft; "
            "it covers screen_damage, malfunction",
        ),
        (
            {"incident_date": "2026-11-25"},
            422,
            "incident_date 2026-11-25 is in the future (today is 2026-11-24)",
        ),
        (
            {"incident_date": "2026-10-18"},
            422,
            "incident_date 2026-10-18 is before device policy POL-50001 started (2026-10-19)",
        ),
        (
            {"customer_id": "C-1002"},
            422,
            "device policy POL-50001 is not a device policy of customer C-1002",
        ),
        (
            {"policy_id": "POL-50008", "customer_id": "C-1011"},
            422,
            "device policy POL-50008 is pending_activation: only a policy in cover takes claims",
        ),
        ({"policy_id": "POL-00000"}, 404, "device policy POL-00000 not found"),
        ({"description": ""}, 422, "body.description"),
        ({"description": "x" * 501}, 422, "body.description"),
        ({"incident_date": 20261120}, 422, "body.incident_date: expected ISO 8601 text"),
        ({"excess": 0}, 422, "body.excess: extra fields not permitted"),
    ],
)
def test_claim_refused(api: Api, change: dict[str, Any], status: int, reason: str) -> None:
    response = post(api, "/claims", {**CLAIM, **change})
    assert refused(response, status) == reason or reason in response.json()["detail"]
    assert len(api.get("/customers/C-1001/claims").json()["items"]) == 1


def test_a_cancelled_policy_takes_claims_until_its_cover_ends(later: Api) -> None:
    cancelled = post(
        later, "/device_policies/POL-50002/cancellation", {**CANCELLATION, "customer_id": "C-1004"}
    )
    assert cancelled.json()["effective_date"] == "2027-02-14"
    claim = {**CLAIM, "customer_id": "C-1004", "policy_id": "POL-50002", "incident_type": "theft"}
    assert post(later, "/claims", {**claim, "incident_date": "2027-01-10"}).status_code == 201


# Activation


def test_activation_of_a_pending_policy(api: Api, reset: None) -> None:
    response = post(api, "/device_policies/pol-50008/activation", ACTIVATION)
    assert response.status_code == 200, response.text
    policy = response.json()
    assert policy["status"] == "active"
    assert policy["start_date"] == "2026-11-24"
    assert policy["covers"] == ["screen_damage", "malfunction"]
    assert policy["device_serial"] == "490154203237518"
    assert api.get("/device_policies/POL-50008").json()["status"] == "active"

    again = post(api, "/device_policies/POL-50008/activation", ACTIVATION)
    assert refused(again, 409) == (
        "device policy POL-50008 is active: only a policy pending activation can be activated"
    )
    other = {**ACTIVATION, "customer_id": "C-1012", "device": "Orbit 12 Lite smartphone"}
    same_device = post(api, "/device_policies/POL-50009/activation", other)
    assert refused(same_device, 409) == (
        "device 490154203237518 is already covered by device policy POL-50008"
    )


@pytest.mark.parametrize(
    "change, status, reason",
    [
        (
            {"device": "Slate 10 tablet"},
            422,
            "device policy POL-50008 is for a Orbit 12 smartphone, not a Slate 10 tablet",
        ),
        (
            {"terms_accepted": False},
            422,
            "the terms must be accepted (terms_accepted: true) to activate",
        ),
        (
            {"device_serial": "490154203237519"},
            422,
            "device_serial: not a valid IMEI (its check digit is wrong)",
        ),
        ({"device_serial": "12-34"}, 422, "body.device_serial"),
        (
            {"customer_id": "C-1001"},
            422,
            "device policy POL-50008 is not a device policy of customer C-1001",
        ),
        ({"terms_accepted": "yes"}, 422, "body.terms_accepted"),
    ],
)
def test_activation_refused(api: Api, change: dict[str, Any], status: int, reason: str) -> None:
    response = post(api, "/device_policies/POL-50008/activation", {**ACTIVATION, **change})
    assert reason in refused(response, status)
    assert api.get("/device_policies/POL-50008").json()["status"] == "pending_activation"


# Cancellation


def test_cancellation_with_the_notice_period(api: Api, reset: None) -> None:
    response = post(
        api,
        "/device_policies/POL-50001/cancellation",
        {**CANCELLATION, "comment": "cheaper elsewhere"},
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["status"], answer["notice_days"], answer["effective_date"]) == (
        "cancelled",
        30,
        "2026-12-24",
    )
    assert answer["reason"] == "too_expensive"
    again = post(api, "/device_policies/POL-50001/cancellation", CANCELLATION)
    assert refused(again, 409) == (
        "device policy POL-50001 is cancelled, cover ends on 2026-12-24: "
        "only an active or pending policy can be cancelled"
    )


def test_cancelling_a_pending_policy_ends_it_at_once(api: Api, reset: None) -> None:
    body = {**CANCELLATION, "customer_id": "C-1011", "reason": "device_replaced"}
    answer = post(api, "/device_policies/POL-50008/cancellation", body).json()
    assert (answer["notice_days"], answer["effective_date"]) == (0, "2026-11-24")


@pytest.mark.parametrize(
    "policy, change, status, reason",
    [
        (
            "POL-50015",
            {"customer_id": "C-1022"},
            409,
            "device policy POL-50015 is lapsed: only an active",
        ),
        ("POL-50001", {"reason": "bored"}, 422, "body.reason"),
        ("POL-50001", {"customer_id": "C-1002"}, 422, "is not a device policy of customer C-1002"),
        ("POL-99999", {}, 404, "device policy POL-99999 not found"),
    ],
)
def test_cancellation_refused(
    api: Api, policy: str, change: dict[str, Any], status: int, reason: str
) -> None:
    response = post(api, f"/device_policies/{policy}/cancellation", {**CANCELLATION, **change})
    assert reason in refused(response, status)


# Retention offers


def test_switch_to_basic_moves_the_policy_to_the_basic_cover_and_rate(
    api: Api, reset: None
) -> None:
    body = {"customer_id": "C-1004", "offer": "switch_to_basic"}  # POL-50002, plus, 7.41
    key = uuid.uuid4().hex
    response = post(api, "/device_policies/POL-50002/retention", body, key)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["plan"], answer["previous_plan"], answer["excess"]) == ("basic", "plus", 49.0)
    assert answer["covers"] == ["screen_damage", "malfunction"]
    assert answer["premium_monthly"] == round(7.41 * 0.9 / 1.4, 2) == 4.76
    assert answer["status"] == "active" and answer["applied_on"] == "2026-11-24"
    replayed = post(api, "/device_policies/POL-50002/retention", body, key)
    assert replayed.json() == answer and replayed.headers["Idempotent-Replayed"] == "true"
    assert api.get("/device_policies/POL-50002").json()["plan"] == "basic"
    again = post(api, "/device_policies/POL-50002/retention", body)
    assert "already took switch_to_basic on 2026-11-24" in refused(again, 409)


def test_a_month_free_credits_the_next_months_premium_once_a_year(api: Api, reset: None) -> None:
    body = {"customer_id": "C-1001", "offer": "month_free"}  # POL-50001, basic, active
    answer = post(api, "/device_policies/POL-50001/retention", body).json()
    before = api.get("/device_policies/POL-50001").json()
    assert (answer["credit"], answer["free_month"]) == (before["premium_monthly"], "2026-12-01")
    assert answer["plan"] == before["plan"] == "basic"
    again = post(api, "/device_policies/POL-50001/retention", body)
    assert "already took month_free" in refused(again, 409)


@pytest.mark.parametrize(
    "policy, body, status, reason",
    [
        (
            "POL-50001",
            {"customer_id": "C-1001", "offer": "switch_to_basic"},
            409,
            "already on the basic plan",
        ),
        (
            "POL-50015",
            {"customer_id": "C-1022", "offer": "month_free"},
            409,
            "device policy POL-50015 is lapsed: only an active policy",
        ),
        ("POL-50001", {"customer_id": "C-1001", "offer": "free_phone"}, 422, "body.offer"),
        ("POL-50001", {"customer_id": "C-1002", "offer": "month_free"}, 422, "is not a device"),
        ("POL-99999", {"customer_id": "C-1001", "offer": "month_free"}, 404, "not found"),
        ("POL-50001", {"customer_id": "C-1001"}, 422, "body.offer"),
    ],
)
def test_retention_refused(
    api: Api, policy: str, body: dict[str, Any], status: int, reason: str
) -> None:
    response = post(api, f"/device_policies/{policy}/retention", body)
    assert reason in refused(response, status)


def test_retention_needs_an_idempotency_key(api: Api) -> None:
    body = {"customer_id": "C-1001", "offer": "month_free"}
    response = api.post("/device_policies/POL-50001/retention", json=body)
    assert "idempotency-key" in refused(response, 422).lower()


# Returns


def test_return_inside_the_window(api: Api, reset: None) -> None:
    response = post(api, "/returns", RETURN)
    assert response.status_code == 201, response.text
    assert response.json() == {
        "id": "RMA-00001",
        "order_id": "BW-100001",
        "customer_id": "C-1001",
        "reason": "changed_mind",
        "items": [{"sku": "AC-CHG-65", "name": "65W fast charger", "qty": 1, "price": 39.0}],
        "refund": 39.0,
        "currency": "EUR",
        "status": "authorised",
        "created_on": "2026-11-24",
        "return_by": "2026-12-22",
    }
    again = post(api, "/returns", RETURN)
    assert refused(again, 409) == "order BW-100001 already has return authorisation RMA-00001"


def test_return_of_some_items(api: Api, reset: None) -> None:
    body = {
        "customer_id": "C-1002",
        "order_id": "BW-100004",
        "reason": "faulty",
        "skus": ["ac-case-12"],
    }
    answer = post(api, "/returns", body).json()
    assert [item["sku"] for item in answer["items"]] == ["AC-CASE-12"]
    assert answer["refund"] == 29.0


@pytest.mark.parametrize(
    "change, status, reason",
    [
        (
            {"order_id": "BW-100002"},
            422,
            "order BW-100002 is delayed: only a delivered order can be returned",
        ),
        (
            {"customer_id": "C-1004", "order_id": "BW-100009"},
            422,
            "order BW-100009 is not returnable",
        ),
        ({"skus": ["AC-NOPE-1"]}, 422, "order BW-100001 has no item AC-NOPE-1"),
        ({"skus": []}, 422, "body.skus"),
        ({"customer_id": "C-1002"}, 422, "order BW-100001 is not a order of customer C-1002"),
        ({"order_id": "BW-000000"}, 404, "order BW-000000 not found"),
        ({"reason": "meh"}, 422, "body.reason"),
    ],
)
def test_return_refused(api: Api, change: dict[str, Any], status: int, reason: str) -> None:
    assert reason in refused(post(api, "/returns", {**RETURN, **change}), status)


def test_return_outside_the_window_names_its_end(later: Api) -> None:
    response = post(later, "/returns", RETURN)
    assert (
        refused(response, 422) == "the 30-day return window of order BW-100001 ended on 2026-12-22"
    )


# Payment links


def test_payment_link_for_an_unpaid_invoice(api: Api, reset: None) -> None:
    response = post(api, "/invoices/INV-900001/payment-link", {"customer_id": "C-1001"})
    assert response.status_code == 201, response.text
    link = response.json()
    assert link["url"].startswith("https://pay.brightwave.example/update/")
    assert len(link["url"].rsplit("/", 1)[1]) >= 40
    expires = datetime.fromisoformat(link["expires_at"])
    assert timedelta(hours=23) < expires - datetime.now(UTC) <= timedelta(hours=24)
    assert (link["amount"], link["currency"]) == (35.37, "EUR")
    other = post(api, "/invoices/INV-900001/payment-link", {"customer_id": "C-1001"}).json()
    assert other["url"] != link["url"]


@pytest.mark.parametrize(
    "invoice, body, status, reason",
    [
        (
            "INV-900002",
            {"customer_id": "C-1001"},
            409,
            "invoice INV-900002 is paid: there is nothing to pay",
        ),
        (
            "INV-900001",
            {"customer_id": "C-1002"},
            422,
            "invoice INV-900001 is not a invoice of customer C-1002",
        ),
        ("INV-000000", {"customer_id": "C-1001"}, 404, "invoice INV-000000 not found"),
    ],
)
def test_payment_link_refused(
    api: Api, invoice: str, body: dict[str, Any], status: int, reason: str
) -> None:
    assert refused(post(api, f"/invoices/{invoice}/payment-link", body), status) == reason


def test_payment_link_address_and_lifetime_come_from_the_settings(later: Api) -> None:
    link = post(later, "/invoices/INV-900001/payment-link", {"customer_id": "C-1001"}).json()
    assert link["url"].startswith("https://pay.test.example/p/")
    expires = datetime.fromisoformat(link["expires_at"]) - datetime.now(UTC)
    assert timedelta(minutes=29) < expires <= timedelta(minutes=30)


def test_card_data_is_refused_and_not_echoed(api: Api) -> None:
    card = "4111111111111111"
    body = {"customer_id": "C-1001", "card_number": card, "cvc": "123"}
    response = post(api, "/invoices/INV-900001/payment-link", body)
    detail = refused(response, 422)
    assert "body.card_number: extra fields not permitted" in detail
    assert card not in response.text and "123" not in detail


# Moving an appointment


def test_move_to_a_free_slot_and_a_taken_one(api: Api, reset: None) -> None:
    taken = post(api, "/appointments/APT-3001/move", {"start": "2026-11-25T09:31:00"})
    assert refused(taken, 409) == (
        "ST-LON has no free slot at 2026-11-25T09:31:00; free: "
        "2026-11-25T09:30:00, 2026-11-25T14:00:00, 2026-11-25T16:30:00"
    )
    assert api.get("/appointments/APT-3001").json()["start"] == "2026-12-04T10:30:00"

    moved = post(api, "/appointments/apt-3001/move", {"start": "2026-11-25T09:30:00"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["start"] == "2026-11-25T09:30:00"
    free = api.get("/appointment_slots", params={"store_id": "ST-LON"}).json()["items"]
    assert {"store_id": "ST-LON", "start": "2026-12-04T10:30:00"} in free
    assert {"store_id": "ST-LON", "start": "2026-11-25T09:30:00"} not in free

    assert api.post("/appointments/APT-3001/cancel").status_code == 200
    cancelled = post(api, "/appointments/APT-3001/move", {"start": "2026-11-25T14:00:00"})
    assert refused(cancelled, 409) == "appointment APT-3001 is cancelled: book a new one"


@pytest.mark.parametrize(
    "body, status, reason",
    [
        (
            {"start": "2026-11-25T09:30:00+01:00"},
            422,
            "body.start: expected the store's local time",
        ),
        ({"start": 1795000000}, 422, "body.start"),
        ({}, 422, "body.start: field required"),
    ],
)
def test_move_refused(api: Api, body: dict[str, Any], status: int, reason: str) -> None:
    assert reason in refused(post(api, "/appointments/APT-3001/move", body), status)


def test_move_of_an_unknown_appointment(api: Api) -> None:
    response = post(api, "/appointments/APT-0000/move", {"start": "2026-11-25T09:30:00"})
    assert refused(response, 404) == "appointment APT-0000 not found"
