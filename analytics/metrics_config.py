"""metrics.yml: which outcomes complete a goal, the windows and the cost model; checked
when the analytics service starts (a bad key stops it, named with the reason)."""

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Extra, Field, ValidationError, conlist, constr, validator

from common.config_files import read_yaml
from common.satisfaction import Satisfaction

# contract K1's results (actions/outcomes.py; analytics never imports the actions)
Result = Literal[
    "answered",
    "done",
    "not_found",
    "failed",
    "declined",
    "handed_over",
    "verified",
    "refused",
    "clarified",
    "unavailable",
]
Name = constr(regex=r"^[a-z][a-z0-9_]{0,79}$")


def _money() -> Any:
    return Field(0.0, ge=0, le=1000)


class MetricsConfigError(ValueError):
    """metrics.yml cannot be used; the message names the key and the reason."""


class _Strict(BaseModel):
    class Config:
        extra = Extra.forbid
        allow_mutation = False


class Goal(_Strict):
    completed: conlist(Result, min_items=1)  # type: ignore[valid-type]


class ChannelCost(_Strict):
    per_message: float = _money()
    per_minute: float = _money()
    per_conversation: float = _money()


class Costs(_Strict):
    currency: constr(regex=r"^[A-Z]{3}$") = "EUR"  # type: ignore[valid-type]
    compute_per_turn: float = _money()
    channels: dict[Name, ChannelCost] = {}  # type: ignore[valid-type]
    # Agent time is the desk's claim-to-close time of each hand-over times this rate.
    agent_hourly_rate: float = Field(0.0, ge=0, le=10000)
    # The estimate for a hand-over the desk has not closed yet.
    agent_minutes_per_handover: float = Field(0.0, ge=0, le=1440)


class Step(_Strict):
    """A step of a multi-step journey: reached when the outcome record holds an entry of
    this goal with one of these results (any result when none are listed)."""

    step: Name  # type: ignore[valid-type]
    goal: Name  # type: ignore[valid-type]
    results: list[Result] = []

    def reached(self, outcome: dict[str, Any]) -> bool:
        return outcome.get("goal") == self.goal and (
            not self.results or outcome.get("result") in self.results
        )


AlertMetric = Literal[
    "fallback_rate", "handover_rate", "verification_failure_rate", "satisfaction_mean"
]


class Bound(_Strict):
    """The range a figure should stay in over the window (either end may be open)."""

    min: float | None = Field(None, ge=0, le=5)
    max: float | None = Field(None, ge=0, le=5)

    @validator("max", always=True)
    def _ordered(cls, value: float | None, values: dict[str, Any]) -> float | None:
        if value is None and values.get("min") is None:
            raise ValueError("give min, max or both")
        low = values.get("min")
        if value is not None and low is not None and value < low:
            raise ValueError("max is below min")
        return value

    def breached(self, value: float) -> bool:
        return (self.min is not None and value < self.min) or (
            self.max is not None and value > self.max
        )


class Alerts(_Strict):
    """Watching after launch (issue 17): each figure over the last window_hours is
    checked against its bound every evaluate_every_seconds."""

    window_hours: float = Field(24, gt=0, le=24 * 31)
    evaluate_every_seconds: float = Field(300, ge=1, le=86400)
    # Fewer conversations (or satisfaction answers) in the window: not judged.
    min_conversations: int = Field(20, ge=1, le=1_000_000)
    webhook_timeout_seconds: float = Field(5, gt=0, le=60)
    bounds: dict[AlertMetric, Bound] = {}


class MetricsConfig(_Strict):
    version: Literal[1]
    goals: dict[Name, Goal]  # type: ignore[valid-type]
    first_contact_resolution_days: float = Field(7, gt=0, le=90)
    abandoned_after_minutes: float = Field(30, gt=0, le=60 * 24 * 30)
    closing_intents: list[Name] = []  # type: ignore[valid-type]
    costs: Costs = Field(default_factory=lambda: Costs.parse_obj({}))
    # Multi-step journeys by their goal: a conversation whose outcome record names the
    # goal is in the funnel; each step is reached once it and the steps before it are.
    funnels: dict[Name, conlist(Step, min_items=2)] = {}  # type: ignore[valid-type]
    # Per outreach rule (outreach.yml): the goals of an inbound conversation about what
    # its message was about. Such a conversation within the FCR window after the rule
    # selected the customer is a contact outreach may prevent (against the hold-out).
    outreach_goals: dict[Name, conlist(Name, min_items=1)] = {}  # type: ignore[valid-type]
    # The one-question prompt at the end of chat and WhatsApp conversations.
    satisfaction: Satisfaction = Field(default_factory=Satisfaction)
    alerts: Alerts = Field(default_factory=lambda: Alerts.parse_obj({}))

    @validator("funnels")
    def _sound_funnels(cls, funnels: dict[str, list[Step]]) -> dict[str, list[Step]]:
        for journey, steps in funnels.items():
            names = [step.step for step in steps]
            if len(set(names)) < len(names):
                raise ValueError(f"{journey}: each step needs a name of its own")
            if not any(step.goal == journey for step in steps):
                raise ValueError(f"{journey}: no step is of the journey's own goal")
        return funnels

    @validator("goals")
    def _some_goal(cls, goals: dict[str, Goal]) -> dict[str, Goal]:
        if not goals:
            raise ValueError("name at least one goal")
        return goals

    def completes(self, goal: str | None, result: str | None) -> bool:
        """Whether an outcome with this goal and result completes a goal."""
        wanted = self.goals.get(goal or "")
        return wanted is not None and result in wanted.completed


def _key(location: tuple) -> str:
    return ".".join(str(part) for part in location if part != "__root__") or "(top level)"


def parse_metrics_config(data: object) -> MetricsConfig:
    """The configuration in data (metrics.yml's contents), or MetricsConfigError."""
    if not isinstance(data, dict):
        raise MetricsConfigError("metrics.yml: expected a mapping at the top level")
    try:
        return MetricsConfig.parse_obj(data)
    except ValidationError as invalid:
        first = invalid.errors()[0]
        raise MetricsConfigError(f"metrics.yml: {_key(first['loc'])}: {first['msg']}") from None


def load_metrics_config(path: Path) -> MetricsConfig:
    """metrics.yml read and checked."""
    return parse_metrics_config(read_yaml(path, MetricsConfigError))
