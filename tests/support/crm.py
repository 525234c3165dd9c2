"""The Brightwave fixture the sample backend serves, for tests to pick records from."""

import json
from functools import lru_cache
from typing import Any

from stack.processes import ROOT

FIXTURE = ROOT / "fixtures" / "brightwave_crm.json"


@lru_cache(maxsize=1)
def crm() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text())


def customer(customer_id: str) -> dict[str, Any]:
    return next(c for c in crm()["customers"] if c["id"] == customer_id)


def first_with(collection: str, **fields: Any) -> dict[str, Any]:
    """The first record of a collection whose fields have the given values."""
    return next(r for r in crm()[collection] if all(r.get(k) == v for k, v in fields.items()))


def of_customer(collection: str, customer_id: str) -> list[dict[str, Any]]:
    return [r for r in crm()[collection] if r.get("customer_id") == customer_id]


def german_delayed_order() -> tuple[dict[str, Any], dict[str, Any]]:
    """BW-100055 and its owner: a German-speaking customer's order held in customs."""
    order = first_with("orders", id="BW-100055")
    owner = customer(order["customer_id"])
    assert owner["language"] == "de"
    assert (order["status"], order["delay_reason"]) == ("delayed", "customs inspection")
    return order, owner
