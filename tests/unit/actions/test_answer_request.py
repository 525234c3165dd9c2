"""action_answer_request: a verified customer's record, or their open records, from
the real backend; what is said when verification failed, the record is locked, the
record is someone else's or unknown, or the backend is down."""

from typing import Any

import pytest

from actions.answers import ActionAnswerRequest
from actions.slots import (
    BACKEND_ERROR,
    BACKEND_FAILURES,
    HUMAN_OFFERED,
    REQUEST_TOPIC,
    VERIFICATION_FAILED,
    VERIFICATION_LOCKED,
    VERIFIED_CUSTOMER_ID,
)
from tests.support.crm import first_with, of_customer
from tests.unit.actions.conftest import backend_down, outcomes, responses, run, slots_set, tracker

CUSTOMER = "C-1001"
DELAYED = first_with("orders", customer_id=CUSTOMER, status="delayed")
SOMEONE_ELSES = next(o for o in of_customer("orders", "C-1002"))
CLAIM = of_customer("claims", CUSTOMER)[0]
INVOICE = of_customer("invoices", CUSTOMER)[0]


def asking(topic: str, **slots: Any) -> dict[str, Any]:
    return {REQUEST_TOPIC: topic, VERIFIED_CUSTOMER_ID: CUSTOMER, **slots}


def finished(events: list) -> None:
    """The request's references are cleared for the next one."""
    cleared = slots_set(events)
    for name in ("order_id", "claim_id", "invoice_id", REQUEST_TOPIC, BACKEND_ERROR):
        assert name in cleared and cleared[name] is None, name


def test_a_verified_customer_hears_about_their_order_from_the_record() -> None:
    events, said = run(ActionAnswerRequest(), tracker(asking("order", order_id=DELAYED["id"])))
    [(response, variables)] = said
    assert response == "utter_order_delayed_tracked"
    assert variables["order_id"] == DELAYED["id"]
    assert variables["delay_reason"] == DELAYED["delay_reason"]
    assert variables["tracking_number"] == DELAYED["tracking_number"]
    finished(events)
    assert outcomes(events) == [("action_answer_request", "check_order_status", "answered")]


def test_without_a_number_the_customers_open_orders_are_listed() -> None:
    events, said = run(ActionAnswerRequest(), tracker(asking("order")))
    open_orders = {
        o["id"]
        for o in of_customer("orders", CUSTOMER)
        if o["status"] not in ("delivered", "cancelled", "returned")
    }
    assert open_orders and {variables["order_id"] for _, variables in said} == open_orders
    assert all(response.startswith("utter_order_") for response in responses(said))
    finished(events)


def test_a_claim_and_an_invoice_are_answered_from_their_records() -> None:
    _, said = run(ActionAnswerRequest(), tracker(asking("claim", claim_id=CLAIM["id"])))
    [(response, variables)] = said
    assert response.startswith("utter_claim_status") and variables["claim_id"] == CLAIM["id"]
    _, said = run(ActionAnswerRequest(), tracker(asking("invoice", invoice_id=INVOICE["id"])))
    [(response, variables)] = said
    assert response == f"utter_invoice_{INVOICE['status']}"
    assert variables["invoice_id"] == INVOICE["id"]


@pytest.mark.parametrize("order_id", [SOMEONE_ELSES["id"], "BW-999999"])
def test_someone_elses_record_and_an_unknown_one_read_the_same(order_id: str) -> None:
    events, said = run(ActionAnswerRequest(), tracker(asking("order", order_id=order_id)))
    [(response, variables)] = said
    assert response == "utter_record_not_on_account"
    assert variables["record_id"] == order_id
    assert BACKEND_FAILURES not in slots_set(events)  # not a failure of the backend
    finished(events)


@pytest.mark.parametrize(
    ("slot", "response"),
    [
        (VERIFICATION_FAILED, "utter_verification_failed"),
        (VERIFICATION_LOCKED, "utter_account_locked"),
    ],
)
def test_a_failed_or_locked_verification_is_told_so_and_offered_a_person(
    slot: str, response: str
) -> None:
    events, said = run(
        ActionAnswerRequest(),
        tracker({REQUEST_TOPIC: "order", "order_id": DELAYED["id"], slot: True}),
    )
    assert said == [(response, {})]
    assert slots_set(events)[HUMAN_OFFERED] is True
    assert VERIFIED_CUSTOMER_ID not in slots_set(events)
    finished(events)


def test_without_a_topic_or_a_verified_customer_nothing_is_read() -> None:
    _, said = run(ActionAnswerRequest(), tracker({REQUEST_TOPIC: "order"}))
    assert said == [("utter_default", {})]


def test_a_backend_failure_during_the_form_is_apologised_for_once(
    configured: pytest.MonkeyPatch,
) -> None:
    # The form already counted this failure (backend_failures is 1): not counted again.
    events, said = run(
        ActionAnswerRequest(),
        tracker(
            asking("order", order_id=DELAYED["id"], **{BACKEND_ERROR: True, BACKEND_FAILURES: 1})
        ),
    )
    assert said == [("utter_backend_down", {})]
    assert slots_set(events)[HUMAN_OFFERED] is True
    assert BACKEND_FAILURES not in slots_set(events)


def test_the_backend_down_is_an_apology_and_a_counted_failure(
    configured: pytest.MonkeyPatch,
) -> None:
    backend_down(configured)
    events, said = run(ActionAnswerRequest(), tracker(asking("order", order_id=DELAYED["id"])))
    assert said == [("utter_backend_down", {})]
    assert slots_set(events)[BACKEND_FAILURES] == 1
    assert slots_set(events)[HUMAN_OFFERED] is True
    finished(events)
