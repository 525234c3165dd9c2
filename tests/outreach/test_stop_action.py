"""action_outreach_stop against the real backend and the real outreach API: a STOP on
WhatsApp from a customer's number opts them out on every channel (so e-mail outreach
stops too), once per message; nobody is opted out on a client's word; a down API is
said, not hidden."""

from collections.abc import Iterator

import pytest
import requests

from actions import outreach_client
from actions.outreach_stop import ActionOutreachStop
from actions.slots import VERIFIED_CUSTOMER_ID
from common.channel_metadata import CHANNEL_NUMBER
from stack.config import StackConfig, isolated_config
from stack.launch import start_outreach
from stack.processes import Service, free_port
from tests.unit.actions.conftest import backend, configured, outcomes, run, tracker

__all__ = ["backend", "configured"]  # the action tests' fixtures: the real backend


@pytest.fixture(scope="module")
def outreach(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackConfig]:
    config = isolated_config(tmp_path_factory.mktemp("outreach-action"))
    service: Service = start_outreach(config)
    yield config
    service.stop()


@pytest.fixture
def api(outreach: StackConfig, configured: pytest.MonkeyPatch) -> Iterator[StackConfig]:
    configured.setenv("OUTREACH_URL", outreach.outreach_url)
    configured.setenv("OUTREACH_API_TOKEN", outreach.outreach_api_token)
    outreach_client.client.cache_clear()
    yield outreach
    outreach_client.client.cache_clear()


def consent(config: StackConfig, customer: str) -> dict:
    answer = requests.get(
        f"{config.outreach_url}/customers/{customer}/consent",
        headers={"Authorization": f"Bearer {config.outreach_api_token}"},
        timeout=10,
    )
    answer.raise_for_status()
    return answer.json()


def test_stop_on_whatsapp_stops_email_outreach_too(api: StackConfig) -> None:
    assert consent(api, "C-1001")["consent"]["service"]["email"] is True
    stop = tracker(
        text="STOP",
        intent="stop_outreach",
        channel="twilio",
        metadata={CHANNEL_NUMBER: "+447700998515"},  # C-1001's WhatsApp number
    )
    events, said = run(ActionOutreachStop(), stop)
    assert said == [("utter_outreach_stopped", {})]
    assert outcomes(events) == [("action_outreach_stop", "stop_outreach", "done")]
    after = consent(api, "C-1001")
    for purpose in ("service", "marketing"):
        assert after["consent"][purpose] == {"whatsapp": False, "email": False, "voice": False}
    # The same message delivered again (a webhook retry) is recorded once.
    run(ActionOutreachStop(), stop)
    assert len(consent(api, "C-1001")["history"]) == len(after["history"])


def test_a_verified_customer_on_web_chat_is_opted_out(api: StackConfig) -> None:
    _, said = run(
        ActionOutreachStop(),
        tracker({VERIFIED_CUSTOMER_ID: "C-1002"}, text="unsubscribe", channel="socketio"),
    )
    assert said == [("utter_outreach_stopped", {})]
    history = consent(api, "C-1002")["history"]
    assert {h["source"] for h in history[-6:]} == {"customer:socketio"}


@pytest.mark.parametrize(
    "channel,metadata",
    [
        ("rest", {CHANNEL_NUMBER: "+447700998515"}),  # a REST client names any number
        ("email", {}),  # a From address is forgeable
        ("twilio", {CHANNEL_NUMBER: "+15550000000"}),  # nobody's number
    ],
)
def test_nobody_is_opted_out_on_an_unproven_word(
    api: StackConfig, channel: str, metadata: dict
) -> None:
    before = consent(api, "C-1003")["history"]
    events, said = run(
        ActionOutreachStop(),
        tracker(text="stop messaging me", channel=channel, metadata=metadata, sender="x-1003"),
    )
    assert said == [("utter_outreach_stop_who", {})]
    assert outcomes(events) == [("action_outreach_stop", "stop_outreach", "refused")]
    assert consent(api, "C-1003")["history"] == before


def test_an_unreachable_api_is_said_and_recorded(configured: pytest.MonkeyPatch) -> None:
    configured.setenv("OUTREACH_URL", f"http://127.0.0.1:{free_port()}")
    configured.setenv("OUTREACH_API_TOKEN", "t" * 24)
    outreach_client.client.cache_clear()
    try:
        events, said = run(
            ActionOutreachStop(), tracker({VERIFIED_CUSTOMER_ID: "C-1004"}, text="STOP")
        )
    finally:
        outreach_client.client.cache_clear()
    assert said == [("utter_outreach_stop_failed", {})]
    assert outcomes(events) == [("action_outreach_stop", "stop_outreach", "unavailable")]


def test_a_wrong_token_is_refused_and_said(
    api: StackConfig, configured: pytest.MonkeyPatch
) -> None:
    configured.setenv("OUTREACH_API_TOKEN", "not-the-token-of-outreach")
    outreach_client.client.cache_clear()
    before = consent(api, "C-1005")["history"]
    _, said = run(ActionOutreachStop(), tracker({VERIFIED_CUSTOMER_ID: "C-1005"}, text="STOP"))
    assert said == [("utter_outreach_stop_failed", {})]
    assert consent(api, "C-1005")["history"] == before


def test_stop_replied_in_an_outreach_emails_conversation_opts_its_customer_out(
    api: StackConfig,
) -> None:
    """Only outreach (with Rasa's API token) triggers EXTERNAL_outreach, and an e-mail
    reply reaches that conversation only from the address in the unguessable thread."""
    stop = tracker(text="STOP", intent="stop_outreach", channel="email", sender="email-x")
    outreach = {
        "event": "user",
        "text": "EXTERNAL: EXTERNAL_outreach",
        "timestamp": 1.5,
        "parse_data": {
            "intent": {"name": "EXTERNAL_outreach"},
            "entities": [{"entity": "outreach_customer", "value": "C-1007"}],
        },
    }
    stop.events.insert(len(stop.events) - 1, outreach)
    events, said = run(ActionOutreachStop(), stop)
    assert said == [("utter_outreach_stopped", {})]
    assert outcomes(events) == [
        (
            "action_outreach_stop",
            "stop_outreach",
            "done",
        )
    ]
    after = consent(api, "C-1007")["consent"]
    assert after["service"] == {"whatsapp": False, "email": False, "voice": False}
