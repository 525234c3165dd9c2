"""Reads outreach.yml into a frozen, validated configuration, refusing anything malformed.

Each rule maps a trigger (a business event the memory stores, a timeline condition held
for some days, or a lifecycle stage) to a purpose, the channels to try in order, the
domain response to send, a delay and the stop conditions checked before every send.
Quiet hours, frequency caps, the hold-out share and the disclosure are global. Every
problem is reported at once, one per line, as `key.path: reason`.
"""

import re
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, root_validator, validator

from common.config_files import Strict, read_yaml

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "outreach.yml"

Purpose = Literal["service", "marketing"]
Channel = Literal["whatsapp", "email", "voice"]
PURPOSES: tuple[Purpose, ...] = ("service", "marketing")
CHANNELS: tuple[Channel, ...] = ("whatsapp", "email", "voice")
# The business event types the memory's POST /events accepts (README, "Customer memory").
EVENT_TYPES = (
    "payment_failed",
    "shipment_delayed",
    "order_delivered",
    "claim_updated",
    "page_viewed",
    "appointment_missed",
)
# Conditions read from the customer's records and timeline, held for `days`.
CONDITIONS = ("pending_activation",)
LIFECYCLE_STAGES = ("prospect", "onboarding", "active", "at_risk")
# Stop conditions, each checked at send time; only contacted_recently takes a value.
STOP_CONDITIONS = (
    "problem_resolved",
    "contacted_recently",
    "agent_holds_conversation",
    "open_complaint",
    "never_automated_topic",
)
RESPONSE_NAME = re.compile(r"utter_[a-z0-9]+(_[a-z0-9]+)*")
RULE_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
COUNTRY_CODE = re.compile(r"\+[1-9][0-9]{0,2}")
# A Twilio Content API template (a WhatsApp template approved by Meta): its SID, and
# what fills each of its numbered placeholders (outreach/whatsapp_window.py).
CONTENT_SID = re.compile(r"HX[0-9a-f]{32}")
TEMPLATE_PLACEHOLDER = re.compile(r"[1-9][0-9]?")
TEMPLATE_VALUES = ("record",)  # the invoice or order the event is about


class OutreachConfigError(ValueError):
    """outreach.yml cannot be used; the message names each bad key and its reason."""


def _response_name(value: str) -> str:
    if not RESPONSE_NAME.fullmatch(value):
        raise ValueError("expected a domain response name such as utter_outreach_payment_failed")
    return value


def _clock(value: Any) -> time:
    # YAML 1.1 reads an unquoted 21:00 as the number 1260: refuse it rather than guess.
    if not isinstance(value, str) or not (match := CLOCK.fullmatch(value)):
        raise ValueError("expected a quoted local time 'HH:MM' such as '21:00'")
    return time(int(match[1]), int(match[2]))


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone such as Europe/London") from None
    return value


class Trigger(Strict):
    """Exactly one of: a business event, a condition held `days`, a lifecycle stage."""

    event: Literal[EVENT_TYPES] | None = None  # type: ignore[valid-type]
    condition: Literal[CONDITIONS] | None = None  # type: ignore[valid-type]
    days: int | None = Field(None, ge=1, le=365)
    lifecycle_stage: Literal[LIFECYCLE_STAGES] | None = None  # type: ignore[valid-type]

    @root_validator(skip_on_failure=True)
    def _one_kind(cls, values: dict[str, Any]) -> dict[str, Any]:
        given = [k for k in ("event", "condition", "lifecycle_stage") if values.get(k)]
        if len(given) != 1:
            raise ValueError("expected exactly one of event, condition, lifecycle_stage")
        if (values.get("days") is None) == (given[0] == "condition"):
            raise ValueError(
                "days: a condition needs how many days it has held; nothing else takes days"
            )
        return values

    @property
    def key(self) -> str:
        """What the trigger reacts to, as one word (the event type, condition or stage)."""
        return str(self.event or self.condition or self.lifecycle_stage)


class StopCondition(Strict):
    name: Literal[STOP_CONDITIONS]  # type: ignore[valid-type]
    hours: float | None = Field(None, gt=0, le=24 * 90)


def _stop_condition(value: Any) -> StopCondition:
    """A name, or `{contacted_recently: {hours: N}}` for the one that takes a value."""
    if isinstance(value, StopCondition):
        return value
    options: Any
    if isinstance(value, str):
        name, options = value, {}
    elif isinstance(value, dict) and len(value) == 1:
        name, options = next(iter(value.items()))
        if not isinstance(options, dict):
            raise ValueError(f"{name}: expected its options as a mapping such as {{hours: 24}}")
    else:
        raise ValueError("expected a stop condition's name, or {contacted_recently: {hours: N}}")
    if name not in STOP_CONDITIONS:
        raise ValueError(f"unknown stop condition {name!r}; known: {', '.join(STOP_CONDITIONS)}")
    if (name == "contacted_recently") != ("hours" in options) or set(options) - {"hours"}:
        raise ValueError(
            "contacted_recently takes {hours: N} and nothing else; other conditions take no options"
        )
    try:
        return StopCondition(name=name, **options)
    except ValidationError as invalid:
        raise ValueError(f"{name}.hours: {invalid.errors()[0]['msg']}") from None


class WhatsAppTemplate(Strict):
    """What goes out on WhatsApp outside the customer's 24-hour window, when WhatsApp
    takes only a pre-approved template: its content SID, and per numbered placeholder
    which of the plan's values fills it. The approved text must say what the
    disclosure says (Brightwave's automated assistant, reply STOP, reply HUMAN)."""

    content_sid: str
    variables: dict[str, Literal[TEMPLATE_VALUES]] = Field(  # type: ignore[valid-type]
        default_factory=dict
    )

    @validator("content_sid")
    def _sid(cls, value: str) -> str:
        if not CONTENT_SID.fullmatch(value):
            raise ValueError("expected a Twilio content SID: HX and 32 hexadecimal digits")
        return value

    @validator("variables")
    def _placeholders(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if not TEMPLATE_PLACEHOLDER.fullmatch(key):
                raise ValueError(f"{key!r} is not a template placeholder number such as '1'")
        return value


class Rule(Strict):
    trigger: Trigger
    purpose: Purpose
    channels: list[Channel] = Field(..., min_items=1)
    message: str
    delay_minutes: int = Field(..., ge=0, le=7 * 24 * 60)
    stop_when: list[StopCondition] = Field(default_factory=list)
    whatsapp_template: WhatsAppTemplate | None = None

    _message = validator("message", allow_reuse=True)(_response_name)

    @root_validator(skip_on_failure=True)
    def _template_for_whatsapp(cls, values: dict[str, Any]) -> dict[str, Any]:
        if "whatsapp" in values["channels"] and values.get("whatsapp_template") is None:
            raise ValueError(
                "whatsapp_template: a rule with whatsapp in its channels needs its approved "
                "template ({content_sid: HX..., variables: {'1': record}}) for customers "
                "outside WhatsApp's 24-hour window"
            )
        return values

    @validator("channels")
    def _unique_channels(cls, value: list[Channel]) -> list[Channel]:
        if len(set(value)) != len(value):
            raise ValueError("a channel is named twice")
        return value

    @validator("stop_when", pre=True)
    def _stop_conditions(cls, value: Any) -> list[StopCondition]:
        if not isinstance(value, list):
            raise ValueError("expected a list of stop conditions")
        parsed = [_stop_condition(item) for item in value]
        if len({c.name for c in parsed}) != len(parsed):
            raise ValueError("a stop condition is named twice")
        return parsed

    def stop_condition(self, name: str) -> StopCondition | None:
        return next((c for c in self.stop_when if c.name == name), None)


class QuietHours(Strict):
    """No outreach between start and end in the customer's local time (may span midnight)."""

    start: time
    end: time

    _clocks = validator("start", "end", pre=True, allow_reuse=True)(_clock)

    @root_validator(skip_on_failure=True)
    def _not_empty(cls, values: dict[str, Any]) -> dict[str, Any]:
        if values["start"] == values["end"]:
            raise ValueError("start and end are the same time")
        return values

    def covers(self, local: time) -> bool:
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


class Caps(Strict):
    per_day: int = Field(..., ge=1, le=20)
    per_week: int = Field(..., ge=1, le=100)

    @root_validator(skip_on_failure=True)
    def _week_holds_a_day(cls, values: dict[str, Any]) -> dict[str, Any]:
        if values["per_week"] < values["per_day"]:
            raise ValueError("per_week is smaller than per_day")
        return values


class Disclosure(Strict):
    """What says the message is Brightwave's automated assistant, how to stop and how
    to reach a person; it cannot be switched off, only sent on more messages."""

    response: str
    send_with: Literal["first_message", "every_message"]

    _response = validator("response", allow_reuse=True)(_response_name)


class TimeZones(Strict):
    """The customer's city, else their number's country code, else the default."""

    default: str
    cities: dict[str, str] = Field(default_factory=dict)
    country_codes: dict[str, str] = Field(default_factory=dict)

    _default = validator("default", allow_reuse=True)(_zone)

    @validator("cities", "country_codes", each_item=True)
    def _zones(cls, value: str) -> str:
        return _zone(value)

    @validator("country_codes")
    def _codes(cls, value: dict[str, str]) -> dict[str, str]:
        for code in value:
            if not COUNTRY_CODE.fullmatch(code):
                raise ValueError(f"{code!r} is not a country calling code such as '+44'")
        return value


class OutreachConfig(Strict):
    version: Literal[1]
    quiet_hours: QuietHours
    caps: Caps
    holdout_share: float = Field(..., ge=0, le=0.5)
    disclosure: Disclosure
    time_zones: TimeZones
    rules: dict[str, Rule]

    @validator("rules")
    def _rule_names(cls, value: dict[str, Rule]) -> dict[str, Rule]:
        if not value:
            raise ValueError("expected at least one rule")
        for name in value:
            if not RULE_NAME.fullmatch(name):
                raise ValueError(f"rule name {name!r}: expected 1-40 of a-z, 0-9, '_'")
        return value


def _describe(error: Mapping[str, Any]) -> str:
    where = ".".join(str(part) for part in error["loc"] if part != "__root__")
    return f"{where or '(top level)'}: {error['msg']}"


def parse_config(raw: Any) -> OutreachConfig:
    """The configuration in raw (outreach.yml as read); every problem named at once."""
    if not isinstance(raw, dict):
        raise OutreachConfigError("(top level): expected a mapping of keys")
    try:
        return OutreachConfig.parse_obj(raw)
    except ValidationError as invalid:
        raise OutreachConfigError(
            "\n".join(_describe(error) for error in invalid.errors())
        ) from None


def load_config(path: Path = DEFAULT_PATH) -> OutreachConfig:
    """outreach.yml at path, validated; OutreachConfigError naming each bad key."""
    return parse_config(read_yaml(path, OutreachConfigError))
