"""Attacks on the e-mail channel against the running stack: joining someone else's
verified thread, header injection, duplicated and retried Message-IDs, hostile
JSON, floods from one address, and SMTP without a checked certificate."""

import smtplib
import ssl
import subprocess
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import requests

from actions.render import day
from connectors.conversation_ids import conversation_id
from connectors.mail import Smtp, SmtpConfigError
from tests.channels.mailbox import Mailbox
from tests.channels.test_email import body, message_id, post
from tests.support.channels import (  # noqa: F401 (fixtures)
    EMAIL_SECRET,
    channel_stack,
    mailbox,
    twilio_api,
)
from tests.support.crm import customer, first_with
from tests.support.stack import Stack


def address() -> str:
    return f"sec-{uuid.uuid4().hex[:10]}@example.com"


def to(box: Mailbox, recipient: str) -> list[EmailMessage]:
    return [m for m in box.messages if recipient in str(m["To"])]


def user_texts(stack: Stack, conversation: str) -> list[str]:
    return [e["text"] for e in stack.tracker(conversation)["events"] if e["event"] == "user"]


def test_another_address_in_a_verified_thread_is_not_verified(
    channel_stack: Stack, mailbox: Mailbox
) -> None:
    order = first_with("orders", status="delayed")
    owner, intruder = address(), address()
    root = message_id()
    first = post(
        channel_stack,
        {
            "from": owner,
            "subject": "My order",
            "message_id": root,
            "text": f"Where is my order {order['id']}? "
            f"My postcode is {customer(order['customer_id'])['postcode']}.",
        },
    )
    assert first.status_code == 200, first.text
    assert day(order["eta"]) in body(mailbox.wait_for(owner)[0])

    # Someone who learnt the thread's Message-ID writes into it from another address.
    joined = post(
        channel_stack,
        {
            "from": intruder,
            "subject": "Re: My order",
            "message_id": message_id(),
            "in_reply_to": root,
            "references": root,
            "text": f"When will {order['id']} arrive?",
        },
    )
    assert joined.status_code == 200, joined.text
    assert joined.json()["conversation"] != first.json()["conversation"]
    reply = body(mailbox.wait_for(intruder)[0])
    assert day(order["eta"]) not in reply and order["delay_reason"] not in reply
    assert "postcode" in reply


@pytest.mark.parametrize(
    "field, value",
    [
        ("subject", "Hello\r\nBcc: everyone@example.com"),
        ("subject", "Hello\nthere"),
        ("subject", "Hello\x00"),
        ("from", "Eve\r\nBcc: everyone@example.com <{address}>"),
        ("message_id", "<a\x01b@mail.example>"),
        ("references", "<root@mail.example>\r\nBcc: everyone@example.com"),
        ("in_reply_to", ["<root@mail.example>", "<x@y>\n"]),
        # RFC 2047 encoded-words, which the email package decodes into a line break.
        ("subject", "=?utf-8?q?Order=0D=0ABcc:_x@evil.example=0D=0A=0D=0AInjected?="),
        ("from", "=?utf-8?q?Eve=0D=0AReply-To:_eve@evil.example?= <{address}>"),
        ("message_id", "<=?utf-8?q?a=0D=0AReply-To:_v@evil.example?=@x.y>"),
        ("references", "<root@x.y> <=?utf-8?q?a=0D=0AReply-To:_v@evil.example?=@x.y>"),
    ],
)
def test_header_illegal_input_is_refused_before_any_turn(
    channel_stack: Stack, mailbox: Mailbox, field: str, value: Any
) -> None:
    sender = address()
    mail: dict[str, Any] = {
        "from": sender,
        "subject": "Hours",
        "message_id": message_id(),
        "text": "When is your support team available?",
    }
    mail[field] = value.format(address=sender) if isinstance(value, str) else value
    refused = post(channel_stack, mail)
    assert refused.status_code == 400, refused.text
    assert "control character" in refused.json()["error"]
    conversation = conversation_id("email", f"{mail['message_id']} {sender}", EMAIL_SECRET)
    assert user_texts(channel_stack, conversation) == []  # no turn ran
    # Corrected, the same Message-ID is answered: the refusal claimed nothing.
    corrected = {
        **mail,
        field: "Hours" if field == "subject" else None,
        "from": sender,
        "message_id": mail["message_id"] if field != "message_id" else message_id(),
    }
    assert post(channel_stack, corrected).json()["status"] == "answered"
    assert len(mailbox.wait_for(sender)) == 1


def test_concurrent_copies_of_a_message_id_are_answered_once(
    channel_stack: Stack, mailbox: Mailbox
) -> None:
    sender = address()
    mail = {
        "from": sender,
        "subject": "Hours",
        "message_id": message_id(),
        "text": "When is your support team available?",
    }
    with ThreadPoolExecutor(6) as pool:
        replies = list(pool.map(lambda _: post(channel_stack, mail), range(6)))
    statuses = sorted(r.status_code for r in replies)
    assert statuses.count(200) >= 1 and set(statuses) <= {200, 409}, statuses
    assert [r.json().get("status") for r in replies].count("answered") == 1
    assert all(r.headers.get("Retry-After") for r in replies if r.status_code == 409)
    assert post(channel_stack, mail).json()["status"] == "already answered"
    mailbox.wait_for(sender)
    assert len(to(mailbox, sender)) == 1
    conversation = conversation_id("email", f"{mail['message_id']} {sender}", EMAIL_SECRET)
    assert user_texts(channel_stack, conversation) == [mail["text"]]


def test_a_retry_after_a_failed_send_sends_the_kept_reply_without_a_second_turn(
    channel_stack: Stack, mailbox: Mailbox
) -> None:
    sender = address()
    mail = {
        "from": sender,
        "subject": "Hours",
        "message_id": message_id(),
        "text": "When is your support team available?",
    }
    with mailbox.out_of_order():
        failed = post(channel_stack, mail)
    assert failed.status_code == 503 and failed.headers["Retry-After"]
    retried = post(channel_stack, mail)
    assert retried.json()["status"] == "answered"
    assert post(channel_stack, mail).json()["status"] == "already answered"
    [reply] = mailbox.wait_for(sender)
    assert "Kind regards," in body(reply)
    conversation = retried.json()["conversation"]
    assert user_texts(channel_stack, conversation) == [mail["text"]]  # stored once


@pytest.mark.parametrize(
    "raw, reason",
    [
        (
            b'{"from": "a@example.com", "text": "hi", "message_id": "<a@b>", "x": '
            + b"[" * 1000
            + b"]" * 1000
            + b"}",
            "nested deeper",
        ),
        (
            b'{"from": "a@example.com", "text": "hi", "message_id": "<a@b>", "x": '
            + b"9" * 5000
            + b"}",
            "JSON",
        ),
        (
            b'{"from": "a@example.com", "text": "hi \\ud800", "message_id": "<a\\ud800@b>"}',
            "control character",
        ),
    ],
)
def test_hostile_json_is_refused_with_400(channel_stack: Stack, raw: bytes, reason: str) -> None:
    reply = requests.post(
        f"{channel_stack.config.rasa_url}/webhooks/email/webhook",
        data=raw,
        headers={"Authorization": f"Bearer {EMAIL_SECRET}", "Content-Type": "application/json"},
        timeout=30,
    )
    assert reply.status_code == 400 and reason in reply.json()["error"]


def test_a_flood_from_one_address_is_refused_with_retry_after(channel_stack: Stack) -> None:
    sender = address()
    quoted = {"from": sender, "text": "> only quoted text"}  # refused, but counted
    statuses = [
        post(channel_stack, {**quoted, "message_id": message_id()}).status_code for _ in range(10)
    ]
    assert statuses == [400] * 10
    refused = post(channel_stack, {**quoted, "message_id": message_id()})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert (
        post(channel_stack, {**quoted, "from": address(), "message_id": message_id()}).status_code
        == 400
    )


# SMTP over TLS, against a real SMTP server with a self-signed certificate.


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    home = tmp_path_factory.mktemp("smtp-tls")
    cert, key = home / "cert.pem", home / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_mailbox(certificate: tuple[Path, Path]) -> Iterator[Mailbox]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    with Mailbox(tls=context) as box:
        yield box


def letter(recipient: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "help@example.com", recipient, "TLS"
    message.set_content("sent over TLS\n")
    return message


def test_smtp_refuses_a_certificate_it_cannot_check_and_uses_the_configured_ca(
    tls_mailbox: Mailbox, certificate: tuple[Path, Path]
) -> None:
    unchecked = Smtp(tls_mailbox.host, tls_mailbox.port, starttls=True)
    with pytest.raises(ssl.SSLCertVerificationError):
        unchecked.send(letter("nobody@example.com"))
    assert not tls_mailbox.messages

    checked = Smtp(tls_mailbox.host, tls_mailbox.port, starttls=True, ca_file=str(certificate[0]))
    checked.send(letter("customer@example.com"))
    assert [str(m["To"]) for m in tls_mailbox.wait_for("customer@example.com")] == [
        "customer@example.com"
    ]


def test_smtp_never_sends_in_the_clear_when_tls_is_asked_for(mailbox: Mailbox) -> None:
    with pytest.raises(smtplib.SMTPNotSupportedError):  # the server offers no STARTTLS
        Smtp(mailbox.host, mailbox.port, starttls=True).send(letter("clear@example.com"))
    assert not to(mailbox, "clear@example.com")


@pytest.mark.parametrize(
    "credentials, reason",
    [
        ({"smtp_host": "mail.example", "smtp_user": "u", "smtp_password": "p"}, "need TLS"),
        ({"smtp_starttls": "yes"}, "SWITCHBOARD_SMTP_STARTTLS"),
        ({"smtp_port": "²"}, "SWITCHBOARD_SMTP_PORT"),
        (
            {"smtp_starttls": "true", "smtp_ca_file": "/nonexistent/ca.pem"},
            "SWITCHBOARD_SMTP_CA_FILE",
        ),
    ],
)
def test_an_unsafe_smtp_setting_stops_the_start(credentials: dict[str, str], reason: str) -> None:
    with pytest.raises(SmtpConfigError, match=reason):
        Smtp.from_credentials(credentials)
