"""The packet's `history`: the verified customer's recent contacts on every channel and
the business events about them, from the memory's answer, newest first and bounded;
no history without the memory's answer or without a verified customer."""

from datetime import UTC, datetime
from typing import Any

import pytest

from actions.packet.build import build_packet
from actions.packet.history import HISTORY_LIMIT, history
from actions.packet.schema import PacketInvalid, validate_packet
from tests.support import crm
from tests.unit.test_handoff_packet import (
    ANGRY,
    FRAUD,
    WEDNESDAY_MORNING,
    noah_snapshot,
    unverified_fraud_report,
    verified_order_then_angry,
)

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC).timestamp()
HOUR = 3600.0


def contact(conversation_id: str, channel: str, at: float, outcome: str, summary: str) -> dict:
    """A conversation as the memory's GET /customers/{id} gives it."""
    return {
        "kind": "conversation",
        "conversation_id": conversation_id,
        "channel": channel,
        "started_at": at,
        "ended_at": at + 300,
        "at": at,
        "outcome": outcome,
        "goals": [],
        "records": [],
        "sentiment": None,
        "summary": summary,
    }


def event(event_id: int, kind: str, at: float, record: str | None, told: bool, **data) -> dict:
    return {
        "kind": "event",
        "id": event_id,
        "type": kind,
        "source": "billing",
        "record": record,
        "occurred_at": "2026-11-23T08:00:00Z",
        "at": at,
        "data": {"type": kind, "customer_id": "C-1001", **data},
        "delivered_conversation": None,
        "delivered_at": None,
        "mentioned_at": at + 60 if told else None,
    }


def noah_in_memory() -> dict[str, Any]:
    return {
        "customer_id": "C-1001",
        "links": [],
        "timeline": [
            # Out of order on purpose: the packet puts the newest first.
            contact(
                "web-1", "socketio", MONDAY, "resolved", "check order status BW-100002: answered"
            ),
            contact("conv-42", "twilio_voice", MONDAY + 48 * HOUR, "open", "verify identity"),
            event(
                7,
                "payment_failed",
                MONDAY + 30 * HOUR,
                "INV-900043",
                False,
                invoice_id="INV-900043",
                detail="card expired, call 07700 900123",
            ),
            contact("wa-1", "twilio", MONDAY + 24 * HOUR, "handed_over", "check claim status"),
            event(8, "sentiment_shift", MONDAY + 24 * HOUR + 60, None, True, to="negative"),
            event(9, "order_delivered", MONDAY + HOUR, "BW-100008", True, order_id="BW-100008"),
        ],
    }


def test_contacts_and_events_newest_first_in_an_agents_words() -> None:
    found = history(noah_in_memory(), "conv-42")
    assert found is not None
    assert [(i["kind"], i["channel"], i["outcome"]) for i in found] == [
        ("contact", "twilio_voice", "open"),
        ("event", None, "not_told"),
        ("event", None, "noted"),
        ("contact", "twilio", "handed_over"),
        ("event", None, "told"),
        ("contact", "socketio", "resolved"),
    ]
    assert [i["this_conversation"] for i in found] == [True] + [False] * 5
    assert found[0]["at"] == "2026-11-25T09:00:00+00:00"
    # The enterprise's detail is masked like every text a person reads later.
    assert found[1]["summary"] == "Payment failed: INV-900043 (card expired, call ***** ****23)"
    assert found[2]["summary"] == "Sentiment shift: start to negative"
    assert found[4]["summary"] == "Order delivered: BW-100008"
    assert found[5]["summary"] == "check order status BW-100002: answered"


def test_the_history_is_bounded_and_skips_what_it_cannot_read() -> None:
    many = [
        contact(f"c-{n}", "twilio", MONDAY + n * HOUR, "resolved", f"request {n}")
        for n in range(HISTORY_LIMIT + 5)
    ]
    broken = [{"kind": "conversation", "channel": "twilio"}, {"kind": "unknown"}, "not a dict"]
    found = history({"timeline": [*broken, *many]}, "conv-42")
    assert found is not None and len(found) == HISTORY_LIMIT
    assert found[0]["summary"] == f"request {HISTORY_LIMIT + 4}"
    assert history({"timeline": []}, "conv-42") == []
    assert history(None, "conv-42") is None


def test_a_verified_packet_carries_the_history_and_stays_valid() -> None:
    packet = build_packet(
        verified_order_then_angry(),
        ANGRY,
        noah_snapshot(),
        crm.customer("C-1001"),
        WEDNESDAY_MORNING,
        noah_in_memory(),
    )
    validate_packet(packet)
    assert [i["channel"] for i in packet["history"] if i["kind"] == "contact"] == [
        "twilio_voice",
        "twilio",
        "socketio",
    ]


def test_without_the_memory_or_a_verified_customer_there_is_no_history() -> None:
    without = build_packet(
        verified_order_then_angry(), ANGRY, noah_snapshot(), None, WEDNESDAY_MORNING, None
    )
    assert "history" not in without
    validate_packet(without)
    # An answer passed by mistake for an unverified customer must not leak.
    unverified = build_packet(
        unverified_fraud_report(), FRAUD, noah_snapshot(), None, WEDNESDAY_MORNING, noah_in_memory()
    )
    assert "history" not in unverified
    validate_packet(unverified)


def test_the_schema_refuses_a_history_for_an_unverified_customer() -> None:
    packet = build_packet(
        unverified_fraud_report(), FRAUD, noah_snapshot(), None, WEDNESDAY_MORNING
    )
    packet["history"] = history(noah_in_memory(), "conv-42")
    with pytest.raises(PacketInvalid, match="history"):
        validate_packet(packet)
