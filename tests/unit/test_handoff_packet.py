"""The hand-over packet, built from realistic tracker events and checked against its schema."""

import asyncio
import copy
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from rasa_sdk import Tracker

from actions.outcomes import outcome
from actions.packet.account import BACKEND_DOWN_NOTE, NOT_VERIFIED_NOTE, fetch_snapshot
from actions.packet.build import build_packet, session_records
from actions.packet.schema import PacketInvalid, validate_packet
from actions.packet.story import sentiment_trend
from escalation.decision import Decision
from tests.support import crm
from tests.unit.test_backend_client import Reply, ScriptedServer, closed_port

UTC = UTC
WEDNESDAY_MORNING = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # 11:00 CET
START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC).timestamp()

# --- events, as Rasa sends them to the action server ------------------------------


def user(text: str, intent: str, score: float | None = None) -> dict[str, Any]:
    parse_data: dict[str, Any] = {"intent": {"name": intent, "confidence": 0.95}, "entities": []}
    if score is not None:
        parse_data["sentiment"] = {"score": score}
    return {"event": "user", "text": text, "parse_data": parse_data, "input_channel": "rest"}


def bot(text: str) -> dict[str, Any]:
    return {"event": "bot", "text": text}


def action(name: str) -> dict[str, Any]:
    return {"event": "action", "name": name}


def slots(**values: Any) -> list[dict[str, Any]]:
    return [{"event": "slot", "name": name, "value": value} for name, value in values.items()]


def session_start() -> list[dict[str, Any]]:
    return [action("action_session_start"), {"event": "session_started"}, action("action_listen")]


REQUEST_FINISHED = dict(
    order_id=None,
    claim_id=None,
    invoice_id=None,
    customer_id=None,
    request_topic=None,
    knowledge_factor=None,
    claimed_customer_id=None,
    backend_error=None,
)


def stamped(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events with timestamps ten seconds apart from 25 Nov 2026 09:00 UTC, as Rasa
    logs them."""
    return [{**event, "timestamp": START + 10 * n} for n, event in enumerate(events)]


def done(
    action: str, goal: str, result: str, record: str | None = None, at: int = 0, **detail: Any
) -> dict[str, Any]:
    """An outcome as the action recorded it, `at` seconds after START."""
    return outcome(action, goal, result, record, detail, at=START + at)


def tracker(events: list[dict[str, Any]], **slot_values: Any) -> dict[str, Any]:
    events = stamped(events)
    return {
        "sender_id": "conv-42",
        "slots": slot_values,
        "latest_message": {},
        "events": events,
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
        "latest_input_channel": "rest",
    }


def decision(reason_code: str, rule: str, **values: Any) -> Decision:
    return Decision(
        True, False, reason_code, rule, values, emotion_score=-0.72, low_confidence=False
    )


ANGRY = decision(
    "negative_emotion",
    "emotion.turn_threshold",
    score=-0.72,
    threshold=-0.6,
    sentiment=-0.51,
    cues={"shouting": "THIRD USELESS"},
)
FRAUD = decision(
    "sensitive_topic:fraud", "topics.fraud", topic="fraud", phrase="didn't make this payment"
)
TROUBLE = decision(
    "system_trouble",
    "system_trouble.max_backend_failures",
    backend_failures=2,
    max_backend_failures=2,
)
GREETING = "Hi, I'm Brightwave's virtual assistant."
ASK_FACTOR = (
    "To make sure it's you, please tell me the postcode, the e-mail address or the "
    "date of birth on the account."
)
ANGRY_TEXT = (
    "This is the THIRD time it's delayed, absolutely USELESS. Call me on 07700 998515 "
    "or mail noah.obrien0@example.com"
)

# --- the three conversations ----------------------------------------------------------


def verified_order_then_angry() -> dict[str, Any]:
    """Noah asks about his delayed order, verifies by postcode, gets the answer, and is angry."""
    events = [
        # An earlier session: nothing of it goes into the packet.
        *session_start(),
        user("where is BW-100001", "check_order_status"),
        *session_start(),
        user("Hi there!", "greet", 0.3),
        action("utter_greet"),
        bot(GREETING),
        action("action_listen"),
        user("Where is my order BW-100002? It was due last week.", "check_order_status", -0.1),
        action("action_extract_slots"),
        *slots(request_topic="order", order_id="BW-100002"),
        action("verification_form"),
        bot(ASK_FACTOR),
        *slots(
            order_id="BW-100002", claimed_customer_id="C-1001", requested_slot="knowledge_factor"
        ),
        action("action_listen"),
        user("my postcode is 98096", "inform", 0.0),
        action("action_extract_slots"),
        *slots(knowledge_factor="my postcode is 98096"),
        action("verification_form"),
        *slots(
            knowledge_factor="confirmed",
            verified_customer_id="C-1001",
            verification_attempts=0,
            requested_slot=None,
        ),
        action("action_answer_request"),
        bot(
            "Your order BW-100002 (Orbit 12 protective case, 65W fast charger) is delayed because "
            "of carrier capacity shortage. The new expected delivery date is 25 November 2026."
        ),
        *slots(**REQUEST_FINISHED, verified_customer_id="C-1001"),
        action("action_listen"),
        user(ANGRY_TEXT, "out_of_scope", -0.72),
    ]
    return tracker(
        events,
        verified_customer_id="C-1001",
        verification_attempts=0,
        outcomes=[
            done(
                "verification_form", "verify_identity", "verified", "C-1001", 150, method="postcode"
            ),
            done("action_answer_request", "check_order_status", "answered", "BW-100002", 170),
        ],
    )


def unverified_fraud_report() -> dict[str, Any]:
    events = [
        *session_start(),
        user("hello", "greet"),
        action("utter_greet"),
        bot(GREETING),
        action("action_listen"),
        user(
            "There's a charge of €35.37 on invoice INV-900001 that I didn't make, my card is "
            "4111 1111 1111 1111 and my email noah.obrien0@example.com",
            "check_invoice",
            -0.4,
        ),
    ]
    return tracker(events)


def backend_failure_conversation() -> dict[str, Any]:
    events = [
        *session_start(),
        user("what's happening with my claim CLM-70001", "check_claim_status", -0.2),
        action("action_extract_slots"),
        *slots(request_topic="claim", claim_id="CLM-70001"),
        action("verification_form"),
        *slots(backend_error=True, backend_failures=1),
        action("action_answer_request"),
        bot("I'm sorry, I can't reach our systems right now, so I can't look that up."),
        *slots(**REQUEST_FINISHED, human_offered=True),
        action("action_listen"),
        user("ok then, what's your return policy?", "ask_return_policy", -0.3),
        action("action_answer_policy"),
        bot("I'm sorry, I can't reach our systems right now, so I can't look that up."),
        *slots(human_offered=True, backend_failures=2),
        action("action_listen"),
        user("yes please", "affirm", -0.3),
    ]
    return tracker(
        events,
        backend_failures=2,
        outcomes=[
            done(
                "action_answer_request",
                "check_claim_status",
                "unavailable",
                "CLM-70001",
                50,
                reason="backend",
            ),
            done(
                "action_answer_policy",
                "ask_return_policy",
                "unavailable",
                None,
                100,
                reason="backend",
            ),
        ],
    )


def noah_snapshot() -> dict[str, Any]:
    """What fetch_snapshot returns for Noah's touched order (the backend adds customer_id)."""
    return {
        "orders": [crm.first_with("orders", id="BW-100002")],
        "claims": [],
        "invoices": [],
        "note": None,
    }


@pytest.fixture
def angry_packet() -> dict[str, Any]:
    return build_packet(
        verified_order_then_angry(),
        ANGRY,
        noah_snapshot(),
        crm.customer("C-1001"),
        WEDNESDAY_MORNING,
    )


@pytest.fixture
def fraud_packet() -> dict[str, Any]:
    # A snapshot and customer record passed by mistake must still not leak.
    return build_packet(
        unverified_fraud_report(), FRAUD, noah_snapshot(), crm.customer("C-1001"), WEDNESDAY_MORNING
    )


@pytest.fixture
def trouble_packet() -> dict[str, Any]:
    return build_packet(
        backend_failure_conversation(),
        TROUBLE,
        {"orders": [], "claims": [], "invoices": [], "note": BACKEND_DOWN_NOTE},
        None,
        WEDNESDAY_MORNING,
    )


def all_texts(packet: dict[str, Any]) -> str:
    """Every text of the packet that comes from the conversation."""
    parts = [
        packet["summary"],
        str(packet["stated_issue"]["customer_words"]),
        *packet["open_items"],
        *packet["resolved"],
        *(entry["text"] for entry in packet["transcript"]),
    ]
    return "\n".join(parts)


# --- the verified order conversation ----------------------------------------------


def test_verified_conversation_packet_is_valid_and_names_the_customer(angry_packet):
    validate_packet(angry_packet)
    assert angry_packet["packet_version"] == "1"
    assert angry_packet["conversation_id"] == "conv-42"
    assert angry_packet["channel"] == "rest"
    assert angry_packet["language"] == "en"
    assert angry_packet["created_at"] == "2026-11-25T10:00:00+00:00"
    assert angry_packet["customer"] == {
        "verified": True,
        "customer_id": "C-1001",
        "name": "Noah O'Brien",
        "tier": "plus",
    }
    assert angry_packet["escalation"] == {
        "reason_code": "negative_emotion",
        "rule": "emotion.turn_threshold",
        "values": {
            "score": -0.72,
            "threshold": -0.6,
            "sentiment": -0.51,
            "cues": {"shouting": "THIRD USELESS"},
        },
    }


def test_the_packet_states_the_conversations_language():
    conversation = verified_order_then_angry()
    conversation["slots"] = {**conversation.get("slots", {}), "language": "de"}
    packet = build_packet(
        conversation, ANGRY, noah_snapshot(), crm.customer("C-1001"), WEDNESDAY_MORNING
    )
    validate_packet(packet)
    assert packet["language"] == "de"


def test_only_the_current_session_counts(angry_packet):
    session = verified_order_then_angry()["events"]
    started = [e for e in session if e["event"] == "session_started"][-1]["timestamp"]
    assert angry_packet["conversation_started_at"] == datetime.fromtimestamp(
        started, UTC
    ).isoformat(timespec="seconds")
    assert all("BW-100001" not in entry["text"] for entry in angry_packet["transcript"])
    assert [o["id"] for o in angry_packet["account_snapshot"]["orders"]] == ["BW-100002"]


def test_stated_issue_is_the_first_message_that_is_not_small_talk(angry_packet):
    assert angry_packet["stated_issue"] == {
        "customer_words": "Where is my order BW-100002? It was due last week.",
        "intent": "check_order_status",
    }


def test_actions_and_their_outcomes(angry_packet):
    assert [(a["action"], a["result"], a["detail"]) for a in angry_packet["actions_taken"]] == [
        ("verification_form", "ok", "Identity: verified by postcode"),
        ("action_answer_request", "ok", "Order BW-100002: status given"),
    ]
    assert angry_packet["resolved"] == ["Order BW-100002: status given"]
    assert angry_packet["open_items"] == ["Escalation: negative emotion (score -0.72)"]


def test_summary_says_what_was_asked_done_and_why_escalated(angry_packet):
    assert angry_packet["summary"] == (
        "Customer asked about order BW-100002 (delayed). Identity verified by postcode. "
        "Done: Order BW-100002: status given. Escalated: negative emotion (score -0.72)."
    )


def test_snapshot_keeps_the_schema_fields_only(angry_packet):
    order = angry_packet["account_snapshot"]["orders"][0]
    assert "customer_id" not in order
    assert order["status"] == "delayed"
    assert order["tracking_number"] == "TRK7828088552"
    assert order["items"][0] == {
        "sku": "AC-CASE-12",
        "name": "Orbit 12 protective case",
        "qty": 1,
        "price": 29.0,
    }
    assert angry_packet["account_snapshot"]["note"] is None


def test_sentiment_trajectory_and_trend(angry_packet):
    assert angry_packet["sentiment"] == {
        "current": -0.72,
        "trajectory": [0.3, -0.1, 0.0, -0.72],
        "trend": "worsening",
    }


def test_transcript_speakers_and_masking(angry_packet):
    transcript = angry_packet["transcript"]
    assert [entry["from"] for entry in transcript] == [
        "customer",
        "assistant",
        "customer",
        "assistant",
        "customer",
        "assistant",
        "customer",
    ]
    last = transcript[-1]["text"]
    assert "07700 998515" not in last and "***** ****15" in last
    assert "noah.obrien0@example.com" not in last and "n***@example.com" in last
    assert "25 November 2026" in transcript[-2]["text"]  # the assistant's answer, unmasked
    # A verification answer is withheld (issue 17: never kept in clear).
    assert transcript[4]["text"] == "my postcode is [withheld]"
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", e["at"]) for e in transcript)


def test_customer_record_of_someone_else_is_not_used():
    packet = build_packet(
        verified_order_then_angry(),
        ANGRY,
        noah_snapshot(),
        crm.customer("C-1002"),
        WEDNESDAY_MORNING,
    )
    validate_packet(packet)
    assert packet["customer"] == {
        "verified": True,
        "customer_id": "C-1001",
        "name": None,
        "tier": None,
    }


def test_a_rasa_sdk_tracker_works_as_well_as_its_dict(angry_packet):
    state = verified_order_then_angry()
    sdk_tracker = Tracker(
        state["sender_id"],
        state["slots"],
        state["latest_message"],
        state["events"],
        False,
        None,
        {},
        "action_listen",
    )
    packet = build_packet(
        sdk_tracker, ANGRY, noah_snapshot(), crm.customer("C-1001"), WEDNESDAY_MORNING
    )
    assert packet == angry_packet


# --- the unverified fraud report --------------------------------------------------


def test_unverified_packet_has_no_customer_data(fraud_packet):
    validate_packet(fraud_packet)
    assert fraud_packet["customer"] == {
        "verified": False,
        "customer_id": None,
        "name": None,
        "tier": None,
    }
    assert fraud_packet["account_snapshot"] == {
        "orders": [],
        "claims": [],
        "invoices": [],
        "note": NOT_VERIFIED_NOTE,
    }
    texts = all_texts(fraud_packet)
    assert "Noah" not in texts and "C-1001" not in texts and "delayed" not in texts


def test_fraud_report_is_masked_but_keeps_ids_and_amounts(fraud_packet):
    words = fraud_packet["stated_issue"]["customer_words"]
    assert words == (
        "There's a charge of €35.37 on invoice INV-900001 that I didn't make, my "
        "card is [card number removed] and my email [withheld]"
    )
    texts = all_texts(fraud_packet)
    assert "4111 1111 1111 1111" not in texts and "noah.obrien0" not in texts


def test_fraud_summary_and_open_items(fraud_packet):
    assert fraud_packet["summary"] == (
        "Customer asked about invoice INV-900001. Identity not verified. "
        'Escalated: sensitive topic: fraud ("didn\'t make this payment").'
    )
    assert fraud_packet["actions_taken"] == [] and fraud_packet["resolved"] == []
    assert fraud_packet["open_items"] == [
        'Escalation: sensitive topic: fraud ("didn\'t make this payment")',
        f'Issue not addressed yet: "{fraud_packet["stated_issue"]["customer_words"]}"',
    ]
    assert "customer_notice" not in fraud_packet  # added once the desk's receipt is worded


def test_sentiment_without_enough_scores_is_stable(fraud_packet):
    assert fraud_packet["sentiment"] == {"current": -0.4, "trajectory": [-0.4], "trend": "stable"}


def test_without_scores_the_trajectory_is_empty_and_current_zero():
    events = [*session_start(), user("where is my order", "check_order_status")]
    packet = build_packet(tracker(events), FRAUD, {}, None, WEDNESDAY_MORNING)
    validate_packet(packet)
    assert packet["sentiment"] == {"current": 0.0, "trajectory": [], "trend": "stable"}


# --- the backend-failure conversation ---------------------------------------------


def test_backend_failures_are_failed_actions_and_open_items(trouble_packet):
    validate_packet(trouble_packet)
    assert [(a["action"], a["result"], a["detail"]) for a in trouble_packet["actions_taken"]] == [
        (
            "action_answer_request",
            "failed",
            "Claim CLM-70001: not answered, our systems did not answer",
        ),
        (
            "action_answer_policy",
            "failed",
            "Return policy: not answered, our systems did not answer",
        ),
    ]
    assert trouble_packet["resolved"] == []
    assert trouble_packet["open_items"] == [
        "Escalation: system trouble (2 backend failures)",
        "Claim CLM-70001: not answered, our systems did not answer",
        "Return policy: not answered, our systems did not answer",
        'Issue not addressed yet: "what\'s happening with my claim CLM-70001"',
    ]
    assert len(trouble_packet["summary"]) <= 600
    assert trouble_packet["summary"].endswith("Escalated: system trouble (2 backend failures).")


def actions_of(outcomes: list[dict[str, Any]], **slot_values: Any) -> list[tuple]:
    """What the packet makes of an outcome record."""
    state = tracker([*session_start(), user("hello", "greet")], outcomes=outcomes, **slot_values)
    packet = build_packet(state, FRAUD, {}, None, WEDNESDAY_MORNING)
    validate_packet(packet)
    return [(a["action"], a["result"], a["detail"]) for a in packet["actions_taken"]]


def test_verification_failure_refuses_the_answer():
    assert actions_of(
        [
            done(
                "verification_form",
                "verify_identity",
                "failed",
                "C-1001",
                10,
                attempts=1,
                attempts_left=2,
            ),
            done(
                "verification_form",
                "verify_identity",
                "failed",
                "C-1001",
                20,
                attempts=3,
                attempts_left=0,
            ),
            done(
                "action_answer_request",
                "check_invoice",
                "refused",
                "INV-900001",
                30,
                reason="not_verified",
            ),
        ]
    ) == [
        (
            "verification_form",
            "failed",
            "Identity: not confirmed after 3 attempts, account details withheld",
        ),
        (
            "action_answer_request",
            "refused",
            "Invoice INV-900001: not answered, identity not confirmed",
        ),
    ]


def test_a_wrong_answer_stays_in_the_record_until_a_later_word_on_identity():
    assert actions_of(
        [
            done(
                "verification_form",
                "verify_identity",
                "failed",
                "C-1001",
                10,
                attempts=1,
                attempts_left=2,
            )
        ]
    ) == [("verification_form", "failed", "Identity: answer 1 did not match")]


def test_a_locked_record_is_refused():
    assert actions_of(
        [
            done("verification_form", "verify_identity", "refused", "C-1001", 10, reason="locked"),
            done(
                "action_answer_request",
                "check_order_status",
                "refused",
                "BW-100002",
                20,
                reason="locked",
            ),
        ]
    ) == [
        (
            "verification_form",
            "refused",
            "Identity: not confirmed, the record is locked after "
            "too many failed attempts; account details withheld",
        ),
        ("action_answer_request", "refused", "Order BW-100002: not answered, the record is locked"),
    ]


def test_a_record_not_on_the_account_is_refused_and_a_policy_answer_resolves():
    assert actions_of(
        [
            done("action_answer_request", "check_order_status", "not_found", "BW-100005", 10),
            done("action_answer_policy", "ask_return_policy", "answered", None, 20),
            done("action_answer_request", "check_claim_status", "answered", None, 30, scope="open"),
        ]
    ) == [
        (
            "action_answer_request",
            "refused",
            "Order BW-100005: not answered, not on the customer's account",
        ),
        ("action_answer_policy", "ok", "Return policy: answered"),
        ("action_answer_request", "ok", "Open claims: status given"),
    ]


def test_clarifying_declining_and_earlier_hand_overs_are_told():
    assert actions_of(
        [
            done(
                "action_clarify",
                "unknown",
                "clarified",
                None,
                10,
                options=["check_order_status", "check_claim_status"],
            ),
            done("action_clarify", "unknown", "clarified", None, 15, options=[]),
            done("action_answer_policy", "unknown", "failed", None, 20, reason="unclear"),
            done("action_answer_request", "unknown", "failed", None, 25, reason="unclear"),
            done("action_decline_human", "hand_over", "declined", None, 30),
            done("action_escalate", "hand_over", "handed_over", "H-1", 40),
            done("action_escalate", "hand_over", "unavailable", None, 50, reason="desk"),
        ]
    ) == [
        ("action_clarify", "ok", "Asked which of 2 goals was meant"),
        ("action_clarify", "ok", "Asked the customer to rephrase"),
        ("action_answer_policy", "failed", "Policy question: not recognised"),
        ("action_answer_request", "failed", "Request: not answered, the record meant was unclear"),
        ("action_decline_human", "ok", "Person: offer declined, carried on"),
        ("action_escalate", "ok", "Hand-over: queued for a person"),
        ("action_escalate", "failed", "Hand-over: the desk could not be reached"),
    ]


def test_a_signed_in_channel_verification_is_named_so():
    state = tracker(
        [*session_start(), user("my orders please", "check_order_status")],
        verified_customer_id="C-1001",
        outcomes=[
            done(
                "verification_form",
                "verify_identity",
                "verified",
                "C-1001",
                10,
                method="signed-in channel",
            )
        ],
    )
    packet = build_packet(state, ANGRY, noah_snapshot(), None, WEDNESDAY_MORNING)
    assert "Identity verified by signed-in channel." in packet["summary"]
    assert packet["actions_taken"][0]["detail"] == "Identity: verified by signed-in channel"


def test_the_packet_reads_the_record_not_the_slots():
    """Slot changes alone (what the packet once diffed) say nothing happened."""
    events = [
        *session_start(),
        user("where is BW-100002", "check_order_status"),
        action("verification_form"),
        *slots(verified_customer_id="C-1001"),
        action("action_answer_request"),
        *slots(**REQUEST_FINISHED),
    ]
    packet = build_packet(tracker(events), ANGRY, {}, None, WEDNESDAY_MORNING)
    assert packet["actions_taken"] == [] and packet["resolved"] == []


def test_records_are_collected_from_texts_and_outcomes_once_each():
    events = [
        *session_start(),
        user("orders BW-100002 and bw100003, claim clm 70001, invoice INV-900001", "inform"),
        user("also BW-100002 again and C-1001", "inform"),
    ]
    acted_on = [
        done("action_answer_request", "check_order_status", "answered", "BW-100004"),
        done("verification_form", "verify_identity", "verified", "C-1001"),
    ]
    assert session_records(tracker(events, outcomes=acted_on)) == {
        "orders": ["BW-100002", "BW-100003", "BW-100004"],
        "claims": ["CLM-70001"],
        "invoices": ["INV-900001"],
    }


@pytest.mark.parametrize(
    "scores,trend",
    [
        ([], "stable"),
        ([-0.5], "stable"),
        ([0.2, 0.1, -0.6], "worsening"),
        ([-0.6, -0.5, 0.2], "improving"),
        ([-0.2, -0.3, -0.2], "stable"),
    ],
)
def test_sentiment_trend(scores, trend):
    assert sentiment_trend(scores) == trend


# --- the schema --------------------------------------------------------------------


@pytest.mark.parametrize(
    "change,where",
    [
        (lambda p: p["customer"].update(name="Noah O'Brien"), "$.customer.name"),
        (
            lambda p: p["account_snapshot"]["orders"].append(
                {"id": "BW-100002", "status": "delayed"}
            ),
            "$.account_snapshot.orders",
        ),
        (lambda p: p.update(summary="x" * 601), "$.summary"),
        (lambda p: p.update(surprise=True), "$"),
        (
            lambda p: p["transcript"].append({"from": "customer", "text": "hi", "at": "yesterday"}),
            "$.transcript[0].at",
        ),
        (
            lambda p: p["actions_taken"].append(
                {"action": "a", "result": "maybe", "detail": "", "at": "2026-11-25T10:00:00Z"}
            ),
            "$.actions_taken[0].result",
        ),
        (lambda p: p["sentiment"].update(current=-1.5), "$.sentiment.current"),
    ],
)
def test_validate_packet_names_what_is_wrong(fraud_packet, change, where):
    broken = copy.deepcopy(fraud_packet)
    broken["transcript"], broken["actions_taken"] = [], []
    change(broken)
    with pytest.raises(PacketInvalid, match=re.escape(where)):
        validate_packet(broken)


def test_a_verified_packet_without_customer_id_is_invalid(angry_packet):
    angry_packet["customer"]["customer_id"] = None
    with pytest.raises(PacketInvalid, match=r"\$\.customer\.customer_id"):
        validate_packet(angry_packet)


# --- fetch_snapshot against a real HTTP server ---------------------------------------


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    scripted = ScriptedServer()
    yield scripted
    scripted.stop()


def serve_records(server: ScriptedServer, *records: dict[str, Any]) -> None:
    for collection, record in records:
        server.route("GET", f"/{collection}/{record['id']}", Reply(200, record))


NOAHS_IDS = {
    "orders": ["BW-100002", "BW-100005"],
    "claims": ["CLM-70001"],
    "invoices": ["INV-999999"],
}


def test_fetch_snapshot_reads_the_customers_touched_records(server, backend_at):
    serve_records(
        server,
        ("orders", crm.first_with("orders", id="BW-100002")),
        ("orders", crm.first_with("orders", id="BW-100005")),  # C-1003's order
        ("claims", crm.first_with("claims", id="CLM-70001")),
    )
    server.route("GET", "/invoices/INV-999999", Reply(404, {"detail": "invoice not found"}))
    backend_at(server.url)
    snapshot = asyncio.run(fetch_snapshot(NOAHS_IDS, "C-1001"))
    assert [r["id"] for r in snapshot["orders"]] == ["BW-100002"]
    assert [r["id"] for r in snapshot["claims"]] == ["CLM-70001"]
    assert snapshot["invoices"] == []
    assert snapshot["note"] == (
        "Left out, not found or not on this customer's account: BW-100005, INV-999999."
    )
    assert server.count("GET", "/orders/BW-100002") == 1


def test_fetched_snapshot_goes_into_a_valid_packet(server, backend_at):
    serve_records(server, ("orders", crm.first_with("orders", id="BW-100002")))
    backend_at(server.url)
    state = verified_order_then_angry()
    snapshot = asyncio.run(fetch_snapshot(session_records(state), "C-1001"))
    packet = build_packet(state, ANGRY, snapshot, crm.customer("C-1001"), WEDNESDAY_MORNING)
    validate_packet(packet)
    assert packet["account_snapshot"]["orders"][0]["delay_reason"] == "carrier capacity shortage"


def test_fetch_snapshot_for_an_unverified_customer_asks_nothing(server, backend_at):
    backend_at(server.url)
    snapshot = asyncio.run(fetch_snapshot(NOAHS_IDS, None))
    assert snapshot == {"orders": [], "claims": [], "invoices": [], "note": NOT_VERIFIED_NOTE}
    assert server.requests == []


def test_fetch_snapshot_on_a_failing_backend_gives_empty_lists_and_a_note(server, backend_at):
    serve_records(server, ("orders", crm.first_with("orders", id="BW-100002")))
    server.route("GET", "/claims/CLM-70001", Reply(503, {"detail": "database unavailable"}))
    backend_at(server.url)
    snapshot = asyncio.run(fetch_snapshot(NOAHS_IDS, "C-1001"))
    assert snapshot == {"orders": [], "claims": [], "invoices": [], "note": BACKEND_DOWN_NOTE}


def test_fetch_snapshot_on_an_unreachable_backend_gives_empty_lists_and_a_note(backend_at):
    backend_at(f"http://127.0.0.1:{closed_port()}")
    snapshot = asyncio.run(fetch_snapshot(NOAHS_IDS, "C-1001"))
    assert snapshot == {"orders": [], "claims": [], "invoices": [], "note": BACKEND_DOWN_NOTE}
