"""After a hand-over, a customer's message on any text channel gets the domain's
acknowledgement once per quiet period, and reaches the agent on the desk."""

import uuid
from typing import Any

import yaml
from playwright.sync_api import Page, expect

from stack.handoff_ack import ACK
from stack.processes import ROOT
from tests.channels.mailbox import Mailbox
from tests.channels.test_email import body, message_id, post
from tests.channels.test_webchat import (  # noqa: F401 (fixtures)
    WAIT_MS,
    bot_messages,
    chromium,
    conversation,
    page,
    send,
    session_token,
)
from tests.channels.twilio_fake import TwilioApi
from tests.support.channels import WhatsAppChat, agent_message
from tests.support.crm import customer
from tests.support.stack import Conversation, Stack

HAND_OVER = "I want to talk to a person"
FOLLOW_UP = "ok, and where is BW-100003?"
AGAIN = "hello?"


def ack(channel: str = "") -> str:
    """The acknowledgement's wording on a channel, as domain.yml has it."""
    variants = yaml.safe_load((ROOT / "domain.yml").read_text())["responses"][ACK]
    default = next(v["text"] for v in variants if "channel" not in v)
    return next((v["text"] for v in variants if v.get("channel") == channel), default)


def desk_sees(stack: Stack, conversation_id: str) -> list[str]:
    """What the customer wrote since the hand-over, as the agent's desk shows it."""
    listed = stack.agent().get("/api/handoffs").json()
    [handoff] = [h for h in listed if h["conversation_id"] == conversation_id]
    detail: dict[str, Any] = stack.agent().get(f"/api/handoffs/{handoff['id']}").json()
    return [m["text"] for m in detail["conversation"] if m["from"] == "customer"]


def test_rest(channel_stack: Stack) -> None:
    chat = Conversation(channel_stack)
    assert "member of our team" in chat.say(HAND_OVER)
    assert chat.say(FOLLOW_UP) == ack()
    assert chat.send(AGAIN) == []  # the same quiet period: acknowledged once
    assert desk_sees(channel_stack, chat.sender)[-2:] == [FOLLOW_UP, AGAIN]
    # An agent's message starts a quiet period too: the customer is talking to them.
    assert agent_message(channel_stack, chat.sender, "Dana here.").status_code == 200
    assert chat.send("thanks Dana") == []


def test_whatsapp(channel_stack: Stack, twilio_api: TwilioApi) -> None:
    chat = WhatsAppChat(channel_stack, twilio_api, customer("C-1040")["whatsapp"])
    assert any("member of our team" in text for text in chat.say(HAND_OVER))
    assert chat.say(FOLLOW_UP) == [ack("twilio")]
    assert chat.say(AGAIN) == []
    assert desk_sees(channel_stack, chat.conversation)[-2:] == [FOLLOW_UP, AGAIN]


def test_email(channel_stack: Stack, mailbox: Mailbox) -> None:
    address = f"ack-{uuid.uuid4().hex[:8]}@example.com"
    first_id = message_id()
    first = post(
        channel_stack,
        {
            "from": address,
            "subject": "Help",
            "message_id": first_id,
            "text": "I would like a real person to look at this, please.",
        },
    )
    assert first.status_code == 200, first.text
    conversation_id = first.json()["conversation"]
    [notice] = mailbox.wait_for(address)
    thread = {
        "from": address,
        "subject": "Re: Help",
        "in_reply_to": notice["Message-ID"],
        "references": f"{first_id} {notice['Message-ID']}",
    }
    follow_up = post(channel_stack, {**thread, "message_id": message_id(), "text": "Any news?"})
    assert follow_up.status_code == 200, follow_up.text
    assert follow_up.json()["conversation"] == conversation_id
    [_, acknowledged] = mailbox.wait_for(address, 2)
    assert ack("email") in body(acknowledged)
    again = post(channel_stack, {**thread, "message_id": message_id(), "text": "Hello?"})
    assert again.status_code == 202, again.text  # kept for the person, nothing mailed
    assert len([m for m in mailbox.messages if address in str(m["To"])]) == 2
    assert desk_sees(channel_stack, conversation_id)[-2:] == ["Any news?", "Hello?"]


def test_webchat(page: Page, channel_stack: Stack) -> None:
    expect(bot_messages(page).first).to_contain_text("Brightwave", timeout=WAIT_MS)
    send(page, HAND_OVER)
    expect(bot_messages(page).filter(has_text="Your reference is")).to_have_count(
        1, timeout=WAIT_MS
    )  # the notice's last message
    send(page, FOLLOW_UP)
    expect(bot_messages(page).last).to_have_text(ack("socketio"))
    count = bot_messages(page).count()
    page.locator(".rw-new-message").fill(AGAIN)
    page.locator(".rw-new-message").press("Enter")
    expect(page.locator(".rw-client").last).to_have_text(AGAIN, timeout=WAIT_MS)
    conversation_id = conversation(channel_stack, session_token(page))
    seen: list[str] = []
    for _ in range(100):
        seen = desk_sees(channel_stack, conversation_id)
        if seen[-1:] == [AGAIN]:
            break
        page.wait_for_timeout(100)
    assert seen[-2:] == [FOLLOW_UP, AGAIN]
    assert bot_messages(page).count() == count
