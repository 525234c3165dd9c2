"""The escalation policy inside Rasa's ensemble contract: what it predicts after a
customer message or an action, and the decision it records, from real trackers."""

from pathlib import Path
from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    ConversationResumed,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.message import Message

from escalation.config import escalation_config
from escalation.emotion import EmotionAnalyzer
from escalation.names import DECISION_SLOT
from escalation.policy import EscalationPolicy, scored_emotion
from escalation.signals import score_emotion
from stack.processes import ROOT

DOMAIN = Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> EscalationPolicy:
    storage = LocalModelStorage(Path(tmp_path_factory.mktemp("model")))
    return EscalationPolicy.create(
        EscalationPolicy.get_default_config(),
        storage,
        Resource("escalation"),
        ExecutionContext(GraphSchema({}), "test"),
    )


def said(
    text: str,
    intent: str = "check_order_status",
    confidence: float = 0.95,
    runner_up: float = 0.02,
    score: float | None = None,
) -> list[Event]:
    parse_data: dict[str, Any] = {
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [
            {"name": intent, "confidence": confidence},
            {"name": "ask_return_policy", "confidence": runner_up},
        ],
    }
    if score is not None:
        parse_data["sentiment"] = {"score": score}
    return [UserUttered(text, parse_data["intent"], parse_data=parse_data, input_channel="rest")]


def did(action: str) -> list[Event]:
    return [ActionExecuted(action)]


def start() -> list[Event]:
    return [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted(ACTION_LISTEN_NAME),
    ]


def predict(policy: EscalationPolicy, events: list[Event]) -> tuple[str | None, Any]:
    tracker = DialogueStateTracker.from_events("customer", events, DOMAIN.slots)
    prediction = policy.predict_action_probabilities(tracker, DOMAIN)
    best = prediction.max_confidence_index
    action = DOMAIN.action_names_or_texts[best] if prediction.max_confidence > 0 else None
    records = [
        event.value
        for event in prediction.events
        if isinstance(event, SlotSet) and event.key == "escalation_decision"
    ]
    return action, (records[-1] if records else None), prediction


def test_a_calm_clear_request_is_left_to_the_other_policies_with_its_decision_recorded(policy):
    action, record, _ = predict(policy, start() + said("where is my order BW-100002"))
    assert action is None
    assert record["escalate"] is False and record["reason_code"] == "none"
    assert record["channel"] == "rest"


def test_an_angry_message_escalates_with_the_rule_and_values(policy):
    action, record, prediction = predict(
        policy, start() + said("THIS IS THE THIRD TIME I'M ASKING, ABSOLUTELY UNACCEPTABLE!!!")
    )
    assert action == "action_escalate"
    assert prediction.is_no_user_prediction  # outranks a form's happy path
    assert record["reason_code"] == "negative_emotion"
    assert record["rule"] == "emotion.turn_threshold"
    assert record["values"]["score"] <= record["values"]["threshold"]


def test_a_first_miss_clarifies_and_a_second_in_a_row_escalates(policy):
    unsure = said("hmm the thing with the stuff", confidence=0.31, runner_up=0.28)
    action, record, _ = predict(policy, start() + unsure)
    assert (action, record["reason_code"], record["clarify"]) == (
        "action_clarify",
        "low_confidence",
        True,
    )
    # The second turn's history is the first turn's recorded decision, as Rasa keeps it.
    first = [SlotSet(DECISION_SLOT, record)]
    action, record, _ = predict(
        policy,
        start()
        + unsure
        + first
        + did("action_clarify")
        + did(ACTION_LISTEN_NAME)
        + said("the other bit", confidence=0.2),
    )
    assert (action, record["rule"]) == ("action_escalate", "confidence.misses_to_escalate")


def test_a_form_answer_before_a_miss_is_not_counted_as_one(policy):
    """The history is the recorded decisions: the form answer's (no miss) stays no miss."""
    answer = said("12 May 1984", intent="inform", confidence=0.25, runner_up=0.2)
    events = (
        start()
        + said("where is my order")
        + did("verification_form")
        + [ActiveLoop("verification_form"), ActionExecuted(ACTION_LISTEN_NAME)]
        + answer
    )
    _, record, _ = predict(policy, events)
    assert record["low_confidence"] is False
    events += [
        SlotSet(DECISION_SLOT, record),
        ActiveLoop(None),
        *did(ACTION_LISTEN_NAME),
        *said("hmm the thing with the stuff", confidence=0.31, runner_up=0.28),
    ]
    action, record, _ = predict(policy, events)
    assert (action, record["rule"]) == ("action_clarify", "confidence.min_confidence")


def test_goals_named_as_alternatives_are_a_miss_however_sure_the_classifier(policy):
    both = said("is it about my order or my claim?", confidence=0.85, runner_up=0.1)
    both[0].parse_data["named_goals"] = ["check_order_status", "check_claim_status"]
    action, record, _ = predict(policy, start() + both)
    assert (action, record["rule"], record["values"]["margin"]) == (
        "action_clarify",
        "confidence.min_margin",
        0.0,
    )
    action, _, _ = predict(policy, start() + said("is it about my order?", confidence=0.85))
    assert action is None


def test_after_clarifying_the_assistant_listens(policy):
    action, _, _ = predict(policy, start() + said("hmm", confidence=0.2) + did("action_clarify"))
    assert action == ACTION_LISTEN_NAME


def test_an_answer_to_a_form_is_never_a_miss(policy):
    events = (
        start()
        + said("where is my order")
        + did("verification_form")
        + [ActiveLoop("verification_form"), ActionExecuted(ACTION_LISTEN_NAME)]
        + said("12 May 1984", intent="inform", confidence=0.25, runner_up=0.2)
    )
    action, record, _ = predict(policy, events)
    assert action is None and record["low_confidence"] is False


def test_a_second_backend_failure_escalates_right_after_the_action(policy):
    events = (
        start()
        + said("where is my order BW-100002")
        + did("action_answer_request")
        + [SlotSet("backend_failures", 1)]
        + did(ACTION_LISTEN_NAME)
        + said("what about claim CLM-70001", intent="check_claim_status")
        + did("action_answer_request")
        + [SlotSet("backend_failures", 2)]
    )
    action, record, _ = predict(policy, events)
    assert (action, record["reason_code"]) == ("action_escalate", "system_trouble")
    assert record["values"]["backend_failures"] == 2


def test_the_turn_limit_counts_from_the_last_goal_reached(policy):
    events = start()
    for _ in range(11):
        events += said("hello there", intent="greet") + did("utter_greet") + did(ACTION_LISTEN_NAME)
    action, record, _ = predict(policy, events + said("hello there", intent="greet"))
    assert (action, record["rule"]) == ("action_escalate", "turn_limit.max_user_turns")
    reached = events[:-8] + did("action_answer_policy") + events[-8:]
    action, _, _ = predict(policy, reached + said("hello there", intent="greet"))
    assert action is None


def test_one_hand_over_per_stretch_and_a_fresh_start_after_a_hand_back(policy):
    angry = said("you are useless idiots, I'm furious")
    escalated = start() + angry + did("action_escalate") + did(ACTION_LISTEN_NAME)
    action, _, _ = predict(policy, escalated + said("where is my order BW-100002"))
    assert action is None  # the desk already has this conversation
    resumed = escalated + [ConversationResumed(), ActionExecuted(ACTION_LISTEN_NAME)]
    action, record, _ = predict(policy, resumed + said("where is my order BW-100002"))
    assert action is None and record["reason_code"] == "none"
    action, record, _ = predict(policy, resumed + angry)
    assert action == "action_escalate"


def test_the_emotion_trend_reads_the_scores_recorded_with_earlier_decisions(policy):
    events = start()
    for score in (-0.3, -0.35):
        recorded = {
            "escalate": False,
            "clarify": False,
            "emotion_score": score,
            "low_confidence": False,
            "reason_code": "none",
            "rule": "none",
        }
        events += (
            said("still nothing")
            + [SlotSet(DECISION_SLOT, recorded)]
            + did("action_answer_request")
            + did(ACTION_LISTEN_NAME)
        )
    action, record, _ = predict(policy, events + said("still not here, is there any news?"))
    assert (action, record["rule"]) == ("action_escalate", "emotion.trend_threshold")


def test_a_message_after_a_hand_back_is_answered_even_without_a_listen_in_between(policy):
    handed_back = (
        start()
        + said("I want a person", intent="request_human")
        + did("action_escalate")
        + [ConversationResumed()]
    )
    action, record, _ = predict(policy, handed_back + said("where is my order BW-100002"))
    assert action is None and record["reason_code"] == "none"


def test_the_emotion_the_nlu_scored_is_used_not_scored_again(policy):
    """The NLU pipeline scores emotion off Rasa's event loop; the policy reads it."""
    calm_words = said("where is my parcel")
    calm_words[0].parse_data["sentiment"] = {
        "score": -0.95,
        "sentiment": -0.95,
        "cues": ["insult"],
        "matched": [["insult", "x"]],
    }
    action, record, _ = predict(policy, start() + calm_words)
    assert (action, record["reason_code"]) == ("action_escalate", "negative_emotion")
    # Without the whole of it (an older tracker), the text is scored here.
    partial = said("where is my parcel", score=-0.95)
    action, _, _ = predict(policy, start() + partial)
    assert action is None


def test_the_nlu_scores_emotion_as_the_policy_would():
    text = "this is the third time I ask, you are USELESS, where is my refund"
    settings = escalation_config().sentiment
    message = Message(data={"text": text})
    EmotionAnalyzer(settings).process([message])
    signal = score_emotion(text, settings)
    assert scored_emotion(message.get("sentiment")) == (
        round(signal.score, 3),
        round(signal.sentiment, 3),
        signal.cues,
    )


def test_turns_another_system_started_never_escalate_nor_count_as_the_customers(policy):
    """A burst of business events told live (EXTERNAL_memory_event over Rasa's HTTP
    API) once looked like a customer repeating themselves: the fourth was handed to
    a person. Such turns are not the customer's: no decision on them, none counted."""
    told: list[Event] = [UserUttered.create_external("EXTERNAL_memory_event", [], "rest")]
    events = start() + said("where is my order BW-100002") + did("action_answer_request")
    for _ in range(12):
        events += told
        action, record, _ = predict(policy, events)
        assert action is None and record is None
        events += [*did("action_memory_event"), *did(ACTION_LISTEN_NAME)]
    action, record, _ = predict(policy, events + said("thanks, and my invoice?"))
    assert action is None and record["escalate"] is False


def test_an_answer_in_a_form_the_nlu_half_reads_as_a_request_for_a_person_is_an_answer(
    policy,
):
    """A store picked by its number on WhatsApp arrives as its id ("ST-MAN"), which the
    NLU ranked first as request_human at 0.4: inside the form that was handed over."""
    events = [
        *start(),
        *said("I'd like to book a repair appointment", intent="book_appointment"),
        ActiveLoop("appointment_form"),
        *did(ACTION_LISTEN_NAME),
        *said("ST-MAN", intent="request_human", confidence=0.4, runner_up=0.3),
    ]
    action, record, _ = predict(policy, events)
    assert action is None and record["escalate"] is False
    sure = said("I want to talk to a person", intent="request_human", confidence=0.93)
    action, record, _ = predict(policy, events[:-1] + sure)
    assert action == "action_escalate" and record["reason_code"] == "human_requested"
