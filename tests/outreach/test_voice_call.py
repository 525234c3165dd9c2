"""An outreach call, in pieces: the plan round-trips through the voice webhook's URL
(and a malformed one is refused), the call's settings are checked at start, and the
TwiML an answered call gets says the voice wording of the disclosure and the message
inside a Gather whose answer goes on as the call's next turn."""

import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from connectors.speech import spoken_turn
from connectors.state import ChannelState
from connectors.voice import VoiceInput, customer_number
from connectors.voice_outreach import BadPlan, call_plan, call_url, plan_entities
from connectors.wording import say
from outreach.settings import SettingsError, load_settings

PLAN = {
    "plan": "12",
    "rule": "payment_failed",
    "response": "utter_outreach_payment_failed",
    "record": "INV-900022",
    "customer": "C-1008",
}
CALLS = {
    "OUTREACH_API_TOKEN": "the-outreach-token-1234",
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "twilio-token",
    "SWITCHBOARD_PUBLIC_URL": "https://switchboard.example.test",
    "TWILIO_VOICE_NUMBER": "+14155238887",
}


def test_the_plan_goes_to_twilio_in_the_webhook_url_and_comes_back() -> None:
    url = urlsplit(call_url("https://switchboard.example.test/", PLAN))
    assert (url.scheme, url.netloc, url.path) == (
        "https",
        "switchboard.example.test",
        "/webhooks/twilio_voice/webhook",
    )
    assert call_plan(dict(parse_qsl(url.query))) == PLAN
    assert call_plan({"turn": "0" * 16}) is None  # a call's later turn
    entities = {e["entity"]: e["value"] for e in plan_entities(PLAN)}
    assert entities["outreach_disclose"] == "yes"  # a call always says who calls


@pytest.mark.parametrize(
    "query,named",
    [
        ({**PLAN, "plan": "12; DROP"}, "outreach_plan"),
        ({**PLAN, "response": "utter_x<Say>"}, "outreach_response"),
        ({k: v for k, v in PLAN.items() if k != "rule"}, "outreach_rule"),
        ({**PLAN, "extra": "1"}, "outreach_extra"),
    ],
)
def test_a_malformed_plan_is_refused_naming_the_field(query: dict[str, str], named: str) -> None:
    with pytest.raises(BadPlan, match=named):
        call_plan({f"outreach_{k}": v for k, v in query.items()})


def test_the_customer_of_a_call_we_placed_is_the_number_called() -> None:
    ours, theirs = "+14155238887", "+447700900123"
    assert customer_number({"From": ours, "To": theirs, "Direction": "outbound-api"}) == theirs
    assert customer_number({"From": theirs, "To": ours, "Direction": "inbound"}) == theirs


def test_calls_are_off_without_a_number_and_need_the_account_with_one() -> None:
    assert not load_settings({"OUTREACH_API_TOKEN": "the-outreach-token-1234"}).calls
    assert load_settings(CALLS).calls
    for name, value, reason in (
        ("TWILIO_VOICE_NUMBER", "0044 7700", "+ and the country code"),
        ("TWILIO_ACCOUNT_SID", "", "calls need TWILIO_ACCOUNT_SID"),
        ("TWILIO_AUTH_TOKEN", "", "calls need TWILIO_AUTH_TOKEN"),
        ("SWITCHBOARD_PUBLIC_URL", "http://plain.example", "calls need SWITCHBOARD_PUBLIC_URL"),
    ):
        with pytest.raises(SettingsError, match="TWILIO_VOICE_NUMBER") as refused:
            load_settings({**CALLS, name: value})
        assert reason in str(refused.value)


def test_the_twiml_says_the_voice_wording_and_listens_for_the_answer(tmp_path: Path) -> None:
    spoken = spoken_turn(
        [
            say("utter_outreach_disclosure", "twilio_voice"),
            say(
                "utter_outreach_payment_failed",
                "twilio_voice",
                invoice_id="INV-900022",
                invoice_id_spoken="I N V 9 0 0 0 2 2",
            ),
        ]
    )
    state = ChannelState(f"sqlite:///{tmp_path / 'channels.db'}")
    voice = VoiceInput("twilio-token", "https://switchboard.example.test", state=state)
    gather = ET.fromstring(voice.twiml(spoken)).find("Gather")
    assert gather is not None
    assert gather.get("input") == "speech dtmf"
    action = urlsplit(gather.get("action") or "")
    assert action.path == "/webhooks/twilio_voice/webhook"
    assert not any(k.startswith("outreach_") for k, _ in parse_qsl(action.query))
    words = "".join(gather.find("Say").itertext())  # type: ignore[union-attr]
    assert "Brightwave's automated assistant" in words
    assert "Say stop to stop these calls" in words and "say agent" in words
    assert "update your card" in words and "INV-900022" not in words  # spelt out
