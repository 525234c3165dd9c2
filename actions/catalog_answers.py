"""Acquisition questions answered from the backend's catalog and protection plans, read
each time so a changed price or plan changes the answer without retraining: what a
product costs, what each plan covers and its excess, and a plan's quote for a device
with its working (the quote form asks which device when the question did not say)."""

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import backend_client as backend
from actions.catalog import (
    Record,
    catalog_words,
    named_plan,
    named_product,
    plan_words,
    product_words,
    protected,
    quote_words,
)
from actions.failures import backend_trouble
from actions.journey import BACKEND, OTHER_GOAL, STOPPED, answer_instead, leaving, opening_text
from actions.language import conversation_language
from actions.lifecycle_config import lifecycle_config
from actions.outcomes import ANSWERED, DECLINED, NOT_FOUND, UNAVAILABLE, record
from actions.render import join_words

PRODUCTS = "ask_product_price"
PLANS = "ask_protection_plans"
QUOTE = "get_plan_quote"
FORM = "quote_form"
DEVICE = "quote_device"  # the catalog sku quoted for
PLAN = "quote_plan"  # the plan named, if any
STOP = "quote_stop"
SLOTS = [DEVICE, PLAN, STOP]
UNKNOWN_DEVICE = "unknown_device"
NOT_PROTECTED = "not_protected"


async def reference(collection: str) -> list[Record]:
    """One of the backend's reference lists (catalog, protection_plans), in its order."""
    found = await backend.call(backend.client().get, f"/{collection}")
    items = found.get("items") if isinstance(found, dict) else None
    return [item for item in items or [] if isinstance(item, dict)]


class ActionAnswerCatalog(Action):
    """A product's price (or every product's), or what the plans cover and cost."""

    def name(self) -> str:
        return "action_answer_catalog"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        goal = tracker.get_intent_of_latest_message() or PRODUCTS
        text = tracker.latest_message.get("text") or ""
        language = conversation_language(tracker.slots)
        try:
            if goal == PLANS:
                plans = await reference("protection_plans")
                chosen = named_plan(text, plans, language)
                for plan in [chosen] if chosen else plans:
                    dispatcher.utter_message(
                        response="utter_protection_plan", **plan_words(plan, language)
                    )
                detail = {"plan": chosen["plan"] if chosen else "all"}
            else:
                goal = PRODUCTS
                catalog = await reference("catalog")
                product = named_product(text, catalog)
                if product:
                    dispatcher.utter_message(
                        response="utter_product_price", **product_words(product, language)
                    )
                else:
                    dispatcher.utter_message(
                        response="utter_catalog", **catalog_words(catalog, language)
                    )
                detail = {"sku": product["sku"] if product else "all"}
        except backend.BackendError:
            return backend_trouble(dispatcher, tracker) + [
                record(tracker, self.name(), goal, UNAVAILABLE, detail={"reason": "backend"})
            ]
        return [record(tracker, self.name(), goal, ANSWERED, detail=detail)]


class ValidateQuoteForm(FormValidationAction):
    """Reads the device (and plan) from the question, else from the answer to "which
    device?"; a device no plan protects or not in the catalog ends the form."""

    def name(self) -> str:
        return f"validate_{FORM}"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        return [] if tracker.get_slot(STOP) else [DEVICE]

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return [SlotSet(name, value) for name, value in (await self._updates(tracker)).items()]

    async def _updates(self, tracker: Tracker) -> dict[str, Any]:
        asking = tracker.get_slot("requested_slot")
        text = opening_text(tracker, QUOTE) if asking is None else tracker.latest_message["text"]
        try:
            catalog = await reference("catalog")
            plans = await reference("protection_plans")
        except backend.BackendError:
            return {STOP: BACKEND}
        product = named_product(text, catalog)
        updates: dict[str, Any] = {}
        if plan := named_plan(text, plans, conversation_language(tracker.slots)):
            updates[PLAN] = plan["plan"]
        if product is None:
            if asking is None:
                return updates
            intent = (tracker.latest_message.get("intent") or {}).get("name")
            left = leaving(asking, intent, QUOTE, False, text)
            return {STOP: left or UNKNOWN_DEVICE}
        categories = lifecycle_config().acquisition.protected_categories
        if product not in protected(catalog, categories):
            return {**updates, DEVICE: product["sku"], STOP: NOT_PROTECTED}
        return {**updates, DEVICE: product["sku"]}


async def protectable_words(language: str) -> dict[str, Any]:
    """The devices a plan is quoted for, as a list and as buttons."""
    catalog = protected(
        await reference("catalog"), lifecycle_config().acquisition.protected_categories
    )
    return {
        "devices": join_words([str(p["name"]) for p in catalog], "or", language),
        "buttons": [{"title": str(p["name"]), "payload": str(p["name"])} for p in catalog],
    }


class ActionAskQuoteDevice(Action):
    """Which device: the ones a plan protects, from the catalog. Without the catalog
    the form ends at once (requested_slot None), and the quote action says why."""

    def name(self) -> str:
        return f"action_ask_{DEVICE}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        try:
            words = await protectable_words(conversation_language(tracker.slots))
        except backend.BackendError:  # the form ends now; action_give_quote apologises
            return [SlotSet(STOP, BACKEND), SlotSet("requested_slot", None)]
        dispatcher.utter_message(response="utter_ask_quote_device", **words)
        return []


class ActionGiveQuote(Action):
    """The quote for the device, one line per plan (or the plan named), each with its
    working; or why there is none."""

    def name(self) -> str:
        return "action_give_quote"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        events: list[EventType] = [SlotSet(name, None) for name in SLOTS]
        stop, sku = tracker.get_slot(STOP), tracker.get_slot(DEVICE)
        language = conversation_language(tracker.slots)

        def outcome(result: str, **detail: Any) -> EventType:
            return record(tracker, self.name(), QUOTE, result, sku, detail)

        if stop == OTHER_GOAL:
            return await answer_instead(dispatcher, tracker, domain, SLOTS)
        if stop == STOPPED:
            dispatcher.utter_message(response="utter_quote_not_given")
            return events + [outcome(DECLINED)]
        try:
            if stop == BACKEND:
                raise backend.BackendUnavailable("read while quoting")
            catalog = await reference("catalog")
            plans = await reference("protection_plans")
            product = next((p for p in catalog if p["sku"] == sku), None)
            if stop in (UNKNOWN_DEVICE, NOT_PROTECTED) or product is None:
                dispatcher.utter_message(
                    response="utter_quote_no_such_device"
                    if product is None
                    else "utter_quote_not_protected",
                    device=str(product["name"]) if product else "",
                    **{
                        k: v
                        for k, v in (await protectable_words(language)).items()
                        if k != "buttons"
                    },
                )
                return events + [outcome(NOT_FOUND, reason=stop)]
        except backend.BackendError:
            return events + backend_trouble(dispatcher, tracker) + [outcome(UNAVAILABLE)]
        wanted = tracker.get_slot(PLAN)
        quoted = [p for p in plans if p["plan"] == wanted] or plans
        for plan in quoted:
            dispatcher.utter_message(
                response="utter_plan_quote", **quote_words(product, plan, language)
            )
        dispatcher.utter_message(response="utter_quote_next")
        plan_names = [str(p["plan"]) for p in quoted]
        return events + [outcome(ANSWERED, plans=plan_names)]
