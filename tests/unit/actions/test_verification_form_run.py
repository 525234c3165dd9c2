"""validate_verification_form's run(), as Rasa calls it during the form, with the
project's domain: what the form asks next and what it sets. (The validation's rules
in detail, the lock included, are in tests/unit/test_verification_form.py.)"""

from functools import lru_cache
from typing import Any

import pytest
from rasa.shared.core.domain import Domain

from actions.slots import (
    BACKEND_ERROR,
    BACKEND_FAILURES,
    CLAIMED_CUSTOMER_ID,
    KNOWLEDGE_FACTOR,
    REQUEST_TOPIC,
    VERIFIED_CUSTOMER_ID,
)
from actions.verification import ValidateVerificationForm
from stack.processes import ROOT
from tests.support.crm import first_with
from tests.unit.actions.conftest import backend_down, run, slots_set, tracker

ORDER = first_with("orders", customer_id="C-1001", status="delayed")
SOMEONE_ELSES = first_with("orders", customer_id="C-1002")


@lru_cache(maxsize=1)
def domain() -> dict[str, Any]:
    return Domain.load(str(ROOT / "domain.yml")).as_dict()


def naming(order_id: str, **slots: Any) -> Any:
    """The customer names an order while the form runs (the NLU filled order_id)."""
    return tracker(
        {REQUEST_TOPIC: "order", "order_id": order_id, **slots},
        text=f"it is {order_id}",
        intent="inform",
        active_loop="verification_form",
    )


def run_form(track: Any) -> tuple:
    """The slots the form's run() sets and what it says, with the project's domain."""
    events, said = run(ValidateVerificationForm(), track, domain())
    return slots_set(events), said


def test_a_named_order_is_claimed_and_the_knowledge_factor_asked_next() -> None:
    slots, said = run_form(naming(ORDER["id"]))
    assert said == []  # Rasa asks with utter_ask_knowledge_factor; nothing about the record
    assert slots["order_id"] == ORDER["id"]
    assert slots[CLAIMED_CUSTOMER_ID] == ORDER["customer_id"]
    assert slots["requested_slot"] == KNOWLEDGE_FACTOR


def test_a_verified_customer_naming_someone_elses_order_is_told_it_is_not_theirs() -> None:
    slots, said = run_form(naming(SOMEONE_ELSES["id"], **{VERIFIED_CUSTOMER_ID: "C-1001"}))
    assert [response for response, _ in said] == ["utter_record_not_on_account"]
    assert slots["order_id"] is None
    # The form ends: the answer action then lists the customer's own open orders.
    assert slots["requested_slot"] is None


def test_the_backend_down_ends_the_form_with_the_failure_counted(
    configured: pytest.MonkeyPatch,
) -> None:
    backend_down(configured)
    slots, said = run_form(naming(ORDER["id"]))
    assert said == []
    assert slots[BACKEND_ERROR] is True and slots[BACKEND_FAILURES] == 1
    assert slots["requested_slot"] is None  # the answer action apologises next
