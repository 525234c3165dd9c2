"""WhatsApp's 24-hour window: a business may write freely to a customer only within 24
hours of the customer's last message to it; outside, only a pre-approved template.

The window is read from the conversation itself (Rasa's tracker of the customer's
WhatsApp conversation, which outreach reads before every send anyway): the latest
message the customer sent on WhatsApp, never a turn another system started there (an
outreach message, a business event told live: Rasa marks those `is_external`).
"""

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from outreach.config import WhatsAppTemplate
from outreach.plans import Plan

WINDOW = timedelta(hours=24)
# The WhatsApp connector's input channel name (connectors/whatsapp.py).
WHATSAPP_INPUT = "twilio"


def last_inbound(events: Iterable[Mapping[str, Any]]) -> datetime | None:
    """When the customer last wrote on WhatsApp in these tracker events (None: never)."""
    latest: float | None = None
    for event in events:
        if (
            event.get("event") == "user"
            and event.get("input_channel") == WHATSAPP_INPUT
            and not (event.get("metadata") or {}).get("is_external")
            and isinstance(event.get("timestamp"), (int, float))
        ):
            latest = max(latest or 0.0, float(event["timestamp"]))
    return None if latest is None else datetime.fromtimestamp(latest, UTC)


def needs_template(last: datetime | None, now: datetime) -> bool:
    """Whether only a template may go out now: no message from the customer, or their
    last one is 24 hours old or older."""
    return last is None or now - last >= WINDOW


def template_entity(template: WhatsAppTemplate, plan: Plan) -> str:
    """The template as the outreach action passes it to the WhatsApp channel (JSON):
    its content SID and each placeholder filled with the plan's value."""
    values = {"record": plan.record or ""}
    return json.dumps(
        {
            "content_sid": template.content_sid,
            "variables": {key: values[name] for key, name in template.variables.items()},
        },
        sort_keys=True,
    )
