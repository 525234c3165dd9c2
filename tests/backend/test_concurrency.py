"""Simultaneous writes: a slot goes to exactly one booking, every id is unique."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .support import Api

CALLS = 24


def at_once(call: Callable[[int], Any]) -> list[Any]:
    with ThreadPoolExecutor(max_workers=12) as pool:
        return list(pool.map(call, range(CALLS)))


def test_one_slot_booked_at_once(api: Api, reset: None) -> None:
    slot = api.get("/appointment_slots", params={"store_id": "ST-MAN"}).json()["items"][0]
    booking = {"customer_id": "C-1001", **slot, "purpose": "repair"}
    statuses = at_once(lambda _: api.post("/appointments", json=booking).status_code)
    assert sorted(statuses) == [201] + [409] * (CALLS - 1)


def test_many_slots_booked_at_once(api: Api, reset: None) -> None:
    slots = api.get("/appointment_slots", params={"store_id": "ST-MAN"}).json()["items"][:CALLS]
    responses = at_once(
        lambda i: api.post(
            "/appointments",
            json={"customer_id": "C-1001", **slots[i % len(slots)], "purpose": "repair"},
        )
    )
    booked = [response.json() for response in responses if response.status_code == 201]
    assert all(response.status_code in (201, 409) for response in responses)
    assert len(booked) == len(slots)
    assert len({appointment["id"] for appointment in booked}) == len(booked)


def test_interactions_logged_at_once(api: Api, reset: None) -> None:
    note = {"channel": "web", "type": "note", "summary": "s", "customer_id": "C-1002"}
    responses = at_once(
        lambda i: api.post("/interactions", json={**note, "conversation_id": f"c{i}"})
    )
    assert [response.status_code for response in responses] == [201] * CALLS
    assert len({response.json()["id"] for response in responses}) == CALLS
    assert len(api.get("/customers/C-1002/interactions").json()["items"]) == CALLS


def test_reads_during_a_rebuild_see_a_whole_database(api: Api, reset: None) -> None:
    """A rebuild replaces every table in one transaction: a read beside it sees the
    old tables or the new ones, never none (it answered 503 "no such table")."""

    def read(i: int) -> int:
        if i % 4 == 0:
            return api.post("/admin/rebuild").status_code
        return api.get("/orders/BW-100002" if i % 2 else "/policies").status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(read, range(CALLS * 4)))
    assert set(statuses) == {200}, statuses
