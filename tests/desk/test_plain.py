"""The packet in an agent's words (desk/plain.py), without a server: the reason from
escalation.yml's descriptions or the desk's wording, channel names, local times
with their age, the transcript with button payloads and option numbers turned
back into the titles the customer saw, and contact details."""

import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from actions.packet.account import NOT_VERIFIED_NOTE, empty_snapshot
from actions.packet.build import build_packet
from desk import plain
from desk.settings import ROOT, SettingsError, load_behaviour
from escalation.config import parse_escalation_config
from escalation.decision import Decision

from .support import behaviour

BERLIN = plain.zone("Europe/Berlin")
NEW_YORK = plain.zone("America/New_York")
SUNDAY_NIGHT = datetime(2026, 11, 29, 23, 58, tzinfo=UTC)  # Monday 00:58 in Berlin
MENU = "Sure. Is it about an order, a claim or an invoice?"
CHOICES = ["An order", "A claim", "An invoice"]


def line(speaker: str, text: str, minute: int = 0) -> dict:
    return {"from": speaker, "text": text, "at": f"2026-11-29T23:{minute:02d}:00+00:00"}


@pytest.mark.parametrize(
    ("channel", "name"),
    [
        ("socketio", "Web chat"),
        ("twilio", "WhatsApp"),
        ("twilio_voice", "Phone"),
        ("email", "E-mail"),
        ("rest", "API"),
        ("cmdline", "Cmdline"),
        ("", "Unknown"),
    ],
)
def test_channel_names_for_people(channel: str, name: str) -> None:
    assert plain.channel_name(channel) == name


def test_why_in_words_never_the_rule_internals() -> None:
    asked = {
        "reason_code": "human_requested",
        "rule": "human_request.intents",
        "values": {"intent": "request_human", "confidence": 0.9933338004554514},
    }
    words = plain.why(asked, {})
    assert words == "The customer asked to speak to a person."
    for internal in ("human_requested", "human_request.intents", "0.99", "request_human"):
        assert internal not in words
    fraud = {"reason_code": "sensitive_topic:fraud", "rule": "topics.fraud", "values": {}}
    assert "possible fraud" in plain.why(fraud, {})
    unknown = {"reason_code": "new_rule", "rule": "new_rule.limit", "values": {}}
    assert plain.why(unknown, {}) == "The assistant handed over: new rule."


def test_a_description_in_escalation_yml_wins(tmp_path: Path) -> None:
    """The project's escalation.yml with descriptions added: valid for the assistant's
    loader (which the desk shares), and read by the desk."""
    raw = yaml.safe_load((ROOT / "escalation.yml").read_text(encoding="utf-8"))
    raw["human_request"]["description"] = "Asked for a human being."
    raw["topics"]["fraud"]["description"] = "Fraud: the fraud team\n  calls back."
    raw["defaults"]["emotion"]["description"] = "Upset."
    config = tmp_path / "escalation.yml"
    config.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert (
        parse_escalation_config(raw).descriptions["topics.fraud"]
        == "Fraud: the fraud team calls back."
    )
    descriptions = plain.rule_descriptions(config)
    assert (
        plain.why({"reason_code": "human_requested", "rule": "human_request.intents"}, descriptions)
        == "Asked for a human being."
    )
    assert (
        plain.why({"reason_code": "sensitive_topic:fraud", "rule": "topics.fraud"}, descriptions)
        == "Fraud: the fraud team calls back."
    )
    assert (
        plain.why(
            {"reason_code": "negative_emotion", "rule": "emotion.turn_threshold"}, descriptions
        )
        == "Upset."
    )
    # The project's file, whatever it holds, gives a sentence for every rule.
    assert plain.why({"reason_code": "turn_limit", "rule": "turn_limit.max_user_turns"})
    assert plain.rule_descriptions(tmp_path / "missing.yml") == {}
    (tmp_path / "broken.yml").write_text("defaults: [", encoding="utf-8")
    assert plain.rule_descriptions(tmp_path / "broken.yml") == {}


def test_evidence_is_the_customers_words() -> None:
    assert (
        plain.why_evidence({"values": {"phrase": "talk to a person"}})
        == 'They wrote "talk to a person".'
    )
    assert plain.why_evidence({"values": {"confidence": 0.99}}) is None


def test_times_in_the_support_hours_zone_with_their_age() -> None:
    stamp = "2026-11-29T23:46:00+00:00"
    assert plain.local_time(stamp, BERLIN) == "Mon 30 Nov, 00:46 CET"
    assert plain.local_time("2026-07-01T10:00:00Z", BERLIN) == "Wed 1 Jul, 12:00 CEST"
    assert plain.local_time(stamp, NEW_YORK) == "Sun 29 Nov, 18:46 EST"
    assert plain.local_time(None, BERLIN) is None
    assert plain.age(stamp, SUNDAY_NIGHT) == "12 min ago"
    assert plain.age("2026-11-29T23:57:40+00:00", SUNDAY_NIGHT) == "just now"
    assert plain.age("2026-11-29T20:53:00+00:00", SUNDAY_NIGHT) == "3 h 5 min ago"
    assert plain.age("2026-11-29T21:58:00+00:00", SUNDAY_NIGHT) == "2 h ago"
    assert plain.age("2026-11-27T10:00:00+00:00", SUNDAY_NIGHT) == "2 days ago"


def test_a_tapped_button_is_its_title_on_web_chat() -> None:
    shown = plain.transcript(
        [
            line("customer", "/greet", 1),
            line("assistant", "Hi!", 1),
            line("customer", "I have a question", 2),
            line("assistant", MENU, 2),
            line("customer", "/check_claim_status", 3),
        ],
        "socketio",
        BERLIN,
    )
    assert [entry["text"] for entry in shown] == [
        "(opened the conversation)",
        "Hi!",
        "I have a question",
        MENU,
        "A claim",
    ]
    assert shown[3]["options"] == CHOICES
    assert shown[4]["note"] == "tapped a button"
    assert shown[4]["at"] == "Mon 30 Nov, 00:03 CET"
    assert not any(entry["text"].startswith("/") for entry in shown)


@pytest.mark.parametrize("channel", ["twilio", "twilio_voice", "email"])
def test_an_option_number_is_its_title_on_channels_without_buttons(channel: str) -> None:
    # The channel turns "2" into the payload before Rasa; a number it did not
    # recognise (or one written in words) arrives as the customer sent it.
    shown = plain.transcript(
        [
            line("assistant", MENU),
            line("customer", "/check_claim_status"),
            line("assistant", MENU),
            line("customer", "three"),
            line("assistant", MENU),
            line("customer", "7"),
        ],
        channel,
        BERLIN,
    )
    assert [(entry["text"], entry["note"]) for entry in shown if entry["from"] == "customer"] == [
        ("A claim", "chose option 2"),
        ("An invoice", "chose option 3"),
        ("7", None),
    ]


def test_a_payload_without_the_offer_before_it() -> None:
    shown = plain.transcript(
        [
            line("assistant", "Something else"),
            line("customer", "/check_invoice"),
            line("customer", "/request_human"),
        ],
        "socketio",
        BERLIN,
    )
    assert [(entry["text"], entry["note"]) for entry in shown[1:]] == [
        ("A question about an invoice", "tapped a button"),
        ("Talk to a person", "tapped a button"),
    ]
    unknown = plain.transcript(
        [line("customer", "hi"), line("customer", "/restart")], "socketio", BERLIN
    )
    assert (unknown[1]["text"], unknown[1]["note"]) == ("(restart)", "sent by the page, not typed")


CLARIFY = "Sorry, I'm not sure I understood. Did you mean one of these?"


@pytest.mark.parametrize(
    "channel, note", [("socketio", "tapped a button"), ("twilio", "chose an option")]
)
def test_a_clarifying_option_is_the_title_the_action_gave_it(channel: str, note: str) -> None:
    # The clarifying action picks its buttons per turn (actions/clarify.py): their
    # titles are known, not which were offered in which order.
    shown = plain.transcript(
        [
            line("customer", "order, claim, invoice, whatever"),
            line("assistant", CLARIFY),
            line("customer", "/check_claim_status"),
            line("assistant", CLARIFY),
            line("customer", "2"),
        ],
        channel,
        BERLIN,
    )
    assert shown[1]["options"] == []
    assert (shown[2]["text"], shown[2]["note"]) == ("How is my claim going?", note)
    assert (shown[4]["text"], shown[4]["note"]) == ("2", None)


def test_the_clarify_titles_are_the_domains() -> None:
    domain = {"responses": {"utter_option_greet": [{"text": "Hello"}], "utter_greet": [{}]}}
    assert plain.clarify_labels(domain) == {"greet": "Hello"}
    assert plain.clarify_labels(None) == {}
    assert (
        plain.clarify_labels(yaml.safe_load(plain.DOMAIN_FILE.read_text()))["check_claim_status"]
        == "How is my claim going?"
    )


def test_a_typed_number_without_an_offer_stays_as_typed() -> None:
    shown = plain.transcript([line("assistant", "Hi!"), line("customer", "2")], "twilio", BERLIN)
    assert shown[1]["text"] == "2" and shown[1]["note"] is None


def test_contact_details_and_the_callback_number() -> None:
    assert plain.contact({"verified": False}, "twilio_voice") == {
        "details": [],
        "callback_number": None,
        "missing": "The packet holds no number to call back.",
    }
    assert (
        plain.contact({"verified": False}, "socketio")["missing"]
        == "The packet holds no contact details."
    )
    caller = plain.contact(
        {"contact": {"email": "noah@example.com", "callback_number": "+4930123456"}}, "twilio_voice"
    )
    assert caller["callback_number"] == "+4930123456" and caller["missing"] is None
    assert {"label": "E-mail", "value": "noah@example.com"} in caller["details"]


def test_the_view_of_a_real_packet() -> None:
    decision = Decision(
        True,
        False,
        "human_requested",
        "human_request.intents",
        {"intent": "request_human", "confidence": 0.9933338004554514},
        emotion_score=0.0,
        low_confidence=False,
    )
    at = SUNDAY_NIGHT.timestamp() - 600
    events = [
        {
            "event": "user",
            "text": "/greet",
            "input_channel": "twilio",
            "timestamp": at,
            "parse_data": {"intent": {"name": "greet", "confidence": 1.0}},
        },
        {"event": "bot", "text": MENU, "timestamp": at + 1},
        {
            "event": "user",
            "text": "/check_claim_status",
            "input_channel": "twilio",
            "timestamp": at + 2,
            "parse_data": {"intent": {"name": "check_claim_status"}},
        },
        {
            "event": "user",
            "text": "I want a person",
            "input_channel": "twilio",
            "timestamp": at + 3,
            "parse_data": {"intent": {"name": "request_human"}},
        },
    ]
    tracker = {
        "sender_id": "whatsapp-1",
        "slots": {},
        "events": events,
        "latest_input_channel": "twilio",
    }
    packet = build_packet(tracker, decision, empty_snapshot(NOT_VERIFIED_NOTE), None, SUNDAY_NIGHT)
    view = plain.plain_view(
        packet, "2026-11-29T23:46:00+00:00", SUNDAY_NIGHT, BERLIN, "2026-11-30T08:00:00+01:00"
    )
    assert (view["channel"], view["why"], view["age"], view["received"]) == (
        "WhatsApp",
        "The customer asked to speak to a person.",
        "12 min ago",
        "Mon 30 Nov, 00:46 CET",
    )
    assert [entry["text"] for entry in view["transcript"]] == [
        "(opened the conversation)",
        MENU,
        "A claim",
        "I want a person",
    ]
    assert view["human_available_at"] == "Mon 30 Nov, 08:00 CET"


def test_the_support_hours_are_validated(tmp_path: Path) -> None:
    """The desk's hours (its page's time zone too) stop the start naming the key."""
    settings = tmp_path / "settings.yml"
    settings.write_text(behaviour())
    assert load_behaviour(settings).hours.zone == ZoneInfo("Europe/Berlin")
    for hours, problem in [
        (
            '{time_zone: Mars/Olympus, days: [mon], open: "08:00", close: "20:00"}',
            "hours.time_zone: 'Mars/Olympus' is not a time zone",
        ),
        ('{days: [monday], open: "08:00", close: "20:00"}', "hours.days.0: unexpected value"),
        ('{days: [], open: "08:00", close: "20:00"}', "hours.days: ensure this value has at"),
        ('{days: [mon], open: "8 am", close: "20:00"}', "hours.open: '8 am' is not a time of day"),
        (
            '{days: [mon], open: "20:00", close: "08:00"}',
            "hours.close: closes at 08:00, not after it opens at 20:00",
        ),
        (
            '{days: [mon], open: "08:00", close: "20:00", lunch: "12:00"}',
            "hours.lunch: extra fields not permitted",
        ),
    ]:
        settings.write_text(behaviour(f"hours: {hours}\n"))
        with pytest.raises(SettingsError, match=re.escape(problem)):
            load_behaviour(settings)


def test_the_agent_messages_are_validated(tmp_path: Path) -> None:
    settings = tmp_path / "settings.yml"
    shipped = behaviour()
    settings.write_text(shipped.replace("{agent} from Brightwave", "{agnet} from Brightwave"))
    with pytest.raises(
        SettingsError, match=re.escape("agent_messages.joined: unknown placeholder {agnet}")
    ):
        load_behaviour(settings)
    settings.write_text(shipped.replace('  closed: "Thank', '  closed: "{ Thank'))
    with pytest.raises(SettingsError, match=r"agent_messages.closed: .* is not a template"):
        load_behaviour(settings)


def test_a_callers_choice_of_a_call_back_is_said_in_local_time() -> None:
    assert plain.callback(None, BERLIN) is None
    assert plain.callback({"at": "2026-11-30T09:30:00+00:00", "by": "call"}, BERLIN) == (
        "Call back on this number: Mon 30 Nov, 10:30 CET."
    )
    assert "text message" in (plain.callback({"at": None, "by": "message"}, BERLIN) or "")


def test_the_customers_earlier_contacts_are_one_line_each_in_local_time() -> None:
    items = [
        {
            "kind": "contact",
            "at": "2026-11-29T23:50:00+00:00",
            "channel": "twilio_voice",
            "outcome": "open",
            "summary": "verify identity",
            "this_conversation": True,
        },
        {
            "kind": "event",
            "at": "2026-11-28T10:00:00+00:00",
            "channel": None,
            "outcome": "not_told",
            "summary": "Payment failed: INV-900043 (card expired)",
            "this_conversation": False,
        },
        {
            "kind": "contact",
            "at": "2026-11-27T09:30:00+00:00",
            "channel": "twilio",
            "outcome": "handed_over",
            "summary": "<b>check claim status</b> CLM-70001: answered",
            "this_conversation": False,
        },
    ]
    assert plain.history(items, BERLIN) == [
        "Phone · Mon 30 Nov, 00:50 CET · this conversation · verify identity",
        "Event · Sat 28 Nov, 11:00 CET · not yet told to the customer · "
        "Payment failed: INV-900043 (card expired)",
        # Text stays text: the page sets it as textContent, never as markup.
        "WhatsApp · Fri 27 Nov, 10:30 CET · handed to a person · "
        "<b>check claim status</b> CLM-70001: answered",
    ]
    assert plain.history(None, BERLIN) == [plain.NO_HISTORY]
    assert plain.history([], BERLIN) == []
