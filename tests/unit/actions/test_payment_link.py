"""action_payment_link against the real backend: a verified customer's secure link
for the invoice named or their unpaid one, the same link for a doubled message, a
paid invoice, someone else's, the backend down, a call with and without text
messages, and a journey left half-way."""

from typing import Any

from actions.payment_link import ActionPaymentLink, unpaid_invoice
from actions.slots import (
    BACKEND_FAILURES,
    HUMAN_OFFERED,
    REQUEST_TOPIC,
    VERIFICATION_FAILED,
    VERIFIED_CUSTOMER_ID,
)
from common.channel_metadata import CAN_TEXT, SEND_AS_TEXT
from tests.support.crm import first_with, of_customer
from tests.unit.actions.conftest import (
    backend_down,
    outcomes,
    recorded,
    responses,
    run,
    slots_set,
    tracker,
)

CUSTOMER = "C-1001"
UNPAID = first_with("invoices", customer_id=CUSTOMER, status="overdue")["id"]
PAID = first_with("invoices", customer_id=CUSTOMER, status="paid")["id"]
FAILED = first_with("invoices", status="failed")
ALL_PAID = "C-1002"
GOAL = ("action_payment_link", "update_payment_method")


def wanting(customer: str = CUSTOMER, **slots: Any) -> dict[str, Any]:
    return {
        REQUEST_TOPIC: "invoice",
        VERIFIED_CUSTOMER_ID: customer,
        "payment_method_update": True,
        **slots,
    }


def asked(slots: dict[str, Any], **kwargs: Any) -> Any:
    return tracker(slots, text="update my payment method", intent="update_payment_method", **kwargs)


def test_a_verified_customer_gets_a_secure_link_for_the_invoice_named() -> None:
    events, said = run(ActionPaymentLink(), asked(wanting(invoice_id=UNPAID)))
    [(response, words)] = said
    assert response == "utter_payment_link"
    assert words["url"].startswith("https://pay.brightwave.example/update/")
    assert words["invoice_id"] == UNPAID and words["amount"] == "€35.37"
    assert words["expires_at"].endswith(" UTC")
    cleared = slots_set(events)
    assert cleared["payment_method_update"] is None and cleared["invoice_id"] is None
    assert outcomes(events) == [(*GOAL, "done")]


def test_a_doubled_message_gets_the_same_link_and_another_conversation_its_own() -> None:
    first = run(ActionPaymentLink(), asked(wanting(invoice_id=UNPAID)))[1][0][1]["url"]
    again = run(ActionPaymentLink(), asked(wanting(invoice_id=UNPAID)))[1][0][1]["url"]
    other = run(ActionPaymentLink(), asked(wanting(invoice_id=UNPAID), sender="someone-else"))
    assert first == again
    assert other[1][0][1]["url"] != first


def test_without_a_number_the_failed_payment_is_the_one_fixed() -> None:
    events, said = run(ActionPaymentLink(), asked(wanting(FAILED["customer_id"])))
    assert responses(said) == ["utter_payment_link"]
    assert said[0][1]["invoice_id"] == FAILED["id"]
    assert [o["record"] for o in recorded(events)] == [FAILED["id"]]


def test_the_unpaid_invoice_chosen_is_failed_then_overdue_then_due() -> None:
    invoices = [
        {"id": "INV-1", "status": "due", "due_date": "2026-12-01"},
        {"id": "INV-2", "status": "overdue", "due_date": "2026-11-20"},
        {"id": "INV-3", "status": "overdue", "due_date": "2026-11-10"},
        {"id": "INV-4", "status": "paid", "due_date": "2026-10-01"},
    ]
    assert (unpaid_invoice(invoices) or {}).get("id") == "INV-3"
    failed = [*invoices, {"id": "INV-5", "status": "failed"}]
    assert (unpaid_invoice(failed) or {}).get("id") == "INV-5"
    assert unpaid_invoice(invoices[3:]) is None


def test_a_paid_invoice_has_nothing_to_fix() -> None:
    events, said = run(ActionPaymentLink(), asked(wanting(invoice_id=PAID)))
    assert responses(said) == ["utter_payment_link_paid"]
    assert said[0][1]["invoice_id"] == PAID
    assert outcomes(events) == [(*GOAL, "declined")]


def test_a_customer_whose_invoices_are_all_paid_is_told_so() -> None:
    events, said = run(ActionPaymentLink(), asked(wanting(ALL_PAID)))
    assert responses(said) == ["utter_payment_link_nothing_due"]
    assert outcomes(events) == [(*GOAL, "declined")]


def test_someone_elses_invoice_gets_no_link() -> None:
    theirs = of_customer("invoices", ALL_PAID)[0]["id"]
    events, said = run(ActionPaymentLink(), asked(wanting(invoice_id=theirs)))
    assert responses(said) == ["utter_record_not_on_account"]
    assert "url" not in said[0][1]
    assert outcomes(events) == [(*GOAL, "not_found")]


def test_an_unverified_customer_gets_no_link() -> None:
    slots = {**wanting(invoice_id=UNPAID), VERIFIED_CUSTOMER_ID: None, VERIFICATION_FAILED: True}
    events, said = run(ActionPaymentLink(), asked(slots))
    assert responses(said) == ["utter_verification_failed"]
    assert slots_set(events)[HUMAN_OFFERED] is True
    assert outcomes(events) == [(*GOAL, "refused")]


def test_the_backend_down_is_an_apology_and_a_person_offered(monkeypatch: Any) -> None:
    backend_down(monkeypatch)
    events, said = run(ActionPaymentLink(), asked(wanting(invoice_id=UNPAID)))
    assert responses(said) == ["utter_backend_down"]
    assert slots_set(events)[HUMAN_OFFERED] is True
    assert slots_set(events)[BACKEND_FAILURES] == 1
    assert outcomes(events) == [(*GOAL, "unavailable")]


def test_on_a_call_the_link_goes_by_text_message_when_the_channel_can_send_one() -> None:
    track = asked(wanting(invoice_id=UNPAID), channel="twilio_voice", metadata={CAN_TEXT: True})
    events, said = run(ActionPaymentLink(), track)
    assert responses(said) == ["utter_payment_link_text", "utter_payment_link_texted"]
    texted, spoken = said[0][1], said[1][1]
    assert texted[SEND_AS_TEXT] is True and texted["url"].startswith("https://")
    assert "url" not in spoken and spoken["invoice_id_spoken"] == "I N V 9 0 0 0 0 1"
    assert outcomes(events) == [(*GOAL, "done")]


def test_on_a_call_that_cannot_text_no_link_is_made_and_the_caller_told_where_to_go() -> None:
    track = asked(wanting(invoice_id=UNPAID), channel="twilio_voice")
    events, said = run(ActionPaymentLink(), track)
    assert responses(said) == ["utter_payment_link_no_text"]
    assert outcomes(events) == [(*GOAL, "unavailable")]


def test_a_journey_left_half_way_answers_what_was_asked_since() -> None:
    track = tracker(wanting(invoice_id=UNPAID), text="is my invoice paid", intent="check_invoice")
    events, said = run(ActionPaymentLink(), track)
    assert responses(said) == ["utter_invoice_overdue"]
    assert slots_set(events)["payment_method_update"] is None
    assert outcomes(events) == [("action_answer_request", "check_invoice", "answered")]
