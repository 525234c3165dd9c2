"""End to end through the whole stack and Twilio's stand-in: a signed `payment_failed`
event ingested by the memory becomes a WhatsApp message from the outreach service
(through Rasa's trigger_intent and the WhatsApp connector) with the disclosure and the
opt-out; the customer's "yes" leads into the payment-method update and its secure
link; the decision log says what was decided, over the API. A customer last seen on
WhatsApp two days ago gets the rule's approved template instead (one seen an hour ago,
the free-form message); a customer reachable only by phone gets a call whose TwiML
says the disclosure, and their "yes" goes on in the call."""

import dataclasses
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import yaml

from outreach.config import DEFAULT_PATH
from stack.config import StackConfig, isolated_config
from stack.launch import outreach
from tests.channels.twilio_fake import (
    ACCOUNT_SID,
    PUBLIC_URL,
    VOICE_NUMBER,
    TwilioApi,
    TwilioWebhook,
    whatsapp_env,
)
from tests.memory.support import EVENT_SECRETS, payment_failed, post_event
from tests.outreach.support import rules_now, wait_for
from tests.support.channels import WhatsAppChat, age_conversation
from tests.support.crm import customer
from tests.support.stack import API_TOKEN, Stack, running_stack

CUSTOMER, INVOICE = "C-1021", "INV-900055"  # London; a failed payment in the fixture
# Leeds; unpaid invoices, no event in the fixture, not in the hold-out group.
AWAY, AWAY_INVOICE = "C-1005", "INV-900013"
CALLED, CALLED_INVOICE = "C-1008", "INV-900022"
HOUR = 3600


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
            **whatsapp_env(twilio_api.url),
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


def decided(config: StackConfig, customer_id: str, count: int) -> list[dict[str, Any]]:
    """The customer's decisions once there are count (a send is logged once Rasa has
    answered, a moment after the message reached Twilio)."""

    def enough() -> list[dict[str, Any]] | None:
        found = decisions(config, customer_id)
        return found if len(found) >= count else None

    found = wait_for(enough)
    assert found is not None
    return found


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
    age_conversation(stack, chat.conversation, HOUR)  # last seen an hour ago: in the window
    stored = post_event(config.memory_url, payment_failed(CUSTOMER, INVOICE, "card expired"))
    assert stored.status_code == 201, stored.text

    # The disclosure and the message, each free-form (no template inside the window).
    messages = wait_for(lambda: twilio_api.messages_to(chat.sender)[1:], timeout=60)
    assert not any("ContentSid" in m.form for m in messages)
    said = " ".join(twilio_api.take(chat.sender))
    assert "Brightwave's automated assistant" in said
    assert "Reply STOP" in said and "HUMAN" in said
    assert INVOICE in said and "update your card" in said
    [_, sent] = decided(config, CUSTOMER, 2)
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


def link(config: StackConfig, customer_id: str, conversation: str) -> None:
    """A trusted integration vouches for the conversation being the customer's."""
    answer = requests.put(
        f"{config.memory_url}/customers/{customer_id}/links",
        json={"channel": "twilio", "identity": conversation, "confirmed_by": "trusted_integration"},
        headers={"Authorization": f"Bearer {config.memory_api_token}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text


def test_a_customer_last_seen_two_days_ago_gets_the_approved_template(
    stack: Stack, twilio_api: TwilioApi
) -> None:
    config = stack.config
    owner = customer(AWAY)
    chat = WhatsAppChat(stack, twilio_api, owner["whatsapp"])
    assert chat.say("hello")
    link(config, AWAY, chat.conversation)
    age_conversation(stack, chat.conversation, 2 * 24 * HOUR)
    stored = post_event(config.memory_url, payment_failed(AWAY, AWAY_INVOICE, "card expired"))
    assert stored.status_code == 201, stored.text

    [template] = wait_for(lambda: twilio_api.messages_to(chat.sender), timeout=60)
    twilio_api.take(chat.sender)
    rule = yaml.safe_load(DEFAULT_PATH.read_text())["rules"]["payment_failed"]
    assert template.form["ContentSid"] == rule["whatsapp_template"]["content_sid"]
    assert json.loads(template.form["ContentVariables"]) == {"1": AWAY_INVOICE}
    assert "Body" not in template.form  # nothing free-form outside the window
    [sent] = decided(config, AWAY, 1)
    assert (sent["action"], sent["channel"]) == ("sent", "whatsapp")
    # The conversation holds the offer the template made: a "yes" takes it up.
    assert "postcode" in " ".join(chat.say("yes"))


def say_of(twiml: str) -> str:
    return " ".join("".join(e.itertext()) for e in ET.fromstring(twiml).iter("Say"))


def test_a_customer_reachable_by_phone_gets_a_call_that_says_who_calls(
    stack: Stack, twilio_api: TwilioApi
) -> None:
    """Outreach restarted with a voice number calls; answering is Twilio asking the Url."""
    assert stack.outreach is not None
    stack.outreach.stop()
    launch = outreach(stack.config)
    calling = {**launch.env, "TWILIO_VOICE_NUMBER": VOICE_NUMBER}
    stack.outreach = dataclasses.replace(launch, env=calling).start()
    phone = customer(CALLED)["phone"]
    stored = post_event(
        stack.config.memory_url, payment_failed(CALLED, CALLED_INVOICE, "card expired")
    )
    assert stored.status_code == 201, stored.text

    [call] = wait_for(lambda: twilio_api.calls_to(phone), timeout=60)
    assert call.form["From"] == VOICE_NUMBER and call.form["Method"] == "POST"
    url = urlsplit(call.form["Url"])
    assert f"{url.scheme}://{url.netloc}" == PUBLIC_URL
    webhook = TwilioWebhook(stack.config.rasa_url, url.path)
    answered = {
        "CallSid": "CA" + "7" * 32,
        "AccountSid": ACCOUNT_SID,
        "From": VOICE_NUMBER,
        "To": phone,
        "CallStatus": "in-progress",
        "Direction": "outbound-api",
    }
    reply = webhook.post(answered, query=url.query)
    assert reply.status_code == 200, reply.text
    said = say_of(reply.text)
    assert "Brightwave's automated assistant" in said
    assert "Say stop to stop these calls" in said and "agent" in said
    assert "update your card" in said
    [sent] = decided(stack.config, CALLED, 1)
    assert (sent["action"], sent["channel"]) == ("sent", "voice")

    # The answer goes on in the call, which holds the offer: verification first.
    gather = ET.fromstring(reply.text).find("Gather")
    assert gather is not None
    action = urlsplit(gather.get("action", ""))
    answer = TwilioWebhook(stack.config.rasa_url, action.path).post(
        {**answered, "SpeechResult": "yes", "Confidence": "0.9"}, query=action.query
    )
    assert answer.status_code == 200, answer.text
    assert "postcode" in say_of(answer.text)


def test_an_outreach_call_cannot_be_forged_nor_its_plan_bent(stack: Stack) -> None:
    """Only a URL Twilio signed (so outreach made) runs an outreach; a signed request
    whose plan is malformed is refused naming the field, and runs nothing."""
    webhook = TwilioWebhook(stack.config.rasa_url, "/webhooks/twilio_voice/webhook")
    call = {
        "CallSid": "CA" + "8" * 32,
        "AccountSid": ACCOUNT_SID,
        "From": VOICE_NUMBER,
        "To": customer(CALLED)["phone"],
        "CallStatus": "in-progress",
        "Direction": "outbound-api",
    }
    plan = (
        "outreach_plan=99&outreach_rule=payment_failed&outreach_response="
        "utter_outreach_payment_failed&outreach_record=INV-900022&outreach_customer=C-1008"
    )
    forged = webhook.post(call, query=plan, signature="forged")
    assert forged.status_code == 403, forged.text
    bent = webhook.post(call, query=plan.replace("INV-900022", "INV-900022%3CSay%3E"))
    assert bent.status_code == 400
    assert "outreach_record" in bent.json()["error"]
