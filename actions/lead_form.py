"""The lead form: a prospect who wants to be contacted gives a name and an e-mail
address or phone number, and says yes to the consent restated (who will contact them,
how, about what) before anything is stored (actions/capture_lead.py stores it).

A prospect need not be a proven customer (`proven_only = False`); a proven one's lead
carries their customer id. What they are interested in is read from their question
(a product named in it), else it is the catalog in general."""

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client as backend
from actions.catalog import named_product
from actions.catalog_answers import reference
from actions.journey import (
    BACKEND,
    GOAL_INTENTS,
    STOP_INTENTS,
    JourneyForm,
    Reply,
    leaving,
    opening_text,
)

GOAL = "request_sales_contact"
FORM = "lead_form"
NAME = "lead_name"
CONTACT = "lead_contact"
CONFIRMED = "lead_consent"
INTEREST = "lead_interest"  # a catalog product's name, or None for products in general
STOP = "lead_stop"
ASKED = [NAME, CONTACT, CONFIRMED]
SLOTS = [*ASKED, INTEREST, STOP, "lead_capture"]
EMAIL = re.compile(r"[^@\s<>()\[\],;:\"']+@[^@\s<>()\[\],;:\"']+\.[a-z]{2,}", re.IGNORECASE)
PHONE = re.compile(r"\+?\d[\d\s().-]{6,20}\d")
NAME_INTRO = re.compile(r"^\s*(?:my name is|my name's|i am|i'm|it's|this is|call me)\s+", re.I)
NAME_MAX = 200


def contact_of(text: str) -> tuple[str, str] | None:
    """The consent channel and the contact the answer gives: ('email', address) or
    ('phone', '+447700900123'); a phone number must be international (+country code),
    since the backend cannot guess the country."""
    if match := EMAIL.search(text):
        return "email", match[0].rstrip(".")
    if match := PHONE.search(text):
        digits = re.sub(r"[^\d+]", "", match[0])
        if re.fullmatch(r"\+[1-9]\d{6,14}", digits):
            return "phone", digits
    return None


def name_of(text: str) -> str | None:
    """The name the answer gives ('my name is Sam Lee' → 'Sam Lee'), or None when it
    holds no letters, digits or an address (a question, a number given instead)."""
    name = NAME_INTRO.sub("", text).strip(" .!")
    if not name or len(name) > NAME_MAX or "@" in name or re.search(r"\d", name):
        return None
    return name if re.search(r"[^\W\d_]", name) else None


class ValidateLeadForm(JourneyForm):
    """Reads the name, the contact and the yes to the consent."""

    goal, form, stop, asked = GOAL, FORM, STOP, ASKED
    proven_only = False

    async def answers(self, tracker: Tracker, reply: Reply) -> dict[str, Any]:
        asking, text = reply.asking, reply.text
        updates: dict[str, Any] = {}
        if asking is None:
            try:
                product = named_product(opening_text(tracker, GOAL), await reference("catalog"))
            except backend.BackendError:
                return {STOP: BACKEND}
            updates[INTEREST] = str(product["name"]) if product else None
        if asking == NAME:
            updates[NAME] = name_of(text)
        if asking == CONTACT:
            given = contact_of(text)
            updates[CONTACT] = list(given) if given else None
        if asking == CONFIRMED:
            updates[CONFIRMED] = reply.confirmation
        # A name is any short text: one that reads as another request or a no is that.
        answered = updates.get(asking or "") is not None and not (
            asking == NAME and reply.intent in GOAL_INTENTS | STOP_INTENTS
        )
        left = leaving(asking, reply.intent, GOAL, answered, text)
        return {STOP: left} if left else updates


def lead_words(tracker: Tracker) -> dict[str, str]:
    """The variables that restate the lead and the consent."""
    channel, contact = tracker.get_slot(CONTACT) or ("", "")
    return {
        "name": str(tracker.get_slot(NAME) or ""),
        "contact": str(contact),
        "contact_how": "by e-mail" if channel == "email" else "by phone",
        "interest": str(tracker.get_slot(INTEREST) or "our products and protection plans"),
    }


class ActionAskLeadConsent(Action):
    """The consent restated exactly (who, how, where, about what) before anything is kept."""

    def name(self) -> str:
        return "action_ask_lead_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_ask_lead_consent", **lead_words(tracker))
        return []
