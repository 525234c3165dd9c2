"""escalation.yml applied on every turn: a dialogue policy in Rasa's ensemble.

Right after each customer message the policy asks `decide` and records the
decision, with the rule that fired and its values, in the `escalation_decision`
slot. The history of the next turn is read from those records (since the session
started or a person handed it back), advanced decision by decision as
`decision.advance` says: computed once, when each message was decided, never
recomputed differently later (the escalation bench replays this class). An
escalation predicts `action_escalate`, a first miss `action_clarify`. After an
action that counted a backend failure it decides again, so system trouble hands
over without waiting for the customer's next message.

Its predictions are marked as not based on the customer's input, which in Rasa's
ensemble outranks every other kind, and its priority is above RulePolicy's: an
escalation wins even while a form is asking for something. A turn inside a form is
never a miss, since answers to a form's question ("12 May 1984") are not intents.
A non-escalation reads only the tracker: no I/O on the hot path.
"""

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME, IS_EXTERNAL
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ConversationResumed,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY

from escalation.config import EscalationConfig, escalation_config
from escalation.decision import (
    ConversationFacts,
    TurnFacts,
    advance,
    decide,
    decision_from_record,
    decision_record,
)
from escalation.names import (
    BACKEND_FAILURES_SLOT,
    CLARIFY_ACTION,
    DECISION_SLOT,
    ESCALATE_ACTION,
    NAMED_GOALS_KEY,
    SENTIMENT_KEY,
    UNNAMED_CHANNEL,
)
from escalation.signals import warm_up

NLU_FALLBACK = "nlu_fallback"
# Above RulePolicy (6): on equal confidence the higher priority wins.
ESCALATION_PRIORITY = 7


def turn_facts(message: UserUttered, in_form: bool) -> TurnFacts:
    """What the NLU made of one message. The FallbackClassifier's nlu_fallback is
    skipped: the customer's likeliest real intent and its margin are what count. A
    message that names goals as alternatives has no margin (a miss)."""
    parse_data = message.parse_data or {}
    ranking = [
        entry
        for entry in parse_data.get(INTENT_RANKING_KEY) or []
        if entry.get(INTENT_NAME_KEY) != NLU_FALLBACK
    ]
    if not ranking:
        intent = message.intent or {}
        name = intent.get(INTENT_NAME_KEY)
        ranking = [
            {
                INTENT_NAME_KEY: name,
                PREDICTED_CONFIDENCE_KEY: intent.get(PREDICTED_CONFIDENCE_KEY, 1.0),
            }
        ]
    top = ranking[0]
    intent_confidence = confidence = float(top.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
    runner_up = float(ranking[1].get(PREDICTED_CONFIDENCE_KEY) or 0.0) if len(ranking) > 1 else 0.0
    if in_form:
        confidence, runner_up = 1.0, 0.0
    elif len(parse_data.get(NAMED_GOALS_KEY) or []) > 1:
        runner_up = confidence  # goals named as alternatives: no margin between them
    return TurnFacts(
        text=message.text or "",
        intent=top.get(INTENT_NAME_KEY),
        confidence=confidence,
        margin=confidence - runner_up,
        intent_confidence=intent_confidence,
        scored_emotion=scored_emotion(parse_data.get(SENTIMENT_KEY)),
    )


def scored_emotion(data: Any) -> tuple[float, float, tuple[tuple[str, str], ...]] | None:
    """The emotion escalation.emotion.EmotionAnalyzer scored in the NLU parse (off the
    event loop), if the parse has it whole; None otherwise (the text is scored here)."""
    if not isinstance(data, dict):
        return None
    score, sentiment, matched = data.get("score"), data.get("sentiment"), data.get("matched")
    if not (
        isinstance(score, (int, float))
        and isinstance(sentiment, (int, float))
        and isinstance(matched, list)
        and all(
            isinstance(pair, list)
            and len(pair) == 2
            and all(isinstance(part, str) for part in pair)
            for pair in matched
        )
    ):
        return None
    return float(score), float(sentiment), tuple((name, text) for name, text in matched)


def _since_window(events: Sequence[Event]) -> list[Event]:
    """The events since the session started or a person handed the conversation back."""
    for index in range(len(events) - 1, -1, -1):
        if isinstance(events[index], (SessionStarted, ConversationResumed)):
            return list(events[index + 1 :])
    return list(events)


def _external(event: Event) -> bool:
    """A message another system sent through Rasa's HTTP API (a business event told
    live, an outreach message): not the customer's turn, so not the rules' business."""
    return isinstance(event, UserUttered) and bool((event.metadata or {}).get(IS_EXTERNAL))


def _backend_failures(events: Sequence[Event]) -> int:
    """Backend failures the actions counted among these events."""
    return sum(
        1
        for event in events
        if isinstance(event, SlotSet) and event.key == BACKEND_FAILURES_SLOT and event.value
    )


def conversation_facts(window: Sequence[Event], config: EscalationConfig) -> ConversationFacts:
    """The history `decide` needs, from the window's events before the latest message:
    the decisions recorded for earlier messages, customer messages since the last goal
    reached, and the backend failures counted."""
    history = ConversationFacts(backend_failures=_backend_failures(window))
    user_turns_since_goal = 0
    for event in window:
        if isinstance(event, UserUttered):
            user_turns_since_goal += 1
        elif (
            isinstance(event, SlotSet)
            and event.key == DECISION_SLOT
            and isinstance(event.value, dict)
        ):
            history = advance(history, decision_from_record(event.value), config)
        elif isinstance(event, ActionExecuted) and event.action_name in config.goal_actions:
            user_turns_since_goal = 0
    return replace(history, user_turns=user_turns_since_goal)


def _last_index(events: Sequence[Event], kind: type) -> int:
    """Where the last event of this kind is; -1 when there is none."""
    for index in range(len(events) - 1, -1, -1):
        if isinstance(events[index], kind):
            return index
    return -1


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class EscalationPolicy(Policy):
    """Hands the conversation to a person, or asks to clarify, as escalation.yml says."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # config_path None: the project's escalation.yml.
        return {"priority": ESCALATION_PRIORITY, "config_path": None}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Any | None = None,
    ) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)
        # Read (and validated) when the model loads: a bad escalation.yml stops Rasa
        # at start with the key that is wrong, never mid-conversation.
        self.escalation = escalation_config(config.get("config_path"))
        warm_up(self.escalation.sentiment)

    def train(
        self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        """Nothing to learn: the rules are escalation.yml's."""
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        events = list(tracker.events)
        last_action = _last_index(events, ActionExecuted)
        if last_action > _last_index(events, UserUttered) and events[last_action].action_name in (
            CLARIFY_ACTION,
            ESCALATE_ACTION,
        ):
            return self._predict(domain, ACTION_LISTEN_NAME)
        window = [event for event in _since_window(events) if not _external(event)]
        latest_user = _last_index(window, UserUttered)
        if latest_user < 0 or any(
            isinstance(event, ActionExecuted) and event.action_name == ESCALATE_ACTION
            for event in window
        ):
            return self._prediction(self._default_predictions(domain))
        last_action = _last_index(window, ActionExecuted)
        after_message = last_action < latest_user
        # After an action, only one that counted a backend failure is worth a decision.
        if not after_message and not _backend_failures(window[last_action:]):
            return self._prediction(self._default_predictions(domain))
        channel = tracker.get_latest_input_channel() or UNNAMED_CHANNEL
        turn = turn_facts(window[latest_user], in_form=tracker.active_loop_name is not None)
        history = conversation_facts(window[:latest_user], self.escalation)
        if not after_message:
            history = replace(history, backend_failures=_backend_failures(window))
        decision = decide(turn, history, self.escalation, channel)
        record = [SlotSet(DECISION_SLOT, decision_record(decision, channel))]
        if decision.escalate:
            return self._predict(domain, ESCALATE_ACTION, record)
        if not after_message:
            return self._prediction(self._default_predictions(domain))
        if decision.clarify:
            return self._predict(domain, CLARIFY_ACTION, record)
        return self._prediction(self._default_predictions(domain), events=record)

    def _predict(
        self, domain: Domain, action: str, events: list[Event] | None = None
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities, events=events, is_no_user_prediction=True)
