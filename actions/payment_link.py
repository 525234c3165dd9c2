"""Fix a failed payment: a verified customer gets a secure one-time link where they
enter a new payment method themselves (the assistant never takes card details).

The invoice is the one named, else the customer's unpaid one (a failed payment
first, then overdue, then due). The link is asked for with an idempotency key from
(conversation, action, invoice), so a doubled message gets the same link, never a
second one. On a call the link goes by text message when the channel can send one
(`voice_can_text`); otherwise the caller is told where to update the card instead."""

from datetime import UTC, datetime
from typing import Any

from babel.dates import format_time
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client as backend
from actions import spoken
from actions.answers import ActionAnswerRequest
from actions.backend_writes import idempotency_key
from actions.failures import backend_trouble
from actions.journey import latest_goal
from actions.language import conversation_language
from actions.outcomes import DECLINED, DONE, NOT_FOUND, REFUSED, UNAVAILABLE, record
from actions.records import INVOICE
from actions.render import DEFAULT_LOCALE, day, money, not_on_account, said
from actions.slots import (
    BACKEND_ERROR,
    HUMAN_OFFERED,
    VERIFICATION_FAILED,
    VERIFICATION_LOCKED,
    request_finished,
)
from actions.verification import verified_customer
from common.channel_metadata import CAN_TEXT, SEND_AS_TEXT

ACTION = "action_payment_link"
GOAL = "update_payment_method"
# The slot the intent sets (domain.yml): the verification form ends in this journey.
WANTED = "payment_method_update"
VOICE = "twilio_voice"
# Which unpaid invoice a customer who names none means: a failed payment first.
UNPAID_ORDER = ("failed", "overdue", "due")


def unpaid_invoice(invoices: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The invoice a payment fix is for when none is named: failed, then overdue, then
    due; the oldest due date first."""
    unpaid = [i for i in invoices if i.get("status") in UNPAID_ORDER]
    unpaid.sort(key=lambda i: (UNPAID_ORDER.index(i["status"]), str(i.get("due_date"))))
    return unpaid[0] if unpaid else None


def link_words(
    invoice_id: str, link: dict[str, Any], locale: str = DEFAULT_LOCALE
) -> dict[str, str]:
    """The variables of the link's responses: the link, its invoice, amount and expiry
    (formatted for the conversation's language)."""
    expires = datetime.fromisoformat(str(link["expires_at"])).astimezone(UTC)
    currency = str(link.get("currency") or "EUR")
    amount = money(link.get("amount", 0), currency, locale)
    at = (
        f"{expires:%H:%M}"
        if locale == DEFAULT_LOCALE
        else format_time(expires, "short", locale=locale)
    )
    expires_at = f"{day(expires.date().isoformat(), locale)}, {at} {expires:%Z}".strip()
    return {
        "url": str(link["url"]),
        "invoice_id": invoice_id,
        "invoice_id_spoken": spoken.spell(invoice_id),
        "amount": amount,
        "amount_spoken": said(amount, spoken.money(link.get("amount", 0), currency), locale),
        "expires_at": expires_at,
        "expires_at_spoken": said(
            expires_at, f"{spoken.moment(expires)} {spoken.hours(f'{expires:%Z}')}".strip(), locale
        ),
    }


class ActionPaymentLink(Action):
    """Answers a verified customer's wish to update the payment method with a secure
    link for the invoice concerned; says why not otherwise, truthfully."""

    def name(self) -> str:
        return ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        events: list[EventType] = [*request_finished(), SlotSet(WANTED, None)]
        if latest_goal(tracker) != GOAL:
            # The journey was left half-way and the form ended for a question since:
            # answered here, so that the turn ends as this journey's rule says.
            answered = await ActionAnswerRequest().run(dispatcher, tracker, domain)
            return [*answered, SlotSet(WANTED, None)]
        named = INVOICE.normalize(tracker.get_slot(INVOICE.slot))

        def outcome(result: str, invoice_id: str | None = named, **detail: Any) -> EventType:
            return record(tracker, ACTION, GOAL, result, invoice_id, detail)

        if tracker.get_slot(VERIFICATION_LOCKED):
            dispatcher.utter_message(response="utter_account_locked")
            return events + [SlotSet(HUMAN_OFFERED, True), outcome(REFUSED, reason="locked")]
        customer_id = verified_customer(tracker)
        if tracker.get_slot(VERIFICATION_FAILED) or (
            customer_id is None and not tracker.get_slot(BACKEND_ERROR)
        ):
            dispatcher.utter_message(response="utter_verification_failed")
            return events + [SlotSet(HUMAN_OFFERED, True), outcome(REFUSED, reason="not_verified")]
        if tracker.get_slot(BACKEND_ERROR) or customer_id is None:
            return (
                events
                + backend_trouble(dispatcher, tracker, counted=True)
                + [outcome(UNAVAILABLE, reason="backend")]
            )
        on_call = tracker.get_latest_input_channel() == VOICE
        can_text = bool((tracker.latest_message.get("metadata") or {}).get(CAN_TEXT))
        if on_call and not can_text:  # a link nobody can receive is not made
            dispatcher.utter_message(response="utter_payment_link_no_text")
            return events + [outcome(UNAVAILABLE, reason="no_text_on_call")]
        client = backend.client()
        try:
            invoice_id = named
            if invoice_id is None:
                invoices = await backend.call(client.customer_records, customer_id, "invoices")
                unpaid = unpaid_invoice(invoices)
                if unpaid is None:
                    dispatcher.utter_message(response="utter_payment_link_nothing_due")
                    return events + [outcome(DECLINED, None, reason="nothing_due")]
                invoice_id = str(unpaid["id"])
            key = idempotency_key(tracker.sender_id, ACTION, invoice_id)
            link = await backend.call(client.payment_link, key, invoice_id, customer_id)
        except backend.BackendConflict:  # 409: the invoice is paid
            dispatcher.utter_message(
                response="utter_payment_link_paid",
                invoice_id=invoice_id,
                invoice_id_spoken=spoken.spell(invoice_id),
            )
            return events + [outcome(DECLINED, invoice_id, reason="paid")]
        except (backend.RecordNotFound, backend.BackendRejected):  # unknown, or not theirs
            dispatcher.utter_message(
                response="utter_record_not_on_account",
                **not_on_account(
                    INVOICE, tracker.get_slot(INVOICE.slot), conversation_language(tracker.slots)
                ),
            )
            return events + [outcome(NOT_FOUND)]
        except backend.BackendError:
            return (
                events
                + backend_trouble(dispatcher, tracker)
                + [outcome(UNAVAILABLE, invoice_id, reason="backend")]
            )
        words = link_words(invoice_id, link, conversation_language(tracker.slots))
        if on_call:
            dispatcher.utter_message(
                response="utter_payment_link_text",
                url=words["url"],
                invoice_id=words["invoice_id"],
                expires_at=words["expires_at"],
                **{SEND_AS_TEXT: True},
            )
            dispatcher.utter_message(
                response="utter_payment_link_texted",
                invoice_id_spoken=words["invoice_id_spoken"],
                expires_at_spoken=words["expires_at_spoken"],
            )
        else:
            dispatcher.utter_message(
                response="utter_payment_link",
                url=words["url"],
                invoice_id=words["invoice_id"],
                amount=words["amount"],
                expires_at=words["expires_at"],
            )
        return events + [outcome(DONE, invoice_id, by="text" if on_call else "message")]
