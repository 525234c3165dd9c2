"""File a device claim (first notice of loss) once the customer said yes to exactly
what will be filed (actions/claim_form.py asked).

The claim is created through the backend client with an idempotency key from
(conversation, action, policy, incident, day, description): a doubled or repeated yes
files one claim and hears the same id. An incident lifecycle.yml keeps from the
assistant goes to a person with a packet instead. A failure at the backend is told
as it is: nothing was filed, and a person is offered."""

from datetime import date
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client as backend
from actions.backend_writes import idempotency_key
from actions.claim_form import (
    CONFIRMED,
    DATE,
    DESCRIPTION,
    GOAL,
    HAND_OVER,
    INCIDENT,
    NO_POLICY,
    NOT_COVERED,
    POLICY,
    SLOTS,
    STOP,
    claim_words,
)
from actions.failures import backend_trouble
from actions.journey import BACKEND, YES, Ending, JourneyEnd, unproven
from actions.language import conversation_language
from actions.outcomes import (
    DECLINED,
    DONE,
    FAILED,
    HANDED_OVER,
    NOT_FOUND,
    REFUSED,
    UNAVAILABLE,
    record,
)
from actions.render import value_text
from actions.slots import HUMAN_OFFERED
from actions.verification import verified_customer
from escalation.decision import Decision, decision_from_record, decision_record
from escalation.names import DECISION_SLOT, ESCALATE_ACTION

ACTION = "action_file_claim"
LIMIT_RULE = "lifecycle.claims.hand_over_incidents"
LIMIT_REASON = "action_limit:claim"


def limit_decision(
    tracker: Tracker,
    values: dict[str, Any],
    reason: str = LIMIT_REASON,
    rule: str = LIMIT_RULE,
) -> dict[str, Any]:
    """The escalation decision an action kept from the assistant by lifecycle.yml hands
    over with; the turn's emotion score is kept for the next turn's history."""
    previous = decision_from_record(tracker.get_slot(DECISION_SLOT) or {})
    decision = Decision(True, False, reason, rule, values, previous.emotion_score, False)
    return decision_record(decision, tracker.get_latest_input_channel() or "rest")


class ActionFileClaim(JourneyEnd):
    """Files the confirmed claim, or says truthfully why it was not filed."""

    action, slots, stop_slot = ACTION, SLOTS, STOP

    async def finish(self, ending: Ending) -> list[EventType]:
        dispatcher, tracker, events, stop = ending
        policy_id = tracker.get_slot(POLICY)
        incident = tracker.get_slot(INCIDENT)

        def outcome(result: str, claim_id: str | None = None, **detail: Any) -> EventType:
            detail = {"policy": policy_id, "incident_type": incident, **detail}
            return record(tracker, ACTION, GOAL, result, claim_id or policy_id, detail)

        refusal = unproven(dispatcher, tracker, outcome)
        if refusal is not None:
            return events + refusal
        if stop == BACKEND:
            return events + backend_trouble(dispatcher, tracker) + [outcome(UNAVAILABLE)]
        if stop == NO_POLICY:
            dispatcher.utter_message(response="utter_new_claim_no_policy")
            return events + [outcome(NOT_FOUND, reason="no_policy_in_cover")]
        words = claim_words(tracker)
        if stop == NOT_COVERED:
            dispatcher.utter_message(response="utter_new_claim_not_covered", **words)
            return events + [SlotSet(HUMAN_OFFERED, True), outcome(REFUSED, reason="not_covered")]
        if stop == HAND_OVER:
            dispatcher.utter_message(response="utter_new_claim_to_person", **words)
            return events + [
                outcome(HANDED_OVER, reason="limit", rule=LIMIT_RULE),
                SlotSet(DECISION_SLOT, limit_decision(tracker, {"incident_type": str(incident)})),
                FollowupAction(ESCALATE_ACTION),
            ]
        if tracker.get_slot(CONFIRMED) != YES:
            dispatcher.utter_message(response="utter_new_claim_not_filed")
            return events + [outcome(DECLINED)]
        return events + await self._file(dispatcher, tracker, words, outcome)

    @staticmethod
    async def _file(
        dispatcher: CollectingDispatcher, tracker: Tracker, words: dict[str, str], outcome: Any
    ) -> list[EventType]:
        customer_id = str(verified_customer(tracker))
        policy_id, incident = str(tracker.get_slot(POLICY)), str(tracker.get_slot(INCIDENT))
        when, description = str(tracker.get_slot(DATE)), str(tracker.get_slot(DESCRIPTION))
        key = idempotency_key(tracker.sender_id, ACTION, policy_id, incident, when, description)
        client = backend.client()
        try:
            claim = await backend.call(
                client.file_claim,
                key,
                customer_id,
                policy_id,
                incident,
                date.fromisoformat(when),
                description,
            )
        except (
            backend.BackendRejected,
            backend.RecordNotFound,
        ):  # refused, e.g. a day out of cover
            dispatcher.utter_message(response="utter_new_claim_refused", **words)
            return [SlotSet(HUMAN_OFFERED, True), outcome(FAILED, reason="rejected")]
        except backend.BackendError:  # nothing was filed: the customer hears so
            return backend_trouble(dispatcher, tracker) + [outcome(UNAVAILABLE, reason="backend")]
        claim_id = str(claim["id"])
        dispatcher.utter_message(
            response="utter_new_claim_filed",
            claim_id=claim_id,
            next_step=value_text(
                "next_step", claim.get("next_step") or "", conversation_language(tracker.slots)
            ),
            **words,
        )
        return [outcome(DONE, claim_id)]
