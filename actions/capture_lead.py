"""Store a prospect's lead once they said yes to the consent restated
(actions/lead_form.py asked). The consent goes with it: granted, the channel, the
consent text's version (lifecycle.yml) and when it was given (the yes's own time, so a
retried request is the same request). The idempotency key comes from (conversation,
action, contact, interest, that time): a retried or re-run request stores one lead.
The name and contact are cleared from the conversation's slots once sent; the outcome
holds the lead's id and the channel only."""

from datetime import UTC, datetime
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from actions import backend_client as backend
from actions.backend_writes import idempotency_key
from actions.failures import backend_trouble
from actions.journey import BACKEND, YES, Ending, JourneyEnd, serving
from actions.lead_form import CONFIRMED, CONTACT, GOAL, NAME, SLOTS, STOP, lead_words
from actions.lifecycle_config import lifecycle_config
from actions.outcomes import DECLINED, DONE, FAILED, UNAVAILABLE, record
from actions.slots import HUMAN_OFFERED

ACTION = "action_capture_lead"


def consent_time(tracker: Tracker) -> datetime:
    """When the customer said yes: the time of their latest message."""
    said: dict[str, Any] = next(
        (e for e in reversed(tracker.events) if e.get("event") == "user"), {}
    )
    stamp = said.get("timestamp")
    return datetime.fromtimestamp(float(stamp), UTC) if stamp else datetime.now(UTC)


class ActionCaptureLead(JourneyEnd):
    """Stores the consented lead, or says truthfully why nothing was kept."""

    action, slots, stop_slot = ACTION, SLOTS, STOP

    async def finish(self, ending: Ending) -> list[EventType]:
        dispatcher, tracker, events, stop = ending
        channel, contact = tracker.get_slot(CONTACT) or (None, None)

        def outcome(result: str, record_id: str | None = None, **detail: Any) -> EventType:
            return record(tracker, ACTION, GOAL, result, record_id, {"channel": channel, **detail})

        if stop == BACKEND:
            return events + backend_trouble(dispatcher, tracker) + [outcome(UNAVAILABLE)]
        if tracker.get_slot(CONFIRMED) != YES:
            dispatcher.utter_message(response="utter_lead_not_kept")
            return events + [outcome(DECLINED)]
        words = lead_words(tracker)
        given_at = consent_time(tracker)
        key = idempotency_key(
            tracker.sender_id, ACTION, str(contact), words["interest"], given_at.isoformat()
        )
        try:
            lead = await backend.call(
                backend.client().create_lead,
                key,
                str(tracker.get_slot(NAME)),
                str(channel),
                lifecycle_config().acquisition.consent_text_version,
                given_at,
                contact if channel == "email" else None,
                contact if channel == "phone" else None,
                words["interest"],
                serving(tracker),
            )
        except (backend.BackendRejected, backend.RecordNotFound):
            dispatcher.utter_message(response="utter_lead_refused_by_backend")
            return events + [SlotSet(HUMAN_OFFERED, True), outcome(FAILED, reason="rejected")]
        except backend.BackendError:
            return events + backend_trouble(dispatcher, tracker) + [outcome(UNAVAILABLE)]
        lead_id = str(lead["id"])
        dispatcher.utter_message(response="utter_lead_kept", lead_id=lead_id, **words)
        return events + [outcome(DONE, lead_id)]
