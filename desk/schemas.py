"""Bodies of the agent API and of its answers, for validation and /docs."""

from typing import Any, Dict, List, Optional

from pydantic import BaseModel, Extra, Field, StrictBool, constr

MAX_TEXT = 2000


class _Strict(BaseModel):
    class Config:
        extra = Extra.forbid


class ReplyRequest(_Strict):
    text: constr(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)  # type: ignore[valid-type]


class RatingRequest(_Strict):
    had_what_i_needed: StrictBool = Field(description="Did the packet have what the agent needed?")
    missing: Optional[constr(strip_whitespace=True, max_length=MAX_TEXT)] = Field(  # type: ignore[valid-type]
        None, description="What was missing, in the agent's words")


class HandoffSummary(BaseModel):
    id: str
    status: str = Field(description="waiting, or ticket outside human support hours")
    position: int = Field(description="1 = next in its line; 0 once claimed or ended")
    expected_wait_minutes: Optional[int]
    human_available_at: Optional[str]


class QueueState(BaseModel):
    waiting: int
    expected_wait_minutes: int = Field(description="The wait of a new arrival")


class Message(BaseModel):
    from_: str = Field(alias="from", description="customer, assistant or agent")
    agent: Optional[str]
    text: str
    at: str


class Handoff(HandoffSummary):
    conversation_id: str
    created_at: str
    agent: Optional[str] = Field(description="Who claimed (or last moved) it")
    claimed_at: Optional[str]
    ended_at: Optional[str]
    rating: Optional[Dict[str, Any]]
    webhook: Dict[str, Any] = Field(description="attempts, last_error, delivered_at")
    packet: Dict[str, Any]


class HandoffDetail(Handoff):
    conversation: Optional[List[Message]] = Field(
        description="Messages since the hand-over, from Rasa; null when Rasa did not answer")
    conversation_error: Optional[str]


class ErrorBody(BaseModel):
    detail: str
