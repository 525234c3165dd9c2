"""What the channels remember lives in their database (connectors/state.py), not
in Rasa's memory: after a restart of Rasa an agent's message still reaches a
WhatsApp or e-mail customer who wrote before it, a message handled before it is
still not handled again, and a WhatsApp message acknowledged by a Rasa that
crashed before its turn was done is answered once Rasa is back."""

import os
import signal
import time
import uuid

from stack.launch import start_rasa
from tests.channels.mailbox import Mailbox
from tests.channels.test_email import body, message_id, post
from tests.channels.twilio_fake import TwilioApi
from tests.support.channels import WhatsAppChat, agent_message, handled
from tests.support.crm import customer, first_with
from tests.support.stack import Stack


def test_agents_messages_and_duplicates_after_a_restart_of_rasa(
    channel_stack: Stack, twilio_api: TwilioApi, mailbox: Mailbox
) -> None:
    chat = WhatsAppChat(channel_stack, twilio_api, f"+4477009{uuid.uuid4().int % 100000:05d}")
    whatsapp_sid = "SM" + uuid.uuid4().hex
    assert chat.post("hello", whatsapp_sid).status_code == 200
    handled(channel_stack, "twilio", whatsapp_sid)
    assert twilio_api.take(chat.sender)
    address = f"restart-{uuid.uuid4().hex[:8]}@example.com"
    mail = {
        "from": address,
        "subject": "Hours",
        "message_id": message_id(),
        "text": "When is your support team available?",
    }
    answered = post(channel_stack, mail)
    assert answered.json()["status"] == "answered"
    mailbox.wait_for(address)

    channel_stack.restart_rasa()

    assert agent_message(channel_stack, chat.conversation, "Hi, Dana here.").status_code == 200
    assert twilio_api.take(chat.sender) == ["Hi, Dana here."]
    conversation = answered.json()["conversation"]
    assert (
        agent_message(
            channel_stack, conversation, "Dana here, about your hours question."
        ).status_code
        == 200
    )
    [_, from_agent] = mailbox.wait_for(address, 2)
    assert "Dana here" in body(from_agent) and from_agent["In-Reply-To"] == mail["message_id"]

    assert post(channel_stack, mail).json()["status"] == "already answered"
    assert chat.post("hello", whatsapp_sid).status_code == 200
    time.sleep(2.0)
    assert not twilio_api.take(chat.sender)
    said = [
        e["text"]
        for e in channel_stack.tracker(chat.conversation)["events"]
        if e["event"] == "user"
    ]
    assert said == ["hello"]


def test_a_message_acknowledged_before_a_crash_is_answered_after_it(
    channel_stack: Stack, twilio_api: TwilioApi
) -> None:
    order = first_with("orders", status="shipped")
    chat = WhatsAppChat(channel_stack, twilio_api, customer(order["customer_id"])["whatsapp"])
    sid = "SM" + uuid.uuid4().hex
    assert channel_stack.backend and channel_stack.rasa
    os.killpg(channel_stack.backend.process.pid, signal.SIGSTOP)  # the turn waits for it
    try:
        assert chat.post(f"where is my order {order['id']}", sid).status_code == 200
        time.sleep(1.0)
        os.killpg(channel_stack.rasa.process.pid, signal.SIGKILL)  # mid-turn
        channel_stack.rasa.process.wait(30)
    finally:
        os.killpg(channel_stack.backend.process.pid, signal.SIGCONT)
    assert not twilio_api.take(chat.sender)
    channel_stack.rasa = start_rasa(channel_stack.config)
    handled(channel_stack, "twilio", sid)
    # Asked for a factor, or answered outright where an earlier test of the session
    # already verified this number's conversation: either way the turn was run.
    reply = " ".join(twilio_api.take(chat.sender))
    assert "postcode" in reply or order["id"] in reply, reply
