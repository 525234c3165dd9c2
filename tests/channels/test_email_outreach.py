"""The e-mail channel's outreach message, through a real SMTP server (the stand-in):
a new automated message opening the thread outreach named the conversation from, with
the disclosure and a STOP instruction; never to another address or conversation. (End
to end, through Rasa and the outreach service: tests/outreach/test_send_email.py.)"""

import asyncio
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from connectors.mail import AgentMail
from connectors.smtp import Smtp
from connectors.state import ChannelState
from outreach.mail import mail_thread
from tests.channels.mailbox import Mailbox

SECRET = "email-channel-secret-0123456789"
FROM = "Brightwave Customer Service <help@brightwave.example>"
TEXT = "The payment for your invoice INV-900043 didn't go through."


@pytest.fixture(scope="module")
def box() -> Iterator[Mailbox]:
    with Mailbox() as mailbox:
        yield mailbox


def channel(box: Mailbox, home: Path, secret: str | None = SECRET) -> AgentMail:
    state = ChannelState(f"sqlite:///{home / 'channels.db'}")
    return AgentMail(Smtp(box.host, box.port), FROM, state, secret)


def body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def test_an_outreach_email_is_a_new_automated_message_with_the_disclosure_and_stop(
    box: Mailbox, tmp_path: Path
) -> None:
    thread = mail_thread(7, "C-1015", "ada@example.com", SECRET, "brightwave.example")
    mark = {"address": thread.address, "thread": thread.thread}
    asyncio.run(
        channel(box, tmp_path).send_text_message(thread.conversation, TEXT, outreach_mail=mark)
    )
    [mail] = box.wait_for("ada@example.com")
    assert mail["Auto-Submitted"] == "auto-generated"  # RFC 3834: not a person's reply
    assert mail["List-Unsubscribe"] == "<mailto:help@brightwave.example?subject=STOP>"
    assert mail["Message-ID"] == thread.thread and mail["In-Reply-To"] is None
    assert mail["Subject"] == "A message from Brightwave's assistant"
    text = body(mail)
    assert text.startswith("Hello,") and TEXT in text
    assert "Brightwave's automated assistant" in text and "Reply STOP" in text
    assert "HUMAN" in text and text.rstrip().endswith("Brightwave Customer Service")


def test_a_mark_that_does_not_name_the_conversation_mails_nothing(
    box: Mailbox, tmp_path: Path
) -> None:
    """Someone triggering into another conversation, or naming another address or
    thread, or a channel without its secret: nothing is mailed."""
    thread = mail_thread(8, "C-1015", "bea@example.com", SECRET, "brightwave.example")
    other = mail_thread(8, "C-1015", "eve@example.com", SECRET, "brightwave.example")
    attempts = [
        (
            channel(box, tmp_path),
            thread.conversation,
            {"address": "eve@example.com", "thread": thread.thread},
        ),
        (
            channel(box, tmp_path),
            other.conversation,
            {"address": "bea@example.com", "thread": thread.thread},
        ),
        (
            channel(box, tmp_path),
            thread.conversation,
            {"address": "bea@example.com", "thread": "<x@y.z>"},
        ),
        (
            channel(box, tmp_path),
            thread.conversation,
            {"address": "bea@example.com\r\nBcc: eve@example.com", "thread": thread.thread},
        ),
        (channel(box, tmp_path), thread.conversation, "bea@example.com"),
        (
            channel(box, tmp_path, secret=None),
            thread.conversation,
            {"address": "bea@example.com", "thread": thread.thread},
        ),
    ]
    before = len(box.messages)
    for mailer, conversation, mark in attempts:
        asyncio.run(mailer.send_text_message(conversation, TEXT, outreach_mail=mark))
    # The right one still goes out (and is the only one).
    right = {"address": "bea@example.com", "thread": thread.thread}
    asyncio.run(
        channel(box, tmp_path).send_text_message(thread.conversation, TEXT, outreach_mail=right)
    )
    box.wait_for("bea@example.com")
    assert len(box.messages) == before + 1
    assert [m for m in box.messages if "eve@" in str(m["To"]) + str(m["Bcc"])] == []


def test_a_refused_send_raises_so_that_outreach_tries_again(box: Mailbox, tmp_path: Path) -> None:
    thread = mail_thread(9, "C-1015", "cy@example.com", SECRET, "brightwave.example")
    mark = {"address": thread.address, "thread": thread.thread}
    with box.out_of_order(), pytest.raises(Exception, match="451"):
        asyncio.run(
            channel(box, tmp_path).send_text_message(thread.conversation, TEXT, outreach_mail=mark)
        )
