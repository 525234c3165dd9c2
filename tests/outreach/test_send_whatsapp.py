"""End to end through the whole stack and Twilio's stand-in: a signed `payment_failed`
event ingested by the memory becomes a WhatsApp message from the outreach service
(through Rasa's trigger_intent and the WhatsApp connector) with the disclosure and the
opt-out; the customer's "yes" leads into the payment-method update and its secure
link; the decision log says what was decided, over the API."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from outreach.config import DEFAULT_PATH
from stack.config import StackConfig, isolated_config
from tests.channels.twilio_fake import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PUBLIC_URL,
    WHATSAPP_NUMBER,
    TwilioApi,
)
from tests.memory.support import EVENT_SECRETS, payment_failed, post_event
from tests.outreach.support import wait_for
from tests.support.channels import WhatsAppChat
from tests.support.crm import customer
from tests.support.stack import API_TOKEN, Stack, running_stack

CUSTOMER, INVOICE = "C-1021", "INV-900055"  # London; a failed payment in the fixture


def rules_now(home: Path) -> Path:
    """outreach.yml sending at once (no delay) and quiet hours far from now, whenever
    the test runs (every fixture customer lives within two hours of UTC)."""
    raw = yaml.safe_load(DEFAULT_PATH.read_text())
    raw["rules"]["payment_failed"]["delay_minutes"] = 0
    now = datetime.now(UTC)
    raw["quiet_hours"] = {
        "start": (now + timedelta(hours=8)).strftime("%H:00"),
        "end": (now + timedelta(hours=9)).strftime("%H:00"),
    }
    path = home / "outreach.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True))
    return path


@pytest.fixture(scope="module")
def twilio_api() -> Iterator[TwilioApi]:
    with TwilioApi() as api:
        yield api


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, twilio_api: TwilioApi) -> Iterator[Stack]:
    home = tmp_path_factory.mktemp("outreach-stack")
    config = isolated_config(
        home,
        {
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_WHATSAPP_NUMBER": WHATSAPP_NUMBER,
            "TWILIO_API_URL": twilio_api.url,
            "SWITCHBOARD_PUBLIC_URL": PUBLIC_URL,
            "MEMORY_EVENT_SECRETS": EVENT_SECRETS,
            "OUTREACH_CONFIG": str(rules_now(home)),
            "OUTREACH_POLL_SECONDS": "1",
        },
        rasa_api_token=API_TOKEN,
    )
    with running_stack(config) as running:
        yield running


def decisions(config: StackConfig, customer_id: str) -> list[dict[str, Any]]:
    answer = requests.get(
        f"{config.outreach_url}/customers/{customer_id}/decisions",
        headers={"Authorization": f"Bearer {config.outreach_api_token}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["decisions"]


def test_a_failed_payment_reaches_whatsapp_and_a_yes_gets_the_secure_link(
    stack: Stack, twilio_api: TwilioApi
) -> None:
    config = stack.config
    owner = customer(CUSTOMER)
    chat = WhatsAppChat(stack, twilio_api, owner["whatsapp"])
    assert chat.say("hello")  # the number writes once: the channel knows the conversation
    # The fixture's own payment_failed for this customer came before any WhatsApp
    # conversation was known: nowhere to send it.
    [first] = wait_for(lambda: decisions(config, CUSTOMER))
    assert (first["action"], first["reason"]) == ("suppressed", "no_channel")
    assert first["skipped"] == [
        ["whatsapp", "no_address"],
        ["email", "no_address"],
        [
            "voice",
            "no_address",
        ],
    ]
    # A trusted integration vouches for the number's conversation being the customer's.
    linked = requests.put(
        f"{config.memory_url}/customers/{CUSTOMER}/links",
        json={
            "channel": "twilio",
            "identity": chat.conversation,
            "confirmed_by": "trusted_integration",
        },
        headers={"Authorization": f"Bearer {config.memory_api_token}"},
        timeout=10,
    )
    assert linked.status_code == 200, linked.text
    stored = post_event(config.memory_url, payment_failed(CUSTOMER, INVOICE, "card expired"))
    assert stored.status_code == 201, stored.text

    said = " ".join(wait_for(lambda: twilio_api.take(chat.sender), timeout=60))
    assert "Brightwave's automated assistant" in said
    assert "Reply STOP" in said and "HUMAN" in said
    assert INVOICE in said and "update your card" in said
    [_, sent] = decisions(config, CUSTOMER)
    assert (sent["action"], sent["channel"], sent["response"]) == (
        "sent",
        "whatsapp",
        "utter_outreach_payment_failed",
    )

    asked = " ".join(chat.say("yes"))
    assert "postcode" in asked and "https://" not in asked
    answer = " ".join(chat.say(owner["postcode"]))
    assert INVOICE in answer and "https://" in answer
    assert len(decisions(config, CUSTOMER)) == 2  # nothing sent twice meanwhile
