"""Inbound e-mail checks that need no server (connectors/mail_message.py)."""

import json
from typing import Any

import pytest

from connectors.mail_message import (
    MAX_REFERENCES,
    InboundMail,
    MailWords,
    compose_reply,
    first_name,
    parse_inbound,
)
from connectors.webhook import BadRequest

MAIL = {
    "from": "Noah O'Brien <noah@example.com>",
    "subject": "My order",
    "message_id": "<b@mail.example>",
    "references": "<root@mail.example>",
    "text": "Where is my order BW-100002?",
}


def parsed(**changes: Any) -> InboundMail:
    return parse_inbound(json.dumps({**MAIL, **changes}).encode(), 20000)


def test_a_thread_is_one_conversation_per_address() -> None:
    first = parsed()
    again = parsed(message_id="<c@mail.example>", **{"from": "NOAH@example.com"})
    other = parsed(**{"from": "eve@example.com"})
    assert first.conversation_id("s") == again.conversation_id("s")
    assert other.conversation_id("s") != first.conversation_id("s")


@pytest.mark.parametrize(
    "changes",
    [
        {"subject": "a\r\nBcc: x@example.com"},
        {"subject": "tab\there"},
        {"subject": "a\u0085b"},
        {"subject": "a\u2028b"},
        {"from": "Eve\n <eve@example.com>"},
        {"message_id": "<a\x7f@b>"},
        {"references": ["<a@b>", "<c@d>\r\n"]},
        {"in_reply_to": "<a@b>\x00"},
        {"subject": "x" * 1000},
        {"from": "ü@example.com"},
        {"subject": "=?utf-8?q?Order=0D=0ABcc:_x@evil=0D=0A=0D=0AInjected_body?="},
        {"subject": "=?utf-8?b?T3JkZXINCkJjYzogeEBldmls?="},
        {"from": "=?utf-8?q?x=0D=0AX:y?= <a@example.com>"},
        {"message_id": "<=?utf-8?q?a=0D=0AReply-To:_v@evil.example?=@x.y>"},
        {"references": "<r@x.y> <=?utf-8?q?a=0D=0AReply-To:_v@evil.example?=@x.y>"},
    ],
)
def test_header_illegal_fields_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(BadRequest) as refused:
        parsed(**changes)
    assert refused.value.status in (400, 413)


# The domain's words (utter_email_greeting, utter_email_thanks), as the channel fills them.
WORDS = MailWords("Hello Noah,", "Thank you for your message.")


def test_text_is_cleaned_and_a_reply_can_always_be_composed() -> None:
    mail = parsed(text="Where is BW-100002?\x00\x1b", **{"from": 'Zoë "Z" Ng <z@example.com>'})
    assert mail.text == "Where is BW-100002?"
    reply = compose_reply(mail, ["It is on its way."], "Help <help@example.com>", "Bye", WORDS)
    assert reply["To"] and reply["Subject"] == "Re: My order"


def test_references_are_capped_keeping_the_root_and_the_latest() -> None:
    ids = [f"<r{i}@mail.example>" for i in range(200)]
    mail = parsed(references=ids)
    assert len(mail.references) == MAX_REFERENCES
    assert mail.references[0] == ids[0] and mail.references[-1] == ids[-1]


def test_a_mail_survives_its_round_trip_through_the_channel_database() -> None:
    mail = parsed()
    assert InboundMail.from_json(mail.to_json()) == mail


def test_deep_json_is_refused_before_parsing() -> None:
    with pytest.raises(BadRequest, match="nested deeper"):
        parse_inbound(b'{"x": ' + b"[" * 5000 + b"]" * 5000 + b"}", 20000)


def text_of(reply: Any) -> str:
    return reply.get_body(("plain",)).get_content()


def test_the_assistants_reply_is_marked_automatic_and_thanks_once() -> None:
    mail = parsed(**{"from": "Noah Berg <noah@example.com>"})
    reply = compose_reply(mail, ["It is on its way."], "Help <help@example.com>", "Bye", WORDS)
    assert reply["Auto-Submitted"] == "auto-replied"
    assert text_of(reply).startswith("Hello Noah,\n\nThank you for your message.\n\nIt is")


@pytest.mark.parametrize(
    "written, opening",
    [
        ("Hi Noah, I've found your parcel.", "Hi Noah, I've found your parcel."),
        ("good morning! It ships today.", "good morning! It ships today."),
        ("I've found your parcel.", "Hello Noah,\n\nI've found your parcel."),
    ],
)
def test_a_persons_reply_is_theirs(written: str, opening: str) -> None:
    """No second greeting, no assistant's thanks, not marked as an automatic reply."""
    mail = parsed(**{"from": "Noah Berg <noah@example.com>"})
    reply = compose_reply(
        mail,
        [written],
        "Help <help@example.com>",
        "Kind regards,\nDana\nBrightwave Customer Service",
        WORDS,
        by_person=True,
    )
    assert reply["Auto-Submitted"] is None
    text = text_of(reply)
    assert text.startswith(opening) and "Thank you for your message" not in text
    assert "Kind regards,\nDana\n" in text


@pytest.mark.parametrize(
    "sender, name",
    [
        ("Noah Berg <noah@example.com>", "Noah"),
        ('"Zoë" Ng <z@example.com>', "Zoë"),
        ("noah@example.com", ""),
        ("O'Brien Sean <s@example.com>", ""),
    ],
)
def test_the_greeting_uses_a_first_name_only_when_the_sender_gives_one(
    sender: str, name: str
) -> None:
    assert first_name(parsed(**{"from": sender})) == name
