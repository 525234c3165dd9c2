"""The outreach message action: the disclosure when the plan asks for it, only the
outreach responses it knows, and a "yes" that carries the failed invoice into the
payment-method update."""

import asyncio
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.outreach_message import ActionOutreachAccept, ActionOutreachMessage


def outreach_turn(**plan: str) -> dict[str, Any]:
    entities = [{"entity": f"outreach_{k}", "value": v} for k, v in plan.items()]
    return {
        "event": "user",
        "text": "EXTERNAL: EXTERNAL_outreach",
        "parse_data": {"intent": {"name": "EXTERNAL_outreach"}, "entities": entities},
    }


def tracker(*events: dict[str, Any]) -> Tracker:
    users = [e for e in events if e["event"] == "user"]
    latest = users[-1]["parse_data"] if users else {}
    return Tracker("whatsapp-1", {}, latest, list(events), False, None, {}, "")


def run(action: Any, at: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, at, {}))
    return dispatcher.messages, events


def slots(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        e["name"]: e["value"] for e in events if e["event"] == "slot" and e["name"] != "outcomes"
    }


def test_the_first_message_says_who_sends_it_then_offers_help() -> None:
    turn = outreach_turn(
        plan="7", response="utter_outreach_payment_failed", record="INV-900055", disclose="yes"
    )
    said, events = run(ActionOutreachMessage(), tracker(turn))
    assert [m["response"] for m in said] == [
        "utter_outreach_disclosure",
        "utter_outreach_payment_failed",
    ]
    assert said[1]["invoice_id"] == "INV-900055"
    assert slots(events) == {"outreach_payment_offered": True}


def test_a_later_message_has_no_disclosure_and_a_delay_offers_nothing() -> None:
    turn = outreach_turn(
        plan="8", response="utter_outreach_shipment_delayed", record="BW-100002", disclose="no"
    )
    said, events = run(ActionOutreachMessage(), tracker(turn))
    assert [m["response"] for m in said] == ["utter_outreach_shipment_delayed"]
    assert slots(events) == {"outreach_payment_offered": False}


def test_the_condition_rules_say_their_reminder_and_check_in() -> None:
    reminder = outreach_turn(
        plan="9", response="utter_outreach_activation_reminder", record="POL-50008", disclose="no"
    )
    [said], events = run(ActionOutreachMessage(), tracker(reminder))
    assert (said["response"], said["policy_id"]) == (
        "utter_outreach_activation_reminder",
        "POL-50008",
    )
    assert said["policy_id_spoken"] != "POL-50008"  # spelled out for a voice call
    checkin = outreach_turn(plan="10", response="utter_outreach_checkin", record="C-1001")
    [said], events = run(ActionOutreachMessage(), tracker(checkin))
    assert said["response"] == "utter_outreach_checkin"
    assert slots(events) == {"outreach_payment_offered": False}


def test_an_unknown_response_or_a_malformed_invoice_says_nothing() -> None:
    for plan in (
        {"response": "utter_greet", "record": "INV-900055"},
        {"response": "utter_outreach_payment_failed", "record": "INV-9; DROP"},
        {"response": "utter_outreach_activation_reminder", "record": "INV-900055"},
    ):
        said, events = run(ActionOutreachMessage(), tracker(outreach_turn(**plan)))
        assert (said, events) == ([], []), plan


def test_yes_carries_the_outreachs_invoice_into_the_payment_update() -> None:
    turn = outreach_turn(response="utter_outreach_payment_failed", record="INV-900055")
    yes = {"event": "user", "text": "yes", "parse_data": {"intent": {"name": "affirm"}}}
    said, events = run(ActionOutreachAccept(), tracker(turn, yes))
    assert said == []
    assert slots(events) == {
        "outreach_payment_offered": False,
        "request_topic": "invoice",
        "invoice_id": "INV-900055",
        "payment_method_update": True,
    }


def test_the_payment_link_counts_a_yes_to_the_offer_as_asking_for_it() -> None:
    from actions.payment_link import latest_goal

    turn = outreach_turn(response="utter_outreach_payment_failed", record="INV-900055")
    yes = {"event": "user", "text": "yes", "parse_data": {"intent": {"name": "affirm"}}}
    accepted = {"event": "action", "name": "action_outreach_accept"}
    assert latest_goal(tracker(turn, yes)) is None
    assert latest_goal(tracker(turn, yes, accepted)) == "update_payment_method"
    later = {"event": "user", "parse_data": {"intent": {"name": "check_order_status"}}}
    assert latest_goal(tracker(turn, yes, accepted, later)) == "check_order_status"


TEMPLATE = '{"content_sid": "HX' + "ab" * 16 + '", "variables": {"1": "INV-900055"}}'


def test_outside_the_window_both_messages_are_marked_for_the_template() -> None:
    """Both are said (the conversation holds what the customer reads); the disclosure is
    marked as said by the template, the message carries the template to send instead."""
    turn = outreach_turn(
        plan="9",
        response="utter_outreach_payment_failed",
        record="INV-900055",
        disclose="yes",
        template=TEMPLATE,
    )
    said, _ = run(ActionOutreachMessage(), tracker(turn))
    assert [m["response"] for m in said] == [
        "utter_outreach_disclosure",
        "utter_outreach_payment_failed",
    ]
    assert said[0]["whatsapp_in_template"] is True and "whatsapp_template" not in said[0]
    assert said[1]["whatsapp_template"] == {
        "content_sid": "HX" + "ab" * 16,
        "variables": {"1": "INV-900055"},
    }


def test_a_malformed_template_sends_nothing_rather_than_free_form() -> None:
    for template in ("{", '{"content_sid": "SM1", "variables": {}}', '{"content_sid": 1}'):
        turn = outreach_turn(
            plan="10",
            response="utter_outreach_payment_failed",
            record="INV-900055",
            disclose="no",
            template=template,
        )
        assert run(ActionOutreachMessage(), tracker(turn)) == ([], [])


def test_the_message_is_in_the_customers_recorded_language_unless_the_conversation_has_one() -> (
    None
):
    turn = outreach_turn(
        plan="9",
        response="utter_outreach_payment_failed",
        record="INV-900055",
        disclose="yes",
        language="de",
    )
    said, events = run(ActionOutreachMessage(), tracker(turn))
    assert [m.get("language") for m in said] == ["de", "de"]
    assert slots(events)["language"] == "de"
    english = Tracker(
        "whatsapp-1", {"language": "en"}, turn["parse_data"], [turn], False, None, {}, ""
    )
    said, events = run(ActionOutreachMessage(), english)
    assert [m.get("language") for m in said] == [None, None]
    assert "language" not in slots(events)
