"""lifecycle.yml: the limits on what the assistant may do alone in the service
journeys (e.g. which claims go to a person). Validated once, at load; every problem is
reported at once, one per line, as `key.path: reason`."""

from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, validator

from common.config_files import Strict, problems, read_yaml

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "lifecycle.yml"
# The incident types the backend's protection plans know (fixtures' protection_plans).
INCIDENT_TYPES = ("screen_damage", "malfunction", "water_damage", "theft", "loss")
BACKEND_DESCRIPTION_LIMIT = 500
# Why a customer cancels (the backend's cancellation reasons the assistant asks about).
CANCEL_REASONS = ("too_expensive", "no_longer_needed", "switching_provider", "other")
# The protection plans (fixtures' protection_plans) and the customers' tiers.
PLANS = ("basic", "plus")
TIERS = ("standard", "plus", "premium")
# What a retention rule may offer; an accepted one is carried out through the backend
# (actions/cancel_policy.py), a month free worth more than the limit by a person.
OFFERS = ("switch_to_basic", "month_free")


class LifecycleConfigError(ValueError):
    """lifecycle.yml cannot be used; the message names each bad key and its reason."""


class ClaimLimits(Strict):
    hand_over_incidents: tuple[str, ...] = ()
    description_max_chars: int = Field(BACKEND_DESCRIPTION_LIMIT, ge=20)

    @validator("hand_over_incidents", each_item=True)
    def _known_incident(cls, value: str) -> str:
        if value not in INCIDENT_TYPES:
            raise ValueError(f"unknown incident type {value!r}; one of {', '.join(INCIDENT_TYPES)}")
        return value

    @validator("description_max_chars")
    def _within_backend(cls, value: int) -> int:
        if value > BACKEND_DESCRIPTION_LIMIT:
            raise ValueError(f"at most {BACKEND_DESCRIPTION_LIMIT}, the backend's limit")
        return value


class ActivationTerms(Strict):
    """What activating a pending device policy sends the backend as accepted."""

    terms_version: str = Field("2026-01", min_length=1, max_length=32, regex=r"^[A-Za-z0-9._-]+$")


class Acquisition(Strict):
    """What a prospect is told and asked: the devices a protection plan is quoted for
    (catalog categories), and the version of the contact-consent text they say yes to
    (sent to the backend with the lead)."""

    protected_categories: tuple[str, ...] = ("phone", "tablet", "laptop", "watch", "audio")
    consent_text_version: str = Field(
        "2026-11", min_length=1, max_length=32, regex=r"^[A-Za-z0-9._-]+$"
    )

    @validator("protected_categories")
    def _some_category(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("at least one catalog category, or no quote can be given")
        return value


class RetentionOffer(Strict):
    """One rule: when every condition given holds, the offer is made (first rule wins)."""

    offer: str
    reasons: tuple[str, ...] = ()  # empty: any reason
    plans: tuple[str, ...] = ()  # the policy's plan; empty: any
    tiers: tuple[str, ...] = ()  # the customer's tier; empty: any
    min_tenure_months: int = Field(0, ge=0, le=600)

    @validator("offer")
    def _known_offer(cls, value: str) -> str:
        return _one_of(value, OFFERS, "offer")

    @validator("reasons", each_item=True)
    def _known_reason(cls, value: str) -> str:
        return _one_of(value, CANCEL_REASONS, "reason")

    @validator("plans", each_item=True)
    def _known_plan(cls, value: str) -> str:
        return _one_of(value, PLANS, "plan")

    @validator("tiers", each_item=True)
    def _known_tier(cls, value: str) -> str:
        return _one_of(value, TIERS, "tier")

    @validator("plans", always=True)
    def _not_to_its_own_plan(
        cls, value: tuple[str, ...], values: dict[str, Any]
    ) -> tuple[str, ...]:
        if values.get("offer") == "switch_to_basic" and (not value or "basic" in value):
            raise ValueError("switch_to_basic needs plans without basic (it is already basic)")
        return value

    def applies(self, reason: str, plan: str, tier: str, tenure_months: int) -> bool:
        """Every condition this rule gives holds."""
        return (
            (not self.reasons or reason in self.reasons)
            and (not self.plans or plan in self.plans)
            and (not self.tiers or tier in self.tiers)
            and tenure_months >= self.min_tenure_months
        )


class RetentionRules(Strict):
    offers: tuple[RetentionOffer, ...] = ()
    # Cancellations a customer may make with the assistant in a calendar year; the
    # next one goes to a person with a packet.
    max_cancellations_per_year: int = Field(..., ge=0, le=50)
    # The largest month's premium (in the policy's currency) the assistant credits
    # alone as a month free; a dearer one goes to a person with a packet.
    month_free_max_credit: float = Field(..., ge=0, le=1000)

    def offer_for(self, reason: str, plan: str, tier: str, tenure_months: int) -> str | None:
        """The first rule's offer that applies, or None."""
        rule = next((r for r in self.offers if r.applies(reason, plan, tier, tenure_months)), None)
        return rule.offer if rule else None


class LifecycleConfig(Strict):
    claims: ClaimLimits
    activation: ActivationTerms
    retention: RetentionRules
    acquisition: Acquisition


def _one_of(value: str, known: tuple[str, ...], what: str) -> str:
    if value not in known:
        raise ValueError(f"unknown {what} {value!r}; one of {', '.join(known)}")
    return value


def parse_config(raw: Any) -> LifecycleConfig:
    """The validated configuration; LifecycleConfigError naming each bad key."""
    if not isinstance(raw, dict):
        raise LifecycleConfigError("(top level): expected a mapping with a claims section")
    try:
        return LifecycleConfig.parse_obj(raw)
    except ValidationError as invalid:
        raise LifecycleConfigError("\n".join(problems(invalid))) from None


def load_config(path: Path | None = None) -> LifecycleConfig:
    """lifecycle.yml (or the file at path), validated."""
    path = path or DEFAULT_PATH
    return parse_config(read_yaml(path, LifecycleConfigError))


@lru_cache(maxsize=1)
def lifecycle_config() -> LifecycleConfig:
    """The process's configuration, read once."""
    return load_config()
