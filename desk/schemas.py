"""Bodies of the agent API and of its answers, for validation and /docs.

pydantic 1.10 documents an Optional field as its type alone, although the answer
holds null; every model here declares such fields nullable (OpenAPI 3.1: anyOf
with {"type": "null"}), so generated clients accept what the desk sends.
"""

from typing import Any, Dict, List, Literal, Optional, Type

from pydantic import BaseModel, Extra, Field, StrictBool, conlist, constr, validator

from desk.text import safe_text

MAX_TEXT = 2000
MAX_BULK = 200
Role = Literal["agent", "supervisor", "admin"]


def _nullable(schema: Dict[str, Any], model: Type[BaseModel]) -> None:
    for field in model.__fields__.values():
        prop = schema.get("properties", {}).get(field.alias)
        if field.allow_none and prop is not None and "anyOf" not in prop:
            described = {key: prop.pop(key) for key in ("title", "description") if key in prop}
            schema["properties"][field.alias] = {**described,
                                                 "anyOf": [prop, {"type": "null"}]}


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
    missing: Optional[constr(strip_whitespace=True, max_length=MAX_TEXT)] = Field(  # type: ignore[valid-type]
        None, description="What was missing, in the agent's words")

    _safe = validator("missing", pre=True, allow_reuse=True)(_safe_text)


class EnrichmentRequest(_Strict):
    """What the assistant could not read at hand-over time, read since, or what it
    told the customer from the receipt: each part given replaces the packet's; the
    packet must still match its schema."""

    customer: Optional[Dict[str, Any]] = Field(
        None, description="The packet's `customer`, with the name and tier now known")
    account_snapshot: Optional[Dict[str, Any]] = Field(
        None, description="The packet's `account_snapshot`, with the records now read")
    customer_notice: Optional[Dict[str, Any]] = Field(
        None, description="The packet's `customer_notice`: what the customer was told")


class HandoffSummary(_Documented):
    id: str
    reference: str = Field(description="Short reference for the customer, e.g. H-3F9A0C")
    status: str = Field(description="waiting, or ticket outside human support hours")
    position: int = Field(description="1 = next in its line; 0 once claimed or ended")
    expected_wait_minutes: Optional[int]
    human_available_at: Optional[str]


class Hours(_Documented):
    time_zone: str = Field(description="IANA name, e.g. Europe/Berlin")
    days: List[str] = Field(description="mon … sun, in week order")
    open: str = Field(description="HH:MM")
    close: str = Field(description="HH:MM (24:00 for midnight)")


class Availability(_Documented):
    open_now: bool = Field(description="A person takes a hand-over live: within support "
                                       "hours, the expected wait ending before closing")
    next_open: Optional[str] = Field(description="When not open_now: the next opening, "
                                                 "ISO-8601 with offset")
    hours: Hours


class HandoffReceipt(HandoffSummary, Availability):
    """The answer to a hand-over (contract K2): the customer is told from it."""


class QueueState(Availability):
    waiting: int
    expected_wait_minutes: int = Field(description="The wait of a new arrival")


class Message(_Documented):
    from_: str = Field(alias="from", description="customer, assistant or agent")
    agent: Optional[str]
    text: str
    at: str
    delivery: Optional[Literal["waiting", "delivered", "failed", "not_sent", "unknown"]] = Field(
        description="An agent's message: whether it reached the customer, as their channel "
                    "reports it (connectors/delivery.py)")


class ContactDetail(_Documented):
    label: str
    value: str


class Contact(_Documented):
    details: List[ContactDetail] = Field(description="What the packet's customer block holds")
    callback_number: Optional[str] = Field(description="The number to call back (calls only)")
    missing: Optional[str] = Field(description="What the packet lacks, in words")


class PlainLine(_Documented):
    from_: str = Field(alias="from", description="customer, assistant or agent")
    text: str = Field(description="As the customer saw or wrote it: a tapped button or a "
                                  "chosen number as the option's title")
    note: Optional[str] = Field(description="How the customer answered, e.g. 'chose option 2'")
    options: List[str] = Field(description="The options the assistant offered with this message")
    at: Optional[str] = Field(description="Local time in the support hours' time zone")


class PlainView(_Documented):
    """The packet in an agent's words (desk/plain.py)."""

    channel: str = Field(description="Web chat, WhatsApp, Phone, E-mail or API")
    why: str = Field(description="The escalation rule's description, in words")
    why_evidence: Optional[str] = Field(description="The customer's words that fired it")
    received: str = Field(description="When the hand-over came in, local time")
    age: str = Field(description="How long ago, e.g. '12 min ago'")
    time_zone: str
    human_available_at: Optional[str] = Field(description="When a person answers a ticket, "
                                                          "local time")
    contact: Contact
    transcript: List[PlainLine]


class Handoff(HandoffSummary):
    conversation_id: str
    created_at: str
    agent: Optional[str] = Field(description="Who claimed (or last moved) it")
    claimed_at: Optional[str]
    ended_at: Optional[str]
    rating: Optional[Dict[str, Any]]
    webhook: Dict[str, Any] = Field(description="attempts, last_error, delivered_at")
    packet: Dict[str, Any]
    plain: Optional[PlainView] = Field(description="The packet in an agent's words; every "
                                                   "answer to an agent has it")


class BulkCloseRequest(_Strict):
    ids: conlist(constr(min_length=1, max_length=64), min_items=1,  # type: ignore[valid-type]
                 max_items=MAX_BULK, unique_items=True) = Field(
        description="The hand-overs to close")
    reason: constr(strip_whitespace=True, min_length=1, max_length=500) = Field(  # type: ignore[valid-type]
        description="Why, e.g. 'test conversations'; kept in the audit log")

    _safe = validator("reason", pre=True, allow_reuse=True)(_safe_text)


class Skipped(_Documented):
    id: str
    reason: str


class BulkCloseResult(_Documented):
    closed: List[str]
    skipped: List[Skipped] = Field(description="Not closed, each with the reason")


class HandoffDetail(Handoff):
    conversation: Optional[List[Message]] = Field(
        description="Messages since the hand-over, from Rasa; null when Rasa did not answer")
    conversation_error: Optional[str]


class ErrorBody(_Documented):
    detail: str = Field(description="The reason, in words")


class SignInRequest(_Strict):
    username: constr(max_length=64)  # type: ignore[valid-type]
    password: constr(max_length=256)  # type: ignore[valid-type]


class SessionInfo(_Documented):
    username: str
    role: str
    token: Optional[str] = Field(description="The session's bearer token (only when signing in)")
    expires_at: Optional[str] = Field(description="When the session ends at the latest "
                                                  "(only when signing in)")


class AccountRequest(_Strict):
    username: constr(max_length=64)  # type: ignore[valid-type]
    role: Role = "agent"
    password: Optional[constr(max_length=256)] = Field(  # type: ignore[valid-type]
        None, description="Generated and returned once when left out")


class AccountChange(_Strict):
    role: Optional[Role]
    active: Optional[StrictBool] = Field(description="false disables the account and ends "
                                                    "its sessions")
    password: Optional[constr(max_length=256)] = Field(  # type: ignore[valid-type]
        description="A new password; ends the account's sessions")


class AccountView(_Documented):
    username: str
    role: str
    active: bool
    created_at: str
    created_by: Optional[str]
    password: Optional[str] = Field(description="The generated password, shown only once")


class AuditEntry(_Documented):
    id: int
    at: str
    actor: str = Field(description="The account, or 'integration' for the action server")
    role: Optional[str]
    action: str
    handoff_id: Optional[str]
    conversation_id: Optional[str]
    subject: Optional[str] = Field(description="The account or customer acted on")
    outcome: str = Field(description="ok, refused or failed")
    detail: Optional[str]


class UnlockResult(_Documented):
    customer_id: str
    locked: bool
