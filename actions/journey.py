"""What every journey that changes something checks first: that it is still the
journey the customer asked for last, and that the customer is proven, with the
truthful answer (and the outcome) when not."""

from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.answers import ActionAnswerRequest
from actions.failures import backend_trouble
from actions.outcomes import REFUSED, UNAVAILABLE
from actions.render import join_words
from actions.slots import (
    BACKEND_ERROR,
    HUMAN_OFFERED,
    VERIFICATION_FAILED,
    VERIFICATION_LOCKED,
    request_finished,
)
from actions.verification import verified_customer

# The intents that start a journey: the last one asked for is the one under way.
GOAL_INTENTS = frozenset(
    {
        "update_payment_method",
        "check_order_status",
        "check_claim_status",
        "check_invoice",
        "file_claim",
        "start_return",
        "book_appointment",
        "change_appointment",
        "activate_policy",
        "cancel_policy",
        "request_sales_contact",
    }
)
# The action that takes a yes to an outreach's offer, and the journey it offered
# (actions/outreach_message.py).
ACCEPTED_OFFERS = {"action_outreach_accept": "update_payment_method"}
Outcome = Callable[..., EventType]
# Why a journey's form ended without a yes or no (its stop slot), for the action after it.
STOPPED = "stopped"  # the customer said no or goodbye instead of an answer
OTHER_GOAL = "other_goal"  # the customer asked for something else instead
NOT_SERVED = "not_served"  # identity not proven, record locked, backend down verifying
BACKEND = "backend"  # the backend failed while the form read from it
# The confirmation's answers.
YES = "yes"
NO = "no"
STOP_INTENTS = frozenset({"deny", "goodbye"})
# A free-text answer this long is one, whatever its intent reads as.
LONG_ANSWER_WORDS = 4


def latest_goal(tracker: Tracker) -> str | None:
    """The goal intent the customer asked for last in this conversation (a yes to an
    outreach's offer counts as asking for what it offered)."""
    for event in reversed(tracker.events):
        if event.get("event") == "action" and event.get("name") in ACCEPTED_OFFERS:
            return ACCEPTED_OFFERS[str(event.get("name"))]
        if event.get("event") == "user":
            name = (event.get("parse_data") or {}).get("intent", {}).get("name")
            if name in GOAL_INTENTS:
                return str(name)
    return None


def unproven(
    dispatcher: CollectingDispatcher, tracker: Tracker, outcome: Outcome
) -> list[EventType] | None:
    """The answer to a customer the journey cannot serve (record locked, identity not
    proven, backend down while verifying), or None when the customer is verified."""
    if tracker.get_slot(VERIFICATION_LOCKED):
        dispatcher.utter_message(response="utter_account_locked")
        return [SlotSet(HUMAN_OFFERED, True), outcome(REFUSED, reason="locked")]
    customer_id = verified_customer(tracker)
    if tracker.get_slot(VERIFICATION_FAILED) or (
        customer_id is None and not tracker.get_slot(BACKEND_ERROR)
    ):
        dispatcher.utter_message(response="utter_verification_failed")
        return [SlotSet(HUMAN_OFFERED, True), outcome(REFUSED, reason="not_verified")]
    if tracker.get_slot(BACKEND_ERROR) or customer_id is None:
        return [
            *backend_trouble(dispatcher, tracker, counted=True),
            outcome(UNAVAILABLE, reason="backend"),
        ]
    return None


def serving(tracker: Tracker) -> str | None:
    """The verified customer a journey may act for: None when the record is locked,
    verification failed or the backend could not be asked."""
    if any(
        tracker.get_slot(name) for name in (VERIFICATION_LOCKED, VERIFICATION_FAILED, BACKEND_ERROR)
    ):
        return None
    return verified_customer(tracker)


def leaving(
    asking: str | None,
    intent: Any,
    goal: str,
    answered: bool,
    text: str,
    long_answer: bool = False,
) -> str | None:
    """Why the customer's reply to a form's question ends the journey (STOPPED: a no
    or a goodbye; OTHER_GOAL: another request), or None. A reply that answers the
    question is an answer whatever the NLU made of it ("it's the wrong item" reads as
    a no, "it arrived damaged" as an order question); a confirmation's no answers it."""
    if asking is None or (intent not in STOP_INTENTS and intent not in GOAL_INTENTS):
        return None
    if intent == goal:
        return None
    if (len(text.split()) > LONG_ANSWER_WORDS) if long_answer else answered:
        return None
    return STOPPED if intent in STOP_INTENTS else OTHER_GOAL


def opening_text(tracker: Tracker, goal: str) -> str:
    """What the customer said when asking for this journey (it may already say what
    happened, or what for)."""
    for event in reversed(tracker.events):
        intent = (event.get("parse_data") or {}).get("intent", {}).get("name")
        if event.get("event") == "user" and intent == goal:
            return str(event.get("text") or "")
    return ""


@dataclass(frozen=True)
class Reply:
    """The customer's reply a journey's form reads: the slot it asked for (None when
    the form has just started), what the NLU made of it, and the customer served."""

    asking: str | None
    intent: Any
    text: str
    customer_id: str

    @property
    def confirmation(self) -> str | None:
        """The answer to a confirmation: YES, NO, or None for anything else."""
        return {"affirm": YES, "deny": NO}.get(str(self.intent))


class JourneyForm(FormValidationAction):
    """A journey's form: it asks `asked` in turn until `stop` holds why it ended.
    Before a reply is read (`answers`), it checks that this is still the journey the
    customer asked for last and that the customer is proven. Abstract, so that the
    action server registers only its subclasses (rasa_sdk skips abstract actions)."""

    goal: str
    form: str
    stop: str
    asked: list[str]
    # False for a journey a prospect may take unproven (a lead): the reply's customer
    # is then the proven one if any, else "".
    proven_only = True

    def name(self) -> str:
        return f"validate_{self.form}"

    def still_asked(self, tracker: Tracker) -> list[str]:
        """The slots the form asks for, given what it knows."""
        return self.asked

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        return [] if tracker.get_slot(self.stop) else self.still_asked(tracker)

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return [SlotSet(name, value) for name, value in (await self._updates(tracker)).items()]

    async def _updates(self, tracker: Tracker) -> dict[str, Any]:
        asking = tracker.get_slot("requested_slot")
        if asking is None and latest_goal(tracker) != self.goal:
            return {self.stop: OTHER_GOAL}  # left for another request while verifying
        customer_id = serving(tracker)
        if customer_id is None and self.proven_only:
            return {self.stop: NOT_SERVED}
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        text = tracker.latest_message.get("text") or ""
        return await self.answers(tracker, Reply(asking, intent, text, customer_id or ""))

    @abstractmethod
    async def answers(self, tracker: Tracker, reply: Reply) -> dict[str, Any]:
        """The slots the reply sets, the stop slot among them when the journey ends.
        (Abstract, so that the action server registers the journeys' forms, not this.)"""


def ended(slots: list[str]) -> list[EventType]:
    """The events that end a journey's turn: the request finished, its slots cleared."""
    return [*request_finished(), *(SlotSet(name, None) for name in slots)]


async def answer_instead(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], slots: list[str]
) -> list[EventType]:
    """The journey was left half-way for another request, which its form ended for:
    that request answered here, the journey's slots cleared."""
    answered = await ActionAnswerRequest().run(dispatcher, tracker, domain)
    return [*answered, *(SlotSet(name, None) for name in slots)]


def ask_which_policy(
    dispatcher: CollectingDispatcher, response: str, policies: list[dict[str, Any]]
) -> None:
    """Ask which of the customer's device policies, each named by device and id, with
    a button for each."""
    named = [f"{p['device']} ({p['id']})" for p in policies]
    dispatcher.utter_message(
        response=response,
        policies=join_words(named, "or"),
        buttons=[{"title": n, "payload": p["id"]} for n, p in zip(named, policies, strict=True)],
    )
