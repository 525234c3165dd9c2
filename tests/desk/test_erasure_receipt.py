"""The desk's side of an erasure with every other service out of reach: each part
says it failed and why, the desk's hand-overs are kept (deferred: they name the
conversations a second run must still erase), the answer is 502, and the kept
receipt names nobody and shows whether it still matches its hash."""

import sqlite3
from pathlib import Path
from typing import Any

from desk.erasure import canonical
from tests.support.services import Service

from .support import admin, integration, packet

CUSTOMER = "C-1001"


def verified_packet() -> dict[str, Any]:
    handed = packet()
    handed["customer"] = {**handed.get("customer", {}), "verified": True, "customer_id": CUSTOMER}
    return handed


def database(desk: Service) -> Path:
    return desk.log_path.parent.parent / "desk-without-rasa.db"


def test_with_every_service_down_nothing_is_claimed_done_and_the_receipt_is_kept(
    desk_without_rasa: Service,
) -> None:
    submitted = integration(desk_without_rasa.url).post("/api/handoffs", json=verified_packet())
    assert submitted.status_code == 201, submitted.text
    boss = admin(desk_without_rasa.url)
    answer = boss.post(f"/admin/customers/{CUSTOMER}/erase")
    assert answer.status_code == 502, answer.text
    receipt = answer.json()
    parts = receipt["parts"]
    assert receipt["complete"] is False and receipt["conversations"] == 1
    for name in ("rasa", "analytics", "outreach", "action_server"):
        assert parts[name]["status"] == "failed" and parts[name]["error"], name
    assert parts["memory"]["status"] == "failed"  # its conversations could not be read
    assert parts["desk"]["status"] == "deferred" and "rasa" in parts["desk"]["error"]
    still = boss.get("/api/handoffs").json()
    assert [h["id"] for h in still if h["id"] == submitted.json()["id"]]
    assert CUSTOMER not in str(receipt) and submitted.json()["id"] not in str(receipt)

    shown = boss.get(f"/admin/erasures/{receipt['erasure_id']}")
    assert shown.json() == {**receipt, "hash_matches": True}
    with sqlite3.connect(database(desk_without_rasa)) as db:
        db.execute("UPDATE erasure_receipts SET receipt = json_set(receipt, '$.complete', 1)")
    assert boss.get(f"/admin/erasures/{receipt['erasure_id']}").json()["hash_matches"] is False


def test_the_hash_is_over_canonical_json_without_itself() -> None:
    receipt = {"b": 1, "a": {"y": [1, 2], "x": "é"}, "sha256": "ignored"}
    assert canonical(receipt) == b'{"a":{"x":"\\u00e9","y":[1,2]},"b":1}'
