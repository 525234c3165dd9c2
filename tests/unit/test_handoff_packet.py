"""The hand-over packet, built from realistic tracker events and checked against its schema."""

import asyncio
import copy
import re
from datetime import datetime, timezone
from typing import Any, Dict, Iterator, List, Optional

import pytest
from rasa_sdk import Tracker

from actions import backend_client as backend
from actions import spoken
from actions.handoff_packet import customer_notice, parse_support_hours, reason_response
from actions.outcomes import outcome
from actions.packet.account import BACKEND_DOWN_NOTE, NOT_VERIFIED_NOTE, fetch_snapshot
from actions.packet.build import build_packet, session_records
from actions.packet.schema import PacketInvalid, validate_packet
from actions.packet.story import sentiment_trend
from actions.responses import render
from actions.settings import settings
from escalation.decision import Decision
from tests.support import crm
from tests.unit.test_backend_client import Reply, ScriptedServer, closed_port

UTC = timezone.utc
WEDNESDAY_MORNING = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # 11:00 CET
POLICIES = {"support_hours_human": "Mon-Fri 08:00-20:00 CET"}
START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC).timestamp()

# --- events, as Rasa sends them to the action server ------------------------------

def user(text: str, intent: str, score: Optional[float] = None) -> Dict[str, Any]:
    parse_data: Dict[str, Any] = {"intent": {"name": intent, "confidence": 0.95}, "entities": []}
    if score is not None:
        parse_data["sentiment"] = {"score": score}
    return {"event": "user", "text": text, "parse_data": parse_data,
            "input_channel": "rest"}


def bot(text: str) -> Dict[str, Any]:
    return {"event": "bot", "text": text}


def action(name: str) -> Dict[str, Any]:
    return {"event": "action", "name": name}


def slots(**values: Any) -> List[Dict[str, Any]]:
    return [{"event": "slot", "name": name, "value": value}
            for name, value in values.items()]


def session_start() -> List[Dict[str, Any]]:
    return [action("action_session_start"), {"event": "session_started"},
            action("action_listen")]


REQUEST_FINISHED = dict(order_id=None, claim_id=None, invoice_id=None, customer_id=None,
                        request_topic=None, knowledge_factor=None, claimed_customer_id=None,
                        backend_error=None)


def stamped(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The events with timestamps ten seconds apart from 25 Nov 2026 09:00 UTC, as Rasa
    logs them."""
    return [{**event, "timestamp": START + 10 * n} for n, event in enumerate(events)]


def done(action: str, goal: str, result: str, record: Optional[str] = None, at: int = 0,
         **detail: Any) -> Dict[str, Any]:
    """An outcome as the action recorded it, `at` seconds after START."""
    return outcome(action, goal, result, record, detail, at=START + at)


def tracker(events: List[Dict[str, Any]], **slot_values: Any) -> Dict[str, Any]:
    events = stamped(events)
    return {"sender_id": "conv-42", "slots": slot_values, "latest_message": {},
            "events": events, "paused": False, "followup_action": None, "active_loop": {},
            "latest_action_name": "action_listen", "latest_input_channel": "rest"}


def decision(reason_code: str, rule: str, **values: Any) -> Decision:
    return Decision(True, False, reason_code, rule, values, emotion_score=-0.72,
                    low_confidence=False)


ANGRY = decision("negative_emotion", "emotion.turn_threshold", score=-0.72, threshold=-0.6,
                 sentiment=-0.51, cues={"shouting": "THIRD USELESS"})
FRAUD = decision("sensitive_topic:fraud", "topics.fraud", topic="fraud",
                 phrase="didn't make this payment")
TROUBLE = decision("system_trouble", "system_trouble.max_backend_failures",
                   backend_failures=2, max_backend_failures=2)
GREETING = "Hi, I'm Brightwave's virtual assistant."
ASK_FACTOR = ("To make sure it's you, please tell me the postcode, the e-mail address or the "
              "date of birth on the account.")
ANGRY_TEXT = ("This is the THIRD time it's delayed, absolutely USELESS. Call me on 07700 998515 "
              "or mail noah.obrien0@example.com")

# --- the three conversations ----------------------------------------------------------


def verified_order_then_angry() -> Dict[str, Any]:
    """Noah asks about his delayed order, verifies by postcode, gets the answer, and is angry."""
    events = [
        # An earlier session: nothing of it goes into the packet.
        *session_start(), user("where is BW-100001", "check_order_status"),
        *session_start(),
        user("Hi there!", "greet", 0.3), action("utter_greet"), bot(GREETING),
        action("action_listen"),
        user("Where is my order BW-100002? It was due last week.", "check_order_status", -0.1),
        action("action_extract_slots"), *slots(request_topic="order", order_id="BW-100002"),
        action("verification_form"), bot(ASK_FACTOR),
        *slots(order_id="BW-100002", claimed_customer_id="C-1001",
               requested_slot="knowledge_factor"),
        action("action_listen"),
        user("my postcode is 98096", "inform", 0.0),
        action("action_extract_slots"), *slots(knowledge_factor="my postcode is 98096"),
        action("verification_form"),
        *slots(knowledge_factor="confirmed", verified_customer_id="C-1001",
               verification_attempts=0, requested_slot=None),
        action("action_answer_request"),
        bot("Your order BW-100002 (Orbit 12 protective case, 65W fast charger) is delayed because "
            "of carrier capacity shortage. The new expected delivery date is 25 November 2026."),
        *slots(**REQUEST_FINISHED, verified_customer_id="C-1001"),
        action("action_listen"),
        user(ANGRY_TEXT, "out_of_scope", -0.72),
    ]
    return tracker(events, verified_customer_id="C-1001", verification_attempts=0, outcomes=[
        done("verification_form", "verify_identity", "verified", "C-1001", 150,
             method="postcode"),
        done("action_answer_request", "check_order_status", "answered", "BW-100002", 170),
    ])


def unverified_fraud_report() -> Dict[str, Any]:
    events = [
        *session_start(),
        user("hello", "greet"), action("utter_greet"), bot(GREETING),
        action("action_listen"),
        user("There's a charge of €35.37 on invoice INV-900001 that I didn't make, my card is "
             "4111 1111 1111 1111 and my email noah.obrien0@example.com", "check_invoice", -0.4),
    ]
    return tracker(events)


def backend_failure_conversation() -> Dict[str, Any]:
    events = [
        *session_start(),
        user("what's happening with my claim CLM-70001", "check_claim_status", -0.2),
        action("action_extract_slots"), *slots(request_topic="claim", claim_id="CLM-70001"),
        action("verification_form"), *slots(backend_error=True, backend_failures=1),
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
    return tracker(events, backend_failures=2, outcomes=[
        done("action_answer_request", "check_claim_status", "unavailable", "CLM-70001", 50,
             reason="backend"),
        done("action_answer_policy", "ask_return_policy", "unavailable", None, 100,
             reason="backend"),
    ])


def noah_snapshot() -> Dict[str, Any]:
    """What fetch_snapshot returns for Noah's touched order (the backend adds customer_id)."""
    return {"orders": [crm.first_with("orders", id="BW-100002")], "claims": [], "invoices": [],
            "note": None}


@pytest.fixture
def angry_packet() -> Dict[str, Any]:
    return build_packet(verified_order_then_angry(), ANGRY, noah_snapshot(),
                        crm.customer("C-1001"), POLICIES, WEDNESDAY_MORNING)


@pytest.fixture
def fraud_packet() -> Dict[str, Any]:
    # A snapshot and customer record passed by mistake must still not leak.
    return build_packet(unverified_fraud_report(), FRAUD, noah_snapshot(),
                        crm.customer("C-1001"), POLICIES, WEDNESDAY_MORNING)


@pytest.fixture
def trouble_packet() -> Dict[str, Any]:
    return build_packet(backend_failure_conversation(), TROUBLE,
                        {"orders": [], "claims": [], "invoices": [], "note": BACKEND_DOWN_NOTE},
                        None, POLICIES, WEDNESDAY_MORNING, queue_position=4)


def all_texts(packet: Dict[str, Any]) -> str:
    """Every text of the packet that comes from the conversation."""
    parts = [packet["summary"], str(packet["stated_issue"]["customer_words"]),
             *packet["open_items"], *packet["resolved"],
             *(entry["text"] for entry in packet["transcript"])]
    return "\n".join(parts)


# --- the verified order conversation ----------------------------------------------


def test_verified_conversation_packet_is_valid_and_names_the_customer(angry_packet):
    validate_packet(angry_packet)
    assert angry_packet["packet_version"] == "1"
    assert angry_packet["conversation_id"] == "conv-42"
    assert angry_packet["channel"] == "rest"
    assert angry_packet["language"] == "en"
    assert angry_packet["created_at"] == "2026-11-25T10:00:00+00:00"
    assert angry_packet["customer"] == {"verified": True, "customer_id": "C-1001",
                                        "name": "Noah O'Brien", "tier": "plus"}
    assert angry_packet["escalation"] == {
        "reason_code": "negative_emotion", "rule": "emotion.turn_threshold",
        "values": {"score": -0.72, "threshold": -0.6, "sentiment": -0.51,
                   "cues": {"shouting": "THIRD USELESS"}}}


def test_only_the_current_session_counts(angry_packet):
    session = verified_order_then_angry()["events"]
    started = [e for e in session if e["event"] == "session_started"][-1]["timestamp"]
    assert angry_packet["conversation_started_at"] == \
        datetime.fromtimestamp(started, UTC).isoformat(timespec="seconds")
    assert all("BW-100001" not in entry["text"] for entry in angry_packet["transcript"])
    assert [o["id"] for o in angry_packet["account_snapshot"]["orders"]] == ["BW-100002"]


def test_stated_issue_is_the_first_message_that_is_not_small_talk(angry_packet):
    assert angry_packet["stated_issue"] == {
        "customer_words": "Where is my order BW-100002? It was due last week.",
        "intent": "check_order_status"}


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
        "Done: Order BW-100002: status given. Escalated: negative emotion (score -0.72).")


def test_snapshot_keeps_the_schema_fields_only(angry_packet):
    order = angry_packet["account_snapshot"]["orders"][0]
    assert "customer_id" not in order
    assert order["status"] == "delayed"
    assert order["tracking_number"] == "TRK7828088552"
    assert order["items"][0] == {"sku": "AC-CASE-12", "name": "Orbit 12 protective case",
                                 "qty": 1, "price": 29.0}
    assert angry_packet["account_snapshot"]["note"] is None


def test_sentiment_trajectory_and_trend(angry_packet):
    assert angry_packet["sentiment"] == {"current": -0.72, "trajectory": [0.3, -0.1, 0.0, -0.72],
                                         "trend": "worsening"}


def test_transcript_speakers_and_masking(angry_packet):
    transcript = angry_packet["transcript"]
    assert [entry["from"] for entry in transcript] == [
        "customer", "assistant", "customer", "assistant", "customer", "assistant", "customer"]
    last = transcript[-1]["text"]
    assert "07700 998515" not in last and "***** ****15" in last
    assert "noah.obrien0@example.com" not in last and "n***@example.com" in last
    assert "25 November 2026" in transcript[-2]["text"]  # the assistant's answer, unmasked
    assert "98096" in transcript[4]["text"]  # a postcode is not personal enough to mask
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", e["at"]) for e in transcript)


def test_customer_record_of_someone_else_is_not_used():
    packet = build_packet(verified_order_then_angry(), ANGRY, noah_snapshot(),
                          crm.customer("C-1002"), POLICIES, WEDNESDAY_MORNING)
    validate_packet(packet)
    assert packet["customer"] == {"verified": True, "customer_id": "C-1001", "name": None,
                                  "tier": None}


def test_a_rasa_sdk_tracker_works_as_well_as_its_dict(angry_packet):
    state = verified_order_then_angry()
    sdk_tracker = Tracker(state["sender_id"], state["slots"], state["latest_message"],
                          state["events"], False, None, {}, "action_listen")
    packet = build_packet(sdk_tracker, ANGRY, noah_snapshot(), crm.customer("C-1001"),
                          POLICIES, WEDNESDAY_MORNING)
    assert packet == angry_packet


# --- the unverified fraud report --------------------------------------------------


def test_unverified_packet_has_no_customer_data(fraud_packet):
    validate_packet(fraud_packet)
    assert fraud_packet["customer"] == {"verified": False, "customer_id": None, "name": None,
                                        "tier": None}
    assert fraud_packet["account_snapshot"] == {"orders": [], "claims": [], "invoices": [],
                                                "note": NOT_VERIFIED_NOTE}
    texts = all_texts(fraud_packet)
    assert "Noah" not in texts and "C-1001" not in texts and "delayed" not in texts


def test_fraud_report_is_masked_but_keeps_ids_and_amounts(fraud_packet):
    words = fraud_packet["stated_issue"]["customer_words"]
    assert words == ("There's a charge of €35.37 on invoice INV-900001 that I didn't make, my "
                     "card is **** **** **** 1111 and my email n***@example.com")
    texts = all_texts(fraud_packet)
    assert "4111 1111 1111 1111" not in texts and "noah.obrien0" not in texts


def test_fraud_summary_open_items_and_notice(fraud_packet):
    assert fraud_packet["summary"] == (
        "Customer asked about invoice INV-900001. Identity not verified. "
        "Escalated: sensitive topic: fraud (\"didn't make this payment\").")
    assert fraud_packet["actions_taken"] == [] and fraud_packet["resolved"] == []
    assert fraud_packet["open_items"] == [
        "Escalation: sensitive topic: fraud (\"didn't make this payment\")",
        f"Issue not addressed yet: \"{fraud_packet['stated_issue']['customer_words']}\""]
    notice = fraud_packet["customer_notice"]
    assert notice["text"].startswith("Thank you for telling us.")
    assert "specialist" in notice["text"]
    assert notice["expected_wait_minutes"] == 3


def test_sentiment_without_enough_scores_is_stable(fraud_packet):
    assert fraud_packet["sentiment"] == {"current": -0.4, "trajectory": [-0.4], "trend": "stable"}


def test_without_scores_the_trajectory_is_empty_and_current_zero():
    events = [*session_start(), user("where is my order", "check_order_status")]
    packet = build_packet(tracker(events), FRAUD, {}, None, POLICIES, WEDNESDAY_MORNING)
    validate_packet(packet)
    assert packet["sentiment"] == {"current": 0.0, "trajectory": [], "trend": "stable"}


# --- the backend-failure conversation ---------------------------------------------


def test_backend_failures_are_failed_actions_and_open_items(trouble_packet):
    validate_packet(trouble_packet)
    assert [(a["action"], a["result"], a["detail"]) for a in trouble_packet["actions_taken"]] == [
        ("action_answer_request", "failed",
         "Claim CLM-70001: not answered, our systems did not answer"),
        ("action_answer_policy", "failed",
         "Return policy: not answered, our systems did not answer"),
    ]
    assert trouble_packet["resolved"] == []
    assert trouble_packet["open_items"] == [
        "Escalation: system trouble (2 backend failures)",
        "Claim CLM-70001: not answered, our systems did not answer",
        "Return policy: not answered, our systems did not answer",
        "Issue not addressed yet: \"what's happening with my claim CLM-70001\"",
    ]
    assert trouble_packet["customer_notice"]["expected_wait_minutes"] == 12  # 4th in the queue
    assert len(trouble_packet["summary"]) <= 600
    assert trouble_packet["summary"].endswith("Escalated: system trouble (2 backend failures).")


def actions_of(outcomes: List[Dict[str, Any]], **slot_values: Any) -> List[tuple]:
    """What the packet makes of an outcome record."""
    state = tracker([*session_start(), user("hello", "greet")], outcomes=outcomes,
                    **slot_values)
    packet = build_packet(state, FRAUD, {}, None, POLICIES, WEDNESDAY_MORNING)
    validate_packet(packet)
    return [(a["action"], a["result"], a["detail"]) for a in packet["actions_taken"]]


def test_verification_failure_refuses_the_answer():
    assert actions_of([
        done("verification_form", "verify_identity", "failed", "C-1001", 10,
             attempts=1, attempts_left=2),
        done("verification_form", "verify_identity", "failed", "C-1001", 20,
             attempts=3, attempts_left=0),
        done("action_answer_request", "check_invoice", "refused", "INV-900001", 30,
             reason="not_verified"),
    ]) == [
        ("verification_form", "failed",
         "Identity: not confirmed after 3 attempts, account details withheld"),
        ("action_answer_request", "refused",
         "Invoice INV-900001: not answered, identity not confirmed"),
    ]


def test_a_wrong_answer_stays_in_the_record_until_a_later_word_on_identity():
    assert actions_of([done("verification_form", "verify_identity", "failed", "C-1001", 10,
                            attempts=1, attempts_left=2)]) == [
        ("verification_form", "failed", "Identity: answer 1 did not match")]


def test_a_locked_record_is_refused():
    assert actions_of([
        done("verification_form", "verify_identity", "refused", "C-1001", 10, reason="locked"),
        done("action_answer_request", "check_order_status", "refused", "BW-100002", 20,
             reason="locked"),
    ]) == [
        ("verification_form", "refused", "Identity: not confirmed, the record is locked after "
                                         "too many failed attempts; account details withheld"),
        ("action_answer_request", "refused", "Order BW-100002: not answered, the record is locked"),
    ]


def test_a_record_not_on_the_account_is_refused_and_a_policy_answer_resolves():
    assert actions_of([
        done("action_answer_request", "check_order_status", "not_found", "BW-100005", 10),
        done("action_answer_policy", "ask_return_policy", "answered", None, 20),
        done("action_answer_request", "check_claim_status", "answered", None, 30, scope="open"),
    ]) == [
        ("action_answer_request", "refused",
         "Order BW-100005: not answered, not on the customer's account"),
        ("action_answer_policy", "ok", "Return policy: answered"),
        ("action_answer_request", "ok", "Open claims: status given"),
    ]


def test_clarifying_declining_and_earlier_hand_overs_are_told():
    assert actions_of([
        done("action_clarify", "unknown", "clarified", None, 10,
             options=["check_order_status", "check_claim_status"]),
        done("action_clarify", "unknown", "clarified", None, 15, options=[]),
        done("action_answer_policy", "unknown", "failed", None, 20, reason="unclear"),
        done("action_answer_request", "unknown", "failed", None, 25, reason="unclear"),
        done("action_decline_human", "hand_over", "declined", None, 30),
        done("action_escalate", "hand_over", "handed_over", "H-1", 40),
        done("action_escalate", "hand_over", "unavailable", None, 50, reason="desk"),
    ]) == [
        ("action_clarify", "ok", "Asked which of 2 goals was meant"),
        ("action_clarify", "ok", "Asked the customer to rephrase"),
        ("action_answer_policy", "failed", "Policy question: not recognised"),
        ("action_answer_request", "failed", "Request: not answered, the record meant was unclear"),
        ("action_decline_human", "ok", "Person: offer declined, carried on"),
        ("action_escalate", "ok", "Hand-over: queued for a person"),
        ("action_escalate", "failed", "Hand-over: the desk could not be reached"),
    ]


def test_a_signed_in_channel_verification_is_named_so():
    state = tracker([*session_start(), user("my orders please", "check_order_status")],
                    verified_customer_id="C-1001", outcomes=[
                        done("verification_form", "verify_identity", "verified", "C-1001", 10,
                             method="signed-in channel")])
    packet = build_packet(state, ANGRY, noah_snapshot(), None, POLICIES, WEDNESDAY_MORNING)
    assert "Identity verified by signed-in channel." in packet["summary"]
    assert packet["actions_taken"][0]["detail"] == "Identity: verified by signed-in channel"


def test_the_packet_reads_the_record_not_the_slots():
    """Slot changes alone (what the packet once diffed) say nothing happened."""
    events = [*session_start(), user("where is BW-100002", "check_order_status"),
              action("verification_form"), *slots(verified_customer_id="C-1001"),
              action("action_answer_request"), *slots(**REQUEST_FINISHED)]
    packet = build_packet(tracker(events), ANGRY, {}, None, POLICIES, WEDNESDAY_MORNING)
    assert packet["actions_taken"] == [] and packet["resolved"] == []


def test_records_are_collected_from_texts_and_outcomes_once_each():
    events = [*session_start(),
              user("orders BW-100002 and bw100003, claim clm 70001, invoice INV-900001", "inform"),
              user("also BW-100002 again and C-1001", "inform")]
    acted_on = [done("action_answer_request", "check_order_status", "answered", "BW-100004"),
                done("verification_form", "verify_identity", "verified", "C-1001")]
    assert session_records(tracker(events, outcomes=acted_on)) == {
        "orders": ["BW-100002", "BW-100003", "BW-100004"], "claims": ["CLM-70001"],
        "invoices": ["INV-900001"]}


@pytest.mark.parametrize("scores,trend", [
    ([], "stable"), ([-0.5], "stable"), ([0.2, 0.1, -0.6], "worsening"),
    ([-0.6, -0.5, 0.2], "improving"), ([-0.2, -0.3, -0.2], "stable"),
])
def test_sentiment_trend(scores, trend):
    assert sentiment_trend(scores) == trend


# --- the schema --------------------------------------------------------------------


@pytest.mark.parametrize("change,where", [
    (lambda p: p["customer"].update(name="Noah O'Brien"), "$.customer.name"),
    (lambda p: p["account_snapshot"]["orders"].append({"id": "BW-100002", "status": "delayed"}),
     "$.account_snapshot.orders"),
    (lambda p: p.update(summary="x" * 601), "$.summary"),
    (lambda p: p.update(surprise=True), "$"),
    (lambda p: p["transcript"].append({"from": "customer", "text": "hi", "at": "yesterday"}),
     "$.transcript[0].at"),
    (lambda p: p["actions_taken"].append({"action": "a", "result": "maybe", "detail": "",
                                          "at": "2026-11-25T10:00:00Z"}),
     "$.actions_taken[0].result"),
    (lambda p: p["sentiment"].update(current=-1.5), "$.sentiment.current"),
])
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


# --- what the customer is told -----------------------------------------------------


@pytest.mark.parametrize("now,position,wait", [
    (WEDNESDAY_MORNING, None, 3),
    (WEDNESDAY_MORNING, 2, 6),
    (datetime(2026, 11, 27, 7, 0, tzinfo=UTC), 1, 3),  # Friday 08:00 CET, just open
    (datetime(2026, 7, 1, 6, 30, tzinfo=UTC), 1, 3),  # 08:30 CEST in summer
])
def test_within_support_hours_the_customer_gets_an_expected_wait(now, position, wait):
    notice = customer_notice("human_requested", POLICIES, now, position)
    place = f"You're number {position} in the queue; the" if position else "The"
    next_step = ({"response": "utter_handoff_queued",
                  "variables": {"position": position, "wait_minutes": wait}} if position else
                 {"response": "utter_handoff_wait", "variables": {"wait_minutes": wait}})
    spoken_wait = {"wait_minutes_spoken": spoken.number(wait)}
    next_step["variables"].update(spoken_wait if not position else
                                  {**spoken_wait, "position_spoken": spoken.number(position)})
    assert notice == {
        "text": ("Of course. I'm passing you to a member of our team. They'll see our "
                 f"conversation so far, so you won't need to repeat anything.\n{place} expected "
                 f"wait is about {wait} minutes."),
        "messages": [{"response": "utter_handoff_human_requested", "variables": {}}, next_step],
        "expected_wait_minutes": wait, "human_available_at": None}


def test_on_voice_the_notice_is_worded_for_speech():
    evening = datetime(2026, 11, 27, 19, 30, tzinfo=UTC)  # Friday 20:30 CET
    notice = customer_notice("human_requested", POLICIES, evening, None, channel="twilio_voice")
    assert notice["text"].endswith(
        "Our team is available Monday to Friday, eight a m to eight p m, Central European "
        "Time. A person will get back to you on Monday the thirtieth of November at eight a m.")
    queued = customer_notice("human_requested", POLICIES, WEDNESDAY_MORNING, 2,
                             channel="twilio_voice")
    assert queued["text"].endswith("You're number two in the queue. The wait is about six minutes.")


@pytest.mark.parametrize("now,available,spoken", [
    # Tuesday 23:30 CET, late evening
    (datetime(2026, 11, 24, 22, 30, tzinfo=UTC), "2026-11-25T08:00:00+01:00",
     "Wednesday 25 November at 08:00 CET"),
    # Wednesday 06:00 CET, before opening
    (datetime(2026, 11, 25, 5, 0, tzinfo=UTC), "2026-11-25T08:00:00+01:00",
     "Wednesday 25 November at 08:00 CET"),
    # Friday 20:30 CET, after closing
    (datetime(2026, 11, 27, 19, 30, tzinfo=UTC), "2026-11-30T08:00:00+01:00",
     "Monday 30 November at 08:00 CET"),
    # Saturday noon
    (datetime(2026, 11, 28, 12, 0, tzinfo=UTC), "2026-11-30T08:00:00+01:00",
     "Monday 30 November at 08:00 CET"),
    # Wednesday 19:58 CET: the 3-minute wait runs past closing
    (datetime(2026, 11, 25, 18, 58, tzinfo=UTC), "2026-11-26T08:00:00+01:00",
     "Thursday 26 November at 08:00 CET"),
    # Friday 20:30 CEST in summer
    (datetime(2026, 7, 3, 18, 30, tzinfo=UTC), "2026-07-06T08:00:00+02:00",
     "Monday 6 July at 08:00 CEST"),
])
def test_outside_support_hours_the_customer_learns_when_a_person_replies(now, available, spoken):
    notice = customer_notice("negative_emotion", POLICIES, now, None)
    assert notice["expected_wait_minutes"] is None
    assert notice["human_available_at"] == available
    assert notice["text"].endswith(
        f"Our team is available Mon-Fri 08:00-20:00 CET; a person will reply on {spoken}.")
    assert notice["text"].startswith("I'm sorry this has been so frustrating.")


def test_unreadable_support_hours_promise_no_time():
    notice = customer_notice("turn_limit", {"support_hours_human": "ask in store"},
                             WEDNESDAY_MORNING, 1)
    assert notice["expected_wait_minutes"] is None and notice["human_available_at"] is None
    assert notice["text"].endswith("They'll reply as soon as they can.")
    assert customer_notice("turn_limit", {}, WEDNESDAY_MORNING)["human_available_at"] is None


def test_now_must_be_timezone_aware():
    with pytest.raises(ValueError, match="timezone-aware"):
        customer_notice("human_requested", POLICIES, datetime(2026, 11, 25, 10, 0))


@pytest.mark.parametrize("text,open_at,closed_at", [
    ("Mon-Fri 08:00-20:00 CET", "2026-11-25T19:59+01:00", "2026-11-25T20:00+01:00"),
    ("Monday–Friday 8am–8pm CET", "2026-11-27T08:00+01:00", "2026-11-28T10:00+01:00"),
    ("Mon-Fri 08:00-20:00, Sat 09:00-14:00 CET", "2026-11-28T13:59+01:00",
     "2026-11-29T10:00+01:00"),
    ("Mon to Sat 9-17 Europe/London", "2026-11-28T16:30+00:00", "2026-11-28T17:00+00:00"),
    ("Mon-Fri 12pm-1pm UTC", "2026-11-25T12:30+00:00", "2026-11-25T13:00+00:00"),
    ("24/7", "2026-11-29T03:00+01:00", None),
])
def test_support_hours_are_read_robustly(text, open_at, closed_at):
    hours = parse_support_hours(text)
    assert hours is not None
    assert hours.is_open(datetime.fromisoformat(open_at))
    if closed_at:
        assert not hours.is_open(datetime.fromisoformat(closed_at))


def test_support_hours_time_zone_follows_daylight_saving():
    hours = parse_support_hours("Mon-Fri 08:00-20:00 CET")
    assert hours is not None and hours.zone.key == "Europe/Berlin"
    assert hours.is_open(datetime(2026, 7, 1, 6, 0, tzinfo=UTC))  # 08:00 CEST
    assert not hours.is_open(datetime(2026, 12, 1, 6, 0, tzinfo=UTC))  # 07:00 CET


@pytest.mark.parametrize("reason_code", [
    "negative_emotion", "human_requested", "turn_limit", "low_confidence", "system_trouble",
    "sensitive_topic:fraud", "sensitive_topic:bereavement", "sensitive_topic:legal",
    "sensitive_topic:vulnerability", "sensitive_topic:something_new", "none",
])
def test_every_reason_is_told_kindly_without_blaming_the_customer(reason_code):
    sentence = render(reason_response(reason_code), {})
    assert "member of our team" in sentence or "specialist on our team" in sentence
    assert not re.search(r"\byou (did|didn't|failed|should have)\b|\byour fault\b", sentence,
                         re.IGNORECASE)


def test_sensitive_topics_get_their_own_sentence():
    sentences = {reason_response(f"sensitive_topic:{topic}")
                 for topic in ("fraud", "bereavement", "legal", "vulnerability", "other")}
    assert len(sentences) == 5
    assert "sorry for your loss" in render(reason_response("sensitive_topic:bereavement"), {})


# --- fetch_snapshot against a real HTTP server ---------------------------------------


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    scripted = ScriptedServer()
    yield scripted
    scripted.stop()


@pytest.fixture
def backend_at(monkeypatch):
    """Point the process-wide backend client at a URL, fast and without retries."""

    def point(url: str) -> None:
        monkeypatch.setenv("BACKEND_URL", url)
        monkeypatch.setenv("BACKEND_RETRIES", "0")
        monkeypatch.setenv("BACKEND_CONNECT_TIMEOUT", "0.5")
        monkeypatch.setenv("BACKEND_READ_TIMEOUT", "0.5")
        settings.cache_clear()
        backend.client.cache_clear()

    yield point
    settings.cache_clear()
    backend.client.cache_clear()


def serve_records(server: ScriptedServer, *records: Dict[str, Any]) -> None:
    for collection, record in records:
        server.route("GET", f"/{collection}/{record['id']}", Reply(200, record))


NOAHS_IDS = {"orders": ["BW-100002", "BW-100005"], "claims": ["CLM-70001"],
             "invoices": ["INV-999999"]}


def test_fetch_snapshot_reads_the_customers_touched_records(server, backend_at):
    serve_records(server, ("orders", crm.first_with("orders", id="BW-100002")),
                  ("orders", crm.first_with("orders", id="BW-100005")),  # C-1003's order
                  ("claims", crm.first_with("claims", id="CLM-70001")))
    server.route("GET", "/invoices/INV-999999", Reply(404, {"detail": "invoice not found"}))
    backend_at(server.url)
    snapshot = asyncio.run(fetch_snapshot(NOAHS_IDS, "C-1001"))
    assert [r["id"] for r in snapshot["orders"]] == ["BW-100002"]
    assert [r["id"] for r in snapshot["claims"]] == ["CLM-70001"]
    assert snapshot["invoices"] == []
    assert snapshot["note"] == ("Left out, not found or not on this customer's account: "
                                "BW-100005, INV-999999.")
    assert server.count("GET", "/orders/BW-100002") == 1


def test_fetched_snapshot_goes_into_a_valid_packet(server, backend_at):
    serve_records(server, ("orders", crm.first_with("orders", id="BW-100002")))
    backend_at(server.url)
    state = verified_order_then_angry()
    snapshot = asyncio.run(fetch_snapshot(session_records(state), "C-1001"))
    packet = build_packet(state, ANGRY, snapshot, crm.customer("C-1001"), POLICIES,
                          WEDNESDAY_MORNING)
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
