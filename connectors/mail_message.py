"""Inbound e-mail as the e-mail channel receives it, and the reply it sends.

The webhook takes JSON like common inbound-parse services post it:
{"from": "Name <address>", "subject": "...", "text": "...", "message_id": "<id@host>",
 "in_reply_to": "<id@host>", "references": "<root@host> <id@host>"} (references may
also be a list). A thread is one conversation per address writing in it: its id
comes from the thread's root Message-ID (which every reply carries first in
References) and the From address, so a verification given in a thread holds only
for the address that gave it; someone else writing into the thread (knowing a
Message-ID is easy) starts a conversation of their own.

What goes into the reply's headers (subject, sender name, Message-IDs) is refused
with 400 when it holds a line break or another control character, before any turn
runs.
"""

import dataclasses
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any

from connectors.conversation_ids import conversation_id
from connectors.inbound import clean_text, load_json, mask_card_numbers
from connectors.webhook import BadRequest

MESSAGE_ID = re.compile(r"<[^<>\s]+@[^<>\s]+>")
# "On Tue, 24 Nov 2026, Brightwave wrote:" and everything quoted below it.
QUOTE_HEADER = re.compile(r"^\s*On .{0,200}wrote:\s*$", re.MULTILINE)
SIGNATURE = re.compile(r"^-- ?$", re.MULTILINE)
SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
GREETING = re.compile(
    r"\s*(?:hi|hello|hey|dear|good (?:morning|afternoon|evening))\b", re.IGNORECASE
)
# What must not reach a header: line breaks (CR/LF would inject headers; the email
# package refuses whatever str.splitlines() splits at, U+2028/2029 too), other control
# characters, and lone surrogates (not encodable).
HEADER_ILLEGAL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
MAX_HEADER_CHARS = 900  # under RFC 5322's 998 per line
MAX_REFERENCES = 50


@dataclass(frozen=True)
class InboundMail:
    """A checked inbound e-mail."""

    address: str
    name: str
    subject: str
    text: str
    message_id: str
    references: tuple[str, ...]

    @property
    def thread_root(self) -> str:
        return self.references[0] if self.references else self.message_id

    def conversation_id(self, secret: str) -> str:
        """The same for every message of the thread from this address
        (connectors/conversation_ids.py)."""
        return conversation_id("email", f"{self.thread_root} {self.address.lower()}", secret)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "InboundMail":
        fields = json.loads(text)
        return cls(**{**fields, "references": tuple(fields["references"])})


def _decoded(value: str) -> str:
    """A header value as the email package will write it: RFC 2047 encoded-words
    ("=?utf-8?q?a=0D=0AB?=") decoded, which may hide a line break."""
    try:
        return str(make_header(decode_header(value)))
    except (HeaderParseError, LookupError, UnicodeError, ValueError):
        return "\x00"  # undecodable: refused like a control character


def _no_control(value: str, key: str) -> str:
    if HEADER_ILLEGAL.search(value) or HEADER_ILLEGAL.search(_decoded(value)):
        raise BadRequest(400, f"'{key}' holds a line break or another control character")
    return value


def _header_safe(value: str, key: str) -> str:
    _no_control(value, key)
    if len(value) > MAX_HEADER_CHARS:
        raise BadRequest(413, f"'{key}' is longer than {MAX_HEADER_CHARS} characters")
    return value


def _string(payload: dict[str, Any], key: str, required: bool = True, header: bool = True) -> str:
    """A string field; one that goes into a reply's headers is checked for that."""
    value = payload.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise BadRequest(400, f"'{key}' must be a non-empty string")
    return _header_safe(value.strip(), key) if header else value.strip()


def _message_ids(value: Any, key: str) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = " ".join(value)
    if not isinstance(value, str):
        raise BadRequest(400, f"'{key}' must be a string or a list of Message-IDs")
    return MESSAGE_ID.findall(_no_control(value, key))


def _sender(payload: dict[str, Any]) -> tuple[str, str]:
    """The From field's display name and address, both usable in a reply's To."""
    name, address = parseaddr(_string(payload, "from"))
    if not address.isascii() or not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", address):
        raise BadRequest(400, "'from' must hold an e-mail address")
    try:
        str(Address(name, addr_spec=address))
    except (HeaderParseError, IndexError, ValueError):
        raise BadRequest(400, "'from' must hold an e-mail address") from None
    return name, address


def parse_inbound(body: bytes, max_text_chars: int) -> InboundMail:
    """Check an inbound e-mail's JSON; raise BadRequest saying what is wrong."""
    payload = load_json(body)
    if not isinstance(payload, dict):
        raise BadRequest(400, "the body must be a JSON object")
    name, address = _sender(payload)
    text = clean_text(_string(payload, "text", header=False), max_text_chars, "text")
    message_id = _string(payload, "message_id")
    if not MESSAGE_ID.fullmatch(message_id):
        raise BadRequest(400, "'message_id' must be a Message-ID like <id@host>")
    references = _message_ids(payload.get("references"), "references")
    in_reply_to = _message_ids(payload.get("in_reply_to"), "in_reply_to")
    if in_reply_to and in_reply_to[-1] not in references:
        references.append(in_reply_to[-1])
    if len(references) > MAX_REFERENCES:  # the root and the latest are what threads
        references = references[:1] + references[1 - MAX_REFERENCES :]
    mail = InboundMail(
        address,
        name,
        mask_card_numbers(_string(payload, "subject", required=False)),
        text,
        message_id,
        tuple(references),
    )
    try:  # whatever is taken must be answerable: the reply's headers are built now
        compose_reply(mail, [], "reply@example.com", "", MailWords("", "")).as_bytes()
    except (HeaderParseError, UnicodeError, ValueError):
        raise BadRequest(400, "the message's headers cannot be used in a reply") from None
    return mail


def new_text(text: str) -> str:
    """What the customer wrote in this message: no quoted thread, no signature."""
    for boundary in (QUOTE_HEADER, SIGNATURE):
        match = boundary.search(text)
        if match:
            text = text[: match.start()]
    return "\n".join(
        line for line in text.splitlines() if not line.lstrip().startswith(">")
    ).strip()


def questions(text: str, limit: int) -> list[str]:
    """The message cut into what to answer: each question with the statements that
    follow it ("Where is BW-100002? My postcode is 98096."), statements before the
    first question joining it. A message without a question is one request."""
    chunks: list[str] = []
    lead: list[str] = []
    for sentence in (s.strip() for s in SENTENCE.findall(new_text(text))):
        if not sentence:
            continue
        if sentence.endswith("?"):
            chunks.append(" ".join(lead + [sentence]))
            lead = []
        elif chunks:
            chunks[-1] += f" {sentence}"
        else:
            lead.append(sentence)
    if lead:
        chunks.append(" ".join(lead))
    return chunks[:limit]


def first_name(mail: InboundMail) -> str:
    """The sender's first name as their From header gives it; "" when it gives none."""
    first = mail.name.replace('"', "").split()[0] if mail.name.split() else ""
    return first if first.isalpha() else ""


@dataclass(frozen=True)
class MailWords:
    """A reply's own words: the greeting, the assistant's thanks (a person's reply has
    none) and the subject when the customer's mail had none. They are the domain's
    (connectors/wording.py)."""

    greeting: str
    thanks: str
    subject: str = ""


def greets(text: str) -> bool:
    """Whether a message opens with its own greeting ("Hi Noah, ...")."""
    return bool(GREETING.match(text))


def compose_reply(
    mail: InboundMail,
    answers: list[str],
    sender: str,
    signature: str,
    words: MailWords,
    by_person: bool = False,
) -> EmailMessage:
    """A complete, polite reply in the customer's thread. A person's reply (by_person)
    is theirs: greeted only when they did not greet themselves, without the
    assistant's thanks, and not marked as automatic (RFC 3834)."""
    opening = [words.greeting, words.thanks]
    if by_person:
        opening = [] if answers and greets(answers[0]) else [words.greeting]
    quoted = "\n".join(f"> {line}" for line in new_text(mail.text).splitlines())
    body = "\n\n".join(
        [*opening, *answers, signature, f"{mail.name or mail.address} wrote:\n{quoted}"]
    )
    reply = EmailMessage()
    name, address = parseaddr(sender)
    reply["From"] = str(Address(name, addr_spec=address)) if name else address
    reply["To"] = str(Address(mail.name, addr_spec=mail.address)) if mail.name else mail.address
    subject = mail.subject or words.subject
    reply["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    reply["Date"] = format_datetime(datetime.now(UTC))
    reply["Message-ID"] = make_msgid(domain=address.split("@")[-1])
    reply["In-Reply-To"] = mail.message_id
    reply["References"] = " ".join([*mail.references, mail.message_id])
    if not by_person:
        reply["Auto-Submitted"] = "auto-replied"
    reply.set_content(body + "\n")
    return reply


@dataclass(frozen=True)
class OutreachMark:
    """What the outreach action marks its message with (actions/outreach_message.py):
    the customer's address and the thread's root Message-ID, which outreach chose and
    from which, with the channel's secret, it named the conversation."""

    address: str
    thread: str

    @classmethod
    def from_kwargs(cls, kwargs: dict[str, Any]) -> "OutreachMark | None":
        mark = kwargs.get("outreach_mail")
        if not isinstance(mark, dict):
            return None
        address, thread = mark.get("address"), mark.get("thread")
        if not (isinstance(address, str) and isinstance(thread, str)):
            return None
        if not MESSAGE_ID.fullmatch(thread) or HEADER_ILLEGAL.search(address + thread):
            return None
        return cls(address, thread)

    def conversation_id(self, secret: str) -> str:
        """The conversation the customer's reply in this thread will come in on."""
        return conversation_id("email", f"{self.thread} {self.address.lower()}", secret)


def compose_outreach(
    mark: OutreachMark, text: str, sender: str, words: MailWords, disclosure: str, signature: str
) -> EmailMessage:
    """A new automated message opening the outreach thread (RFC 3834's
    auto-generated, not a person's reply): the greeting, the text, the disclosure (who
    writes, how to stop, how to reach a person) on every outreach e-mail, since each is
    read on its own, the signature, and a List-Unsubscribe (RFC 2369) asking for STOP."""
    message = EmailMessage()
    name, address = parseaddr(sender)
    message["From"] = str(Address(name, addr_spec=address)) if name else address
    message["To"] = mark.address
    message["Subject"] = words.subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = mark.thread
    message["Auto-Submitted"] = "auto-generated"
    message["List-Unsubscribe"] = f"<mailto:{address}?subject=STOP>"
    message.set_content("\n\n".join([words.greeting, text, disclosure, signature]) + "\n")
    return message
