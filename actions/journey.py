"""What every journey that changes something checks first: that it is still the
journey the customer asked for last, and that the customer is proven, with the
truthful answer (and the outcome) when not."""

from abc import ABCMeta, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import resume
from actions.answers import ActionAnswerRequest
from actions.failures import backend_trouble
from actions.outcomes import REFUSED, UNAVAILABLE
from actions.render import DEFAULT_LOCALE, join_words
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


_RESUMABLE: dict[str, type["JourneyForm"]] = {}


def resumable() -> dict[str, type["JourneyForm"]]:
    """The journeys that can be resumed, by goal."""
    return dict(_RESUMABLE)


class JourneyForm(FormValidationAction):
    """A journey's form: it asks `asked` in turn until `stop` holds why it ended.
    Before a reply is read (`answers`), it checks that this is still the journey the
    customer asked for last and that the customer is proven. Abstract, so that the
    action server registers only its subclasses (rasa_sdk skips abstract actions).

    A journey naming `kept` answers can be resumed (actions/resume.py): they are kept
    in the memory after each answer, and when the customer asks for the journey again
    the form first offers to go on with them (`journey_resume`)."""

    goal: str
    form: str
    stop: str
    asked: list[str]
    kept: list[str] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kept:
            _RESUMABLE[cls.goal] = cls

    # False for a journey a prospect may take unproven (a lead): the reply's customer
    # is then the proven one if any, else "".
    proven_only = True

    def name(self) -> str:
        return f"validate_{self.form}"

    def given(self, tracker: Tracker, answers: dict[str, str]) -> list[str]:
        """What the kept answers say, for the offer to go on ("your Orbit 12 …")."""
        return []

    async def restored(self, tracker: Tracker, answers: dict[str, Any]) -> dict[str, Any]:
        """The kept answers that still hold now, with what follows from them (the stop
        slot set when the backend, asked again, is down)."""
        return answers

    def finished(self, updates: dict[str, Any]) -> bool:
        """The reply ends the journey: its last question (the yes to it) was answered."""
        return updates.get(self.asked[-1]) is not None

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
        if tracker.get_slot(self.stop):
            return []
        offer = [resume.RESUME] if tracker.get_slot(resume.PAUSED) else []
        return offer + self.still_asked(tracker)

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
        reply = Reply(asking, intent, text, customer_id or "")
        if asking == resume.RESUME:
            return await self._resumed(tracker, reply)
        updates = await self.answers(tracker, reply)
        if asking is None and self.kept and self.stop not in updates:
            paused = await resume.kept(reply.customer_id, self.goal, self.kept)
            if paused:
                updates[resume.PAUSED] = paused
        self._remember(tracker, reply, updates)
        return updates

    async def _resumed(self, tracker: Tracker, reply: Reply) -> dict[str, Any]:
        """The answer to the offer to go on: yes restores what was given, no starts afresh."""
        answer = reply.confirmation
        left = leaving(resume.RESUME, reply.intent, self.goal, answer is not None, reply.text)
        if left:
            return {self.stop: left}
        if answer is None:
            return {resume.RESUME: None}
        paused = tracker.get_slot(resume.PAUSED) or {}
        updates: dict[str, Any] = {resume.RESUME: answer, resume.PAUSED: None}
        if answer == NO:
            resume.forget(reply.customer_id, self.goal)
            return updates
        given = {slot: value for slot, value in paused.items() if slot in self.kept}
        return {**updates, **(await self.restored(tracker, given))}

    def _remember(self, tracker: Tracker, reply: Reply, updates: dict[str, Any]) -> None:
        """Keep the answers so far after one was given; forget them once it ended."""
        if not self.kept:
            return
        stop = updates.get(self.stop)
        if stop in (OTHER_GOAL, BACKEND, NOT_SERVED):
            return  # left half-way: what was kept stays for later
        if stop or self.finished(updates):
            resume.forget(reply.customer_id, self.goal)
        elif reply.asking in self.kept and updates.get(reply.asking) is not None:
            answers = {slot: updates.get(slot, tracker.get_slot(slot)) for slot in self.kept}
            resume.keep(tracker, reply.customer_id, self.goal, answers)

    @abstractmethod
    async def answers(self, tracker: Tracker, reply: Reply) -> dict[str, Any]:
        """The slots the reply sets, the stop slot among them when the journey ends.
        (Abstract, so that the action server registers the journeys' forms, not this.)"""


RESUME_SLOTS = [resume.RESUME, resume.PAUSED]


def ended(slots: list[str]) -> list[EventType]:
    """The events that end a journey's turn: the request finished, its slots cleared."""
    return [*request_finished(), *(SlotSet(name, None) for name in [*slots, *RESUME_SLOTS])]


class Ending(NamedTuple):
    """What a journey's end works with: the dispatcher, the conversation, the events
    that end the journey, and why its form stopped (None when it ran to the end)."""

    dispatcher: CollectingDispatcher
    tracker: Tracker
    events: list[EventType]
    stop: str | None


class JourneyEnd(Action, metaclass=ABCMeta):
    """The action after a journey's form: when the customer left the journey for another
    request, that request answered instead; otherwise `finish` does what the journey
    was for, with the events that end it. Abstract, so that the action server registers
    only its subclasses."""

    action: str
    slots: list[str]
    stop_slot: str

    def name(self) -> str:
        return self.action

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        stop = tracker.get_slot(self.stop_slot)
        if stop == OTHER_GOAL:
            return await answer_instead(dispatcher, tracker, domain, self.slots)
        return await self.finish(Ending(dispatcher, tracker, ended(self.slots), stop))

    @abstractmethod
    async def finish(self, ending: Ending) -> list[EventType]:
        """The journey's end: its change made (or why not said), with its events."""


async def answer_instead(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], slots: list[str]
) -> list[EventType]:
    """The journey was left half-way for another request, which its form ended for:
    that request answered here, the journey's slots cleared."""
    answered = await ActionAnswerRequest().run(dispatcher, tracker, domain)
    return [*answered, *(SlotSet(name, None) for name in [*slots, *RESUME_SLOTS])]


def ask_which_policy(
    dispatcher: CollectingDispatcher,
    response: str,
    policies: list[dict[str, Any]],
    language: str = DEFAULT_LOCALE,
) -> None:
    """Ask which of the customer's device policies, each named by device and id, with
    a button for each."""
    named = [f"{p['device']} ({p['id']})" for p in policies]
    dispatcher.utter_message(
        response=response,
        policies=join_words(named, "or", language),
        buttons=[{"title": n, "payload": p["id"]} for n, p in zip(named, policies, strict=True)],
    )
