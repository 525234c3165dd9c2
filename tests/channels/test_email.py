"""E-mail: inbound JSON webhook in, a threaded reply through a real SMTP server out."""

import uuid
from email.message import EmailMessage
from typing import Any

import pytest
import requests

from actions.render import day
from tests.channels.mailbox import Mailbox
from tests.support.channels import EMAIL_SECRET, agent_message
from tests.support.crm import customer, first_with
from tests.support.stack import Stack

PATH = "/webhooks/email/webhook"


def message_id() -> str:
    return f"<{uuid.uuid4().hex}@mail.example>"


def post(
    stack: Stack, payload: Any, secret: str | None = EMAIL_SECRET, **kwargs: Any
) -> requests.Response:
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    return requests.post(
        f"{stack.config.rasa_url}{PATH}", json=payload, headers=headers, timeout=120, **kwargs
    )


def body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return part.get_content()


def test_a_verified_order_question_gets_a_complete_polite_threaded_reply(
    channel_stack: Stack, mailbox: Mailbox
) -> None:
    order = first_with("orders", status="delayed")
    owner = customer(order["customer_id"])
    address = f"order-{uuid.uuid4().hex[:8]}@example.com"
    first_id = message_id()
    mail: dict[str, Any] = {
        "from": f"{owner['first_name']} {owner['last_name']} <{address}>",
        "subject": "My order",
        "message_id": first_id,
        "text": (
            f"Hello,\n\nWhere is my order {order['id']}? My postcode is {owner['postcode']}.\n"
            f"And how long do I have to return something?\n\nThanks\n-- \n{owner['first_name']}"
        ),
    }
    reply = post(channel_stack, mail)
    assert reply.status_code == 200, reply.text
    [answer] = mailbox.wait_for(address)
    text = body(answer)
    assert text.startswith(f"Hello {owner['first_name']},")
    assert order["id"] in text and order["delay_reason"] in text and day(order["eta"]) in text
    assert "return an item within" in text  # the second question is answered too
    assert "Kind regards," in text
    assert answer["Subject"] == "Re: My order"
    assert answer["In-Reply-To"] == first_id and answer["References"] == first_id
    assert answer["Message-ID"] == reply.json()["reply_message_id"]

    # The customer answers the reply: the same thread, the same conversation.
    follow_up = {
        "from": address,
        "subject": "Re: My order",
        "message_id": message_id(),
        "in_reply_to": answer["Message-ID"],
        "references": f"{first_id} {answer['Message-ID']}",
        "text": f"Thanks. When will {order['id']} arrive?\n\n"
        f"On Wed, 25 Nov 2026, Brightwave wrote:\n> {order['id']}",
    }
    second = post(channel_stack, follow_up)
    assert second.json()["conversation"] == reply.json()["conversation"]
    [_, threaded] = mailbox.wait_for(address, 2)
    assert day(order["eta"]) in body(threaded)  # still verified: no question asked again
    assert threaded["References"].split() == [
        first_id,
        answer["Message-ID"],
        follow_up["message_id"],
    ]


def test_a_message_id_is_answered_once(channel_stack: Stack, mailbox: Mailbox) -> None:
    address = f"twice-{uuid.uuid4().hex[:8]}@example.com"
    mail = {
        "from": address,
        "subject": "Hours",
        "message_id": message_id(),
        "text": "When is your support team available?",
    }
    assert post(channel_stack, mail).json()["status"] == "answered"
    assert post(channel_stack, mail).json()["status"] == "already answered"
    mailbox.wait_for(address)
    assert len([m for m in mailbox.messages if address in str(m["To"])]) == 1


@pytest.mark.parametrize(
    "secret, status, reason",
    [(None, 401, "no 'Authorization"), ("wrong-secret", 403, "secret is wrong")],
)
def test_without_the_shared_secret_nothing_is_read(
    channel_stack: Stack, secret: str | None, status: int, reason: str
) -> None:
    reply = post(
        channel_stack,
        {"from": "a@example.com", "text": "hi", "message_id": message_id()},
        secret=secret,
    )
    assert reply.status_code == status and reason in reply.json()["error"]


@pytest.mark.parametrize(
    "payload, status, reason",
    [
        ({"text": "hi", "message_id": "<a@b>"}, 400, "'from'"),
        ({"from": "not an address", "text": "hi", "message_id": "<a@b>"}, 400, "e-mail address"),
        ({"from": "a@example.com", "message_id": "<a@b>"}, 400, "'text'"),
        ({"from": "a@example.com", "text": "hi"}, 400, "'message_id'"),
        ({"from": "a@example.com", "text": "hi", "message_id": "no-brackets"}, 400, "Message-ID"),
        ({"from": "a@example.com", "text": "> only quoted", "message_id": "<q@b>"}, 400, "quoted"),
        ({"from": "a@example.com", "text": "x" * 30000, "message_id": "<a@b>"}, 413, "longer than"),
        (["not", "an", "object"], 400, "JSON object"),
    ],
)
def test_bad_messages_are_refused_with_a_reason(
    channel_stack: Stack, payload: Any, status: int, reason: str
) -> None:
    reply = post(channel_stack, payload)
    assert reply.status_code == status and reason in reply.json()["error"]


def test_wrong_content_type_empty_and_oversized_bodies_are_refused(channel_stack: Stack) -> None:
    url = f"{channel_stack.config.rasa_url}{PATH}"
    auth = {"Authorization": f"Bearer {EMAIL_SECRET}"}
    form = requests.post(url, data={"from": "a@example.com"}, headers=auth, timeout=10)
    assert form.status_code == 415 and "application/json" in form.json()["error"]
    empty = requests.post(
        url, data=b"", headers={**auth, "Content-Type": "application/json"}, timeout=10
    )
    assert empty.status_code == 400 and "empty" in empty.json()["error"]
    huge = requests.post(
        url,
        data=b"{" + b" " * 300000 + b"}",
        timeout=10,
        headers={**auth, "Content-Type": "application/json"},
    )
    assert huge.status_code == 413 and "larger than" in huge.json()["error"]
    broken = requests.post(
        url, data=b"{not json", timeout=10, headers={**auth, "Content-Type": "application/json"}
    )
    assert broken.status_code == 400 and "JSON" in broken.json()["error"]


def desk_handoffs(stack: Stack, conversation: str) -> list[dict[str, Any]]:
    listed = stack.agent().get("/api/handoffs")
    assert listed.status_code == 200, listed.text
    return [h for h in listed.json() if h["conversation_id"] == conversation]


@pytest.mark.parametrize(
    "text",
    [
        "order, claim, invoice, whatever",  # not understood: on e-mail no clarifying round trip
        "I would like a real person to look at my complaint, please.",
    ],
)
def test_when_unsure_a_person_gets_a_ticket_and_the_customer_an_acknowledgement(
    channel_stack: Stack, mailbox: Mailbox, text: str
) -> None:
    address = f"unsure-{uuid.uuid4().hex[:8]}@example.com"
    first_id = message_id()
    reply = post(
        channel_stack, {"from": address, "subject": "Help", "message_id": first_id, "text": text}
    )
    assert reply.status_code == 200, reply.text
    conversation = reply.json()["conversation"]
    [ticket] = desk_handoffs(channel_stack, conversation)
    notice = ticket["packet"]["customer_notice"]
    assert ticket["packet"]["channel"] == "email"
    [answer] = mailbox.wait_for(address)
    text_sent = body(answer)
    # The notice's messages (one per line in the packet), each a paragraph of the e-mail.
    assert all(line in text_sent for line in notice["text"].splitlines())
    assert "not sure I understood" not in text_sent
    assert "a person will reply on" in text_sent or "expected wait is about" in text_sent
    assert text_sent.startswith("Hello,") and "Kind regards," in text_sent

    # The thread now waits for the person: the assistant only acknowledges
    # (tests/channels/test_handoff_ack.py).
    again = post(
        channel_stack,
        {
            "from": address,
            "subject": "Re: Help",
            "message_id": message_id(),
            "in_reply_to": answer["Message-ID"],
            "references": f"{first_id} {answer['Message-ID']}",
            "text": "Any news?",
        },
    )
    assert again.status_code == 200 and again.json()["conversation"] == conversation
    assert len(desk_handoffs(channel_stack, conversation)) == 1
    [_, acknowledged] = mailbox.wait_for(address, 2)
    assert "Your message is with our team" in body(acknowledged)

    # The agent's answer, sent by the desk through Rasa's HTTP API, is mailed in the thread.
    appended = agent_message(
        channel_stack, conversation, "This is Dana from Brightwave: I'm looking into it."
    )
    assert appended.status_code == 200, appended.text
    [_, _, from_agent] = mailbox.wait_for(address, 3)
    assert "This is Dana from Brightwave" in body(from_agent)
    assert from_agent["References"].split()[0] == first_id


def test_an_agents_reply_is_theirs_and_internal_moves_send_nothing(
    channel_stack: Stack, mailbox: Mailbox
) -> None:
    address = f"noah-{uuid.uuid4().hex[:8]}@example.com"
    first = post(
        channel_stack,
        {
            "from": f"Noah Berg <{address}>",
            "subject": "Help",
            "message_id": message_id(),
            "text": "I would like a real person to look at my complaint, please.",
        },
    )
    assert first.status_code == 200, first.text
    [ticket] = desk_handoffs(channel_stack, first.json()["conversation"])
    [notice] = mailbox.wait_for(address)
    assert notice["Auto-Submitted"] == "auto-replied"  # the assistant's, automatic

    dana = channel_stack.agent("Dana")
    assert dana.move(ticket["id"], "claim").status_code == 200
    reply = dana.move(ticket["id"], "reply", text="Hi Noah, I've found your complaint.")
    assert reply.status_code == 200, reply.text
    [_, from_dana] = mailbox.wait_for(address, 2)
    text = body(from_dana).replace("\r\n", "\n")
    assert text.startswith("Hi Noah, I've found your complaint.")  # one greeting, theirs
    assert "Thank you for your message" not in text and "virtual assistant" not in text
    assert "Kind regards,\nDana\nBrightwave Customer Service" in text
    assert from_dana["Auto-Submitted"] is None  # a person's reply, not an automatic one
    # The close (like the claim) mails nothing of its own: the desk waits for Rasa to
    # have sent what it appended before it answers.
    assert dana.move(ticket["id"], "close").status_code == 200
    assert len([m for m in mailbox.messages if address in str(m["To"])]) == 2


def test_an_angry_email_gets_an_apology_and_a_reference(
    channel_stack: Stack, mailbox: Mailbox
) -> None:
    address = f"angry-{uuid.uuid4().hex[:8]}@example.com"
    sent = post(
        channel_stack,
        {
            "from": address,
            "subject": "My order",
            "message_id": message_id(),
            "text": "This is really frustrating",
        },
    )
    assert sent.status_code == 200, sent.text
    [ticket] = desk_handoffs(channel_stack, sent.json()["conversation"])
    assert ticket["packet"]["escalation"]["reason_code"] == "negative_emotion"
    [answer] = mailbox.wait_for(address)
    text = body(answer)
    assert "I'm sorry this has been so frustrating." in text
    assert f"Your reference is {ticket['reference']}." in text
    # The desk's queue search finds the hand-over by the reference the customer quotes.
    found = channel_stack.agent().get("/api/handoffs", params={"q": ticket["reference"]})
    assert [h["id"] for h in found.json()] == [ticket["id"]]
