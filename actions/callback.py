"""A caller handed over outside support hours chooses how the team gets back to
them: a call back when it next opens, at a day and time they say, or (when the voice
channel can send one) a text message with their reference (actions/callback_time.py reads the answer). One answer is
confirmed in full and the call ends; an answer not understood is asked again once,
then the default (a call back when the team opens) is confirmed: never a loop.

The voice channel (connectors/voice.py) runs this action with the caller's words in
the `callback_answer` slot while the conversation is paused; the offer (the desk's
receipt: reference, next opening, hours) is in the `callback_offer` slot, set by the
hand-over. The choice is recorded as an outcome and added to the desk's packet.
"""

import logging
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client as backend
from actions import spoken
from actions.callback_time import CALL, MESSAGE, Choice, read_choice
from actions.desk_client import desk
from actions.language import conversation_language
from actions.outcomes import DONE, record
from actions.support_hours import clock_spoken, moment_words
from common.channel_metadata import CALLBACK_ANSWER, CALLBACK_DONE, CALLBACK_OFFER, SEND_AS_TEXT

logger = logging.getLogger(__name__)

ACTION = "action_callback_choice"
GOAL = "callback"


class ActionCallbackChoice(Action):
    """Reads the caller's choice, confirms it, records it and tells the desk."""

    def name(self) -> str:
        return ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        offer = tracker.get_slot(CALLBACK_OFFER)
        if not isinstance(offer, dict):
            return []
        hours, next_open = offer["hours"], offer.get("next_open")
        said = str(tracker.get_slot(CALLBACK_ANSWER) or "")
        language = conversation_language(tracker.slots)
        choice = read_choice(said, datetime.now(UTC), hours, next_open)
        if choice is not None and choice.by == MESSAGE and not offer.get("can_text"):
            choice = None  # not offered: nothing could send it
        if choice is None and not offer.get("asked_again"):
            dispatcher.utter_message(
                response="utter_callback_again"
                if offer.get("can_text")
                else "utter_callback_again_call",
                open_spoken=clock_spoken(hours["open"], language),
                close_spoken=clock_spoken(hours["close"], language),
            )
            return [
                SlotSet(CALLBACK_OFFER, {**offer, "asked_again": True}),
                SlotSet(CALLBACK_ANSWER, None),
            ]
        if choice is None:
            choice = Choice(CALL, datetime.fromisoformat(next_open) if next_open else None)
        self._confirm(dispatcher, offer, choice, language)
        at = choice.at.isoformat() if choice.at else None
        await self._tell_desk(offer.get("handoff_id"), {"at": at, "by": choice.by})
        return [
            record(
                tracker,
                ACTION,
                GOAL,
                DONE,
                offer.get("handoff_id"),
                {"callback_at": at, "by": choice.by},
            ),
            SlotSet(CALLBACK_OFFER, None),
            SlotSet(CALLBACK_ANSWER, None),
        ]

    @staticmethod
    def _confirm(
        dispatcher: CollectingDispatcher, offer: dict[str, Any], choice: Choice, language: str
    ) -> None:
        reference = offer["reference"]
        words = {"reference": reference, "reference_spoken": spoken.spell(reference)}
        if choice.by == MESSAGE:
            dispatcher.utter_message(
                response="utter_callback_text", **words, **{SEND_AS_TEXT: True}
            )
            dispatcher.utter_message(
                response="utter_callback_confirm_message", **words, **{CALLBACK_DONE: True}
            )
            return
        at = choice.at.astimezone(ZoneInfo(offer["hours"]["time_zone"])) if choice.at else None
        if at is None:
            dispatcher.utter_message(
                response="utter_callback_confirm_call_soon", **words, **{CALLBACK_DONE: True}
            )
            return
        written, said = moment_words(at, language)
        dispatcher.utter_message(
            response="utter_callback_confirm_call",
            at=written,
            at_spoken=said,
            **words,
            **{CALLBACK_DONE: True},
        )

    @staticmethod
    async def _tell_desk(handoff_id: str | None, callback: dict[str, Any]) -> None:
        """The choice goes into the packet the agent reads; a failure costs the agent
        that line (the outcome keeps it), never the caller their confirmation."""
        if not handoff_id:
            return
        try:
            await backend.call(desk().enrich, handoff_id, {"callback": callback})
        except backend.BackendError as error:
            logger.warning(
                "hand-over %s without its callback: %s", handoff_id, error.__class__.__name__
            )
