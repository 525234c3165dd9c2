"""WhatsApp's 24-hour window: read from the conversation's tracker (the customer's own
WhatsApp messages, never an outreach or event turn), and the choice between the free-form
message and the rule's approved template, down to what outreach asks Rasa to run."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from outreach.config import WhatsAppTemplate, load_config
from outreach.delivery import RasaDelivery
from outreach.plans import Plan
from outreach.whatsapp_window import last_inbound, needs_template, template_entity
from tests.outreach.rasa_fake import TOKEN, RasaStandIn

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
TEMPLATE = WhatsAppTemplate(content_sid="HX" + "ab" * 16, variables={"1": "record"})


def user(at: datetime, channel: str = "twilio", external: bool = False) -> dict[str, Any]:
    return {
        "event": "user",
        "timestamp": at.timestamp(),
        "input_channel": channel,
        "metadata": {"is_external": True} if external else {},
    }


def plan(plan_id: int = 1) -> Plan:
    return Plan(
        plan_id,
        "payment_failed",
        1,
        "payment_failed",
        "C-1021",
        "INV-900055",
        NOW,
        "sending",
        0,
        "whatsapp",
        True,
    )


def test_the_window_is_the_customers_own_latest_whatsapp_message() -> None:
    own = NOW - timedelta(hours=30)
    events = [
        user(own),
        user(NOW - timedelta(hours=1), external=True),  # an outreach message, not theirs
        user(NOW - timedelta(hours=2), channel="rest"),  # another channel's conversation
        {"event": "bot", "timestamp": NOW.timestamp()},
    ]
    assert last_inbound(events) == own
    assert last_inbound([]) is None


def test_a_template_only_outside_24_hours_or_without_any_message() -> None:
    assert needs_template(None, NOW)
    assert needs_template(NOW - timedelta(days=2), NOW)
    assert needs_template(NOW - timedelta(hours=24), NOW)
    assert not needs_template(NOW - timedelta(hours=23, minutes=59), NOW)
    assert not needs_template(NOW - timedelta(hours=1), NOW)


def test_the_template_is_filled_with_the_plans_record() -> None:
    assert json.loads(template_entity(TEMPLATE, plan())) == {
        "content_sid": TEMPLATE.content_sid,
        "variables": {"1": "INV-900055"},
    }


def test_every_shipped_whatsapp_rule_has_its_template() -> None:
    rules = load_config().rules.values()
    assert all(r.whatsapp_template for r in rules if "whatsapp" in r.channels)


def test_rasa_is_asked_for_the_template_only_outside_the_window() -> None:
    """Over Rasa's wire format (its stand-in): the tracker read before the send decides."""
    with RasaStandIn() as rasa:
        delivery = RasaDelivery(rasa.url, TOKEN, wait=0.01)
        rasa.trackers["seen-2-days-ago"] = [user(NOW - timedelta(days=2))]
        rasa.trackers["seen-1-hour-ago"] = [user(NOW - timedelta(hours=1))]
        for conversation, number in (("seen-2-days-ago", 1), ("seen-1-hour-ago", 2)):
            delivery.send(
                plan(number),
                conversation,
                "utter_outreach_payment_failed",
                True,
                template=TEMPLATE,
                now=NOW,
            )
        [old] = rasa.sent("seen-2-days-ago")
        [recent] = rasa.sent("seen-1-hour-ago")
    assert json.loads(old["outreach_template"])["content_sid"] == TEMPLATE.content_sid
    assert "outreach_template" not in recent
