"""Nothing promised and not delivered: an agent's reply reaches the customer when they
come back, a caller who has hung up gets it as a text message, and the desk shows
each agent's message as delivered, waiting or failed as the channel knows it."""

import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from connectors.delivery import DELIVERED, FAILED, NOT_SENT, WAITING
from tests.channels.test_voice import Call
from tests.channels.test_webchat import conversation
from tests.channels.twilio_fake import WHATSAPP_NUMBER, TwilioApi
from tests.support.browser import browser
from tests.support.channels import WhatsAppChat
from tests.support.crm import customer
from tests.support.stack import Conversation, DeskClient, Stack

WAIT_SECONDS = 30.0
HAND_OVER = "I want to talk to a person"
REPLY = "Hi, it's Dana from Brightwave: your refund went out this morning."


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with browser() as launched:
        yield launched


def handoff_id(stack: Stack, conversation_id: str) -> str:
    listed = stack.agent().get("/api/handoffs").json()
    [handoff] = [h for h in listed if h["conversation_id"] == conversation_id]
    return str(handoff["id"])


def agent_lines(dana: DeskClient, handoff: str) -> list[dict[str, Any]]:
    """The agent's messages as the desk shows them."""
    detail = dana.get(f"/api/handoffs/{handoff}").json()
    assert detail["conversation_error"] is None, detail["conversation_error"]
    return [m for m in detail["conversation"] if m["from"] == "agent"]


def states(dana: DeskClient, handoff: str) -> dict[str, str]:
    return {m["text"]: m["delivery"] for m in agent_lines(dana, handoff)}


def wait_for_state(dana: DeskClient, handoff: str, text: str, state: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while states(dana, handoff).get(text) != state:
        assert time.monotonic() < deadline, states(dana, handoff)
        time.sleep(0.2)


def claim_and_reply(stack: Stack, conversation_id: str) -> str:
    dana = stack.agent("Dana")
    handoff = handoff_id(stack, conversation_id)
    assert dana.move(handoff, "claim").status_code == 200
    assert dana.move(handoff, "reply", text=REPLY).status_code == 200
    return handoff


def test_rest_a_reply_waits_until_the_client_fetches_it(channel_stack: Stack) -> None:
    chat = Conversation(channel_stack)
    chat.say(HAND_OVER)
    since = time.time()
    handoff = claim_and_reply(channel_stack, chat.sender)
    dana = channel_stack.agent("Dana")
    assert states(dana, handoff)[REPLY] == WAITING  # nobody has fetched it yet
    assert REPLY in [m["text"] for m in chat.poll(since)["messages"]]
    assert states(dana, handoff)[REPLY] == DELIVERED


def test_whatsapp_a_refused_send_shows_as_failed(
    channel_stack: Stack, twilio_api: TwilioApi
) -> None:
    chat = WhatsAppChat(channel_stack, twilio_api, customer("C-1041")["whatsapp"])
    chat.say(HAND_OVER)
    dana = channel_stack.agent("Dana")
    handoff = handoff_id(channel_stack, chat.conversation)
    assert dana.move(handoff, "claim").status_code == 200
    twilio_api.refused.add(chat.sender)  # the number can no longer be reached
    try:
        assert dana.move(handoff, "reply", text=REPLY).status_code == 200
    finally:
        twilio_api.refused.discard(chat.sender)
    shown = states(dana, handoff)
    assert shown[REPLY] == FAILED and next(iter(shown.values())) == DELIVERED  # the claim's
    assert dana.move(handoff, "reply", text="Trying again.").status_code == 200
    assert states(dana, handoff)["Trying again."] == DELIVERED
    assert twilio_api.take(chat.sender)[-1] == "Trying again."


@pytest.mark.usefixtures("team_in")  # put through: a person takes the call now
def test_voice_a_reply_after_the_call_goes_by_text_message(
    channel_stack: Stack, twilio_api: TwilioApi
) -> None:
    call = Call(channel_stack)
    call.ring()
    put_through = call.webhook.post(
        {
            "From": call.caller,
            "CallSid": call.sid,
            "CallStatus": "in-progress",
            "SpeechResult": HAND_OVER,
        },
        query=call.action.partition("?")[2],
    )
    assert ElementTree.fromstring(put_through.text).find("Dial") is not None
    # The caller hangs up; the agent's reply comes later, as a text message.
    handoff = claim_and_reply(channel_stack, call.conversation)
    sent = twilio_api.messages_to(f"whatsapp:{call.caller}")
    assert [m.form["Body"] for m in sent] == [REPLY]  # the claim sends nothing of its own
    assert sent[0].form["From"] == WHATSAPP_NUMBER
    dana = channel_stack.agent("Dana")
    assert list(states(dana, handoff).values()) == [NOT_SENT, DELIVERED]


def test_webchat_an_after_hours_reply_is_delivered_when_the_customer_returns(
    chromium: Browser, channel_stack: Stack
) -> None:
    page = chromium.new_context().new_page()
    page.goto(f"{channel_stack.config.rasa_url}/webhooks/socketio/chat")
    expect(page.locator(".rw-response").first).to_contain_text("Brightwave", timeout=30_000)
    page.locator(".rw-new-message").fill(HAND_OVER)
    page.locator(".rw-new-message").press("Enter")
    expect(page.locator(".rw-response").filter(has_text="Your reference is")).to_have_count(
        1, timeout=30_000
    )  # the notice's last message
    token = page.evaluate(
        "() => JSON.parse(window.localStorage.getItem('chat_session')).session_id"
    )
    conversation_id = conversation(channel_stack, token)
    kept = page.context.storage_state()
    page.context.close()  # the customer has gone
    handoff = claim_and_reply(channel_stack, conversation_id)
    dana = channel_stack.agent("Dana")
    assert states(dana, handoff)[REPLY] == WAITING  # not "delivered": nobody has seen it

    returned = chromium.new_context(storage_state=kept).new_page()  # type: ignore[arg-type]
    returned.goto(f"{channel_stack.config.rasa_url}/webhooks/socketio/chat")
    expect(returned.locator(".rw-response.rw-agent .rw-message-text").last).to_have_text(
        REPLY, timeout=30_000
    )
    wait_for_state(dana, handoff, REPLY, DELIVERED)
    returned.context.close()
