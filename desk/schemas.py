"""Bodies of the agent API and of its answers, for validation and /docs.

pydantic 1.10 documents an Optional field as its type alone, although the answer
holds null; every model here declares such fields nullable (OpenAPI 3.1: anyOf
with {"type": "null"}), so generated clients accept what the desk sends.
"""

from typing import Any, Literal

from pydantic import BaseModel, Extra, Field, StrictBool, conlist, constr, validator

from desk.text import safe_text

MAX_TEXT = 2000
MAX_BULK = 200
Role = Literal["agent", "supervisor", "admin"]


def _nullable(schema: dict[str, Any], model: type[BaseModel]) -> None:
    for field in model.__fields__.values():
        prop = schema.get("properties", {}).get(field.alias)
        if field.allow_none and prop is not None and "anyOf" not in prop:
            described = {key: prop.pop(key) for key in ("title", "description") if key in prop}
            schema["properties"][field.alias] = {**described, "anyOf": [prop, {"type": "null"}]}


def _safe_text(value: Any) -> Any:
    return safe_text(value) if isinstance(value, str) else value


class _Documented(BaseModel):
    class Config:
        schema_extra = _nullable


class _Strict(_Documented):
    class Config:
        extra = Extra.forbid


class ReplyRequest(_Strict):
    text: constr(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)  # type: ignore[valid-type]

    _safe = validator("text", pre=True, allow_reuse=True)(_safe_text)


class RatingRequest(_Strict):
    had_what_i_needed: StrictBool = Field(description="Did the packet have what the agent needed?")
    missing: constr(strip_whitespace=True, max_length=MAX_TEXT) | None = Field(  # type: ignore[valid-type]
        None, description="What was missing, in the agent's words"
    )

    _safe = validator("missing", pre=True, allow_reuse=True)(_safe_text)


class EnrichmentRequest(_Strict):
    """What the assistant could not read at hand-over time, read since, or what it
    told the customer from the receipt: each part given replaces the packet's; the
    packet must still match its schema."""

    customer: dict[str, Any] | None = Field(
        None, description="The packet's `customer`, with the name and tier now known"
    )
    account_snapshot: dict[str, Any] | None = Field(
        None, description="The packet's `account_snapshot`, with the records now read"
    )
    customer_notice: dict[str, Any] | None = Field(
        None, description="The packet's `customer_notice`: what the customer was told"
    )
    callback: dict[str, Any] | None = Field(
        None, description="The packet's `callback`: how a caller chose to hear from the team"
    )


class HandoffSummary(_Documented):
    id: str
    reference: str = Field(description="Short reference for the customer, e.g. H-3F9A0C")
    status: str = Field(description="waiting, or ticket outside human support hours")
    position: int = Field(description="1 = next in its line; 0 once claimed or ended")
    expected_wait_minutes: int | None
    human_available_at: str | None


class Hours(_Documented):
    time_zone: str = Field(description="IANA name, e.g. Europe/Berlin")
    days: list[str] = Field(description="mon … sun, in week order")
    open: str = Field(description="HH:MM")
    close: str = Field(description="HH:MM (24:00 for midnight)")


class Availability(_Documented):
    open_now: bool = Field(
        description="A person takes a hand-over live: within support "
        "hours, the expected wait ending before closing"
    )
    next_open: str | None = Field(
        description="When not open_now: the next opening, ISO-8601 with offset"
    )
    hours: Hours


class HandoffReceipt(HandoffSummary, Availability):
    """The answer to a hand-over (contract K2): the customer is told from it."""


class QueueState(Availability):
    waiting: int
    expected_wait_minutes: int = Field(description="The wait of a new arrival")


class Message(_Documented):
    from_: str = Field(alias="from", description="customer, assistant or agent")
    agent: str | None
    text: str
    at: str
    delivery: Literal["waiting", "delivered", "failed", "not_sent", "unknown"] | None = Field(
        description="An agent's message: whether it reached the customer, as their channel "
        "reports it (connectors/delivery.py)"
    )


class ContactDetail(_Documented):
    label: str
    value: str


class Contact(_Documented):
    details: list[ContactDetail] = Field(description="What the packet's customer block holds")
    callback_number: str | None = Field(description="The number to call back (calls only)")
    missing: str | None = Field(description="What the packet lacks, in words")


class PlainLine(_Documented):
    from_: str = Field(alias="from", description="customer, assistant or agent")
    text: str = Field(
        description="As the customer saw or wrote it: a tapped button or a "
        "chosen number as the option's title"
    )
    note: str | None = Field(description="How the customer answered, e.g. 'chose option 2'")
    options: list[str] = Field(description="The options the assistant offered with this message")
    at: str | None = Field(description="Local time in the support hours' time zone")


class PlainView(_Documented):
    """The packet in an agent's words (desk/plain.py)."""

    channel: str = Field(description="Web chat, WhatsApp, Phone, E-mail or API")
    language: str = Field("English", description="The customer's language, in English")
    why: str = Field(description="The escalation rule's description, in words")
    why_evidence: str | None = Field(description="The customer's words that fired it")
    received: str = Field(description="When the hand-over came in, local time")
    age: str = Field(description="How long ago, e.g. '12 min ago'")
    time_zone: str
    human_available_at: str | None = Field(description="When a person answers a ticket, local time")
    contact: Contact
    callback: str | None = Field(
        None, description="How a caller chose to hear from the team, in words (calls only)"
    )
    transcript: list[PlainLine]
    history: list[str] = Field(
        [],
        description="The customer's recent contacts on every channel and the events about "
        "them, newest first, one line each (from the packet's `history`)",
    )


class Handoff(HandoffSummary):
    conversation_id: str
    created_at: str
    agent: str | None = Field(description="Who claimed (or last moved) it")
    claimed_at: str | None
    ended_at: str | None
    rating: dict[str, Any] | None
    webhook: dict[str, Any] = Field(description="attempts, last_error, delivered_at")
    packet: dict[str, Any]
    plain: PlainView | None = Field(
        description="The packet in an agent's words; every answer to an agent has it"
    )


class BulkCloseRequest(_Strict):
    ids: conlist(  # type: ignore[valid-type]
        constr(min_length=1, max_length=64),
        min_items=1,
        max_items=MAX_BULK,
        unique_items=True,
    ) = Field(description="The hand-overs to close")
    reason: constr(strip_whitespace=True, min_length=1, max_length=500) = Field(  # type: ignore[valid-type]
        description="Why, e.g. 'test conversations'; kept in the audit log"
    )

    _safe = validator("reason", pre=True, allow_reuse=True)(_safe_text)


class Skipped(_Documented):
    id: str
    reason: str


class BulkCloseResult(_Documented):
    closed: list[str]
    skipped: list[Skipped] = Field(description="Not closed, each with the reason")


class HandoffDetail(Handoff):
    conversation: list[Message] | None = Field(
        description="Messages since the hand-over, from Rasa; null when Rasa did not answer"
    )
    conversation_error: str | None


class ErrorBody(_Documented):
    detail: str = Field(description="The reason, in words")


class SignInRequest(_Strict):
    username: constr(max_length=64)  # type: ignore[valid-type]
    password: constr(max_length=256)  # type: ignore[valid-type]


class SessionInfo(_Documented):
    username: str
    role: str
    token: str | None = Field(description="The session's bearer token (only when signing in)")
    expires_at: str | None = Field(
        description="When the session ends at the latest (only when signing in)"
    )


class AccountRequest(_Strict):
    username: constr(max_length=64)  # type: ignore[valid-type]
    role: Role = "agent"
    password: constr(max_length=256) | None = Field(  # type: ignore[valid-type]
        None, description="Generated and returned once when left out"
    )


class AccountChange(_Strict):
    role: Role | None
    active: StrictBool | None = Field(
        description="false disables the account and ends its sessions"
    )
    password: constr(max_length=256) | None = Field(  # type: ignore[valid-type]
        description="A new password; ends the account's sessions"
    )


class AccountView(_Documented):
    username: str
    role: str
    active: bool
    created_at: str
    created_by: str | None
    password: str | None = Field(description="The generated password, shown only once")


class AuditEntry(_Documented):
    id: int
    at: str
    actor: str = Field(description="The account, or 'integration' for the action server")
    role: str | None
    action: str
    handoff_id: str | None
    conversation_id: str | None
    subject: str | None = Field(description="The account or customer acted on")
    outcome: str = Field(description="ok, refused or failed")
    detail: str | None


class UnlockResult(_Documented):
    customer_id: str
    locked: bool


class ErasurePart(_Documented):
    """One store's part of an erasure: done, failed (with why) or deferred (kept until
    the parts that need it are done), and the rows removed or anonymised per table."""

    status: Literal["done", "failed", "deferred"]
    removed: dict[str, int]
    anonymised: dict[str, int]
    error: str | None


class ErasureReceiptView(_Documented):
    """What an erasure removed where, when, by whom, and the SHA-256 of the receipt's
    canonical JSON (sorted keys, no spaces, ASCII; every field but sha256 and
    hash_matches). It names neither the customer nor their conversations."""

    erasure_id: str
    requested_by: str
    started_at: str
    finished_at: str
    complete: bool
    conversations: int
    parts: dict[str, ErasurePart]
    sha256: str
    hash_matches: bool | None = None
