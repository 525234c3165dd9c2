"""Continuity on return: once a conversation's customer is verified (by a knowledge
factor or a trusted integration), the identity link is written to the memory and
the customer is greeted by first name with what the memory knows: the last contact
on any channel and where its record stands now, then the business events nobody has
told them about yet. Memory never replaces verification: this runs only after it.
With the memory off or down, nothing is said and the turn goes on as before.
"""

import logging
import time
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client as backend
from actions import memory_client
from actions.language import conversation_language
from actions.memory_words import event_message, last_contact, record_topic
from actions.records import TOPICS
from actions.render import RECORD_ANSWERS

logger = logging.getLogger(__name__)


async def _current_state(record_id: str, customer_id: str, language: str) -> list[Any] | None:
    """The record's answer as it stands now, when it is the customer's."""
    topic = record_topic(record_id)
    if topic is None:
        return None
    kind = TOPICS[topic]
    try:
        record = await backend.call(backend.client().record, kind.collection, record_id)
        policies = await backend.call(backend.client().policies) if topic == "invoice" else {}
    except backend.BackendError:
        return None
    if record.get("customer_id") != customer_id:
        return None
    return [RECORD_ANSWERS[topic](record, policies, language)]


async def identified(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    customer_id: str,
    confirmed_by: str,
    customer: dict[str, Any] | None,
    asking_about: str | None,
) -> None:
    """Link the identity, then say what the memory holds for this customer."""
    conversation = tracker.sender_id
    channel = tracker.get_latest_input_channel() or "default"
    language = conversation_language(tracker.slots)
    # The link is a write no answer depends on: the turn waits for the recall only.
    memory_client.later(
        "linking an identity", "link", customer_id, channel, conversation, confirmed_by
    )
    recalled = await memory_client.ask(
        "recalling the customer", "recall", customer_id, conversation
    )
    if not recalled:
        return
    contact = recalled.get("last_contact")
    events = [e for e in recalled.get("open_events") or [] if event_message(e)]
    # An event about the record asked for now is covered by the answer that follows.
    covered = [e["id"] for e in events if e.get("record") == asking_about]
    events = [e for e in events if e["id"] not in covered]
    if (contact or events) and customer is None:
        try:
            customer = await backend.call(backend.client().record, "customers", customer_id)
        except backend.BackendError:
            customer = None  # the answer that follows apologises for the backend
    if customer is not None:
        first_name = str(customer.get("first_name") or "")
        recalled_contact = (
            last_contact(contact, first_name, time.time(), language) if contact else None
        )
        if recalled_contact:
            response, variables = recalled_contact
            dispatcher.utter_message(response=response, **variables)
            record = variables["last_subject"].rsplit(" ", 1)[1]
            if record != asking_about and (contact or {}).get("outcome") != "resolved":
                for answer, values in await _current_state(record, customer_id, language) or []:
                    dispatcher.utter_message(response="utter_memory_since")
                    dispatcher.utter_message(response=answer, **values)
        elif events:
            dispatcher.utter_message(response="utter_memory_welcome", first_name=first_name)
        for event in events:
            response, variables = event_message(event, language)  # type: ignore[misc]
            dispatcher.utter_message(response=response, **variables)
            covered.append(event["id"])
    if covered:
        memory_client.later(
            "marking events as told", "mentioned", customer_id, conversation, covered
        )
