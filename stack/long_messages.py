"""Long messages take turns, so a flood of them cannot starve everyone else.

Reading a long message costs several normal turns (the encoder reads up to 256
tokens; the stores write the whole text), and on a small machine a client posting
them back to back took a core from the other conversations. Each channel request
whose body is over `SWITCHBOARD_LONG_MESSAGE_BYTES` is given a start time: the long
requests together may use `SWITCHBOARD_LONG_MESSAGE_SHARE` of the time, so after one
that took t seconds the next starts t × (1/share − 1) later. Short messages never
wait. No long message waits more than `SWITCHBOARD_LONG_MESSAGE_MAX_WAIT_SECONDS`
(Twilio gives up on a webhook after 15 s and does not retry), and none is refused:
the channels' rate limits bound how many arrive at once.

The schedule is a time, not a lock held across the request: a request that never
reaches the response middleware (a dropped connection) cannot block the others.
"""

import asyncio
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from pydantic import Field
from sanic import Sanic
from sanic.request import Request
from sanic.response import BaseHTTPResponse

from common.settings import EnvSettings

CHANNEL_PATHS = "/webhooks/"
# A first guess at a long request's cost, before one has been measured.
FIRST_COST_SECONDS = 0.2
# How much of a new measurement the running estimate takes.
COST_WEIGHT = 0.3


class LongMessageConfigError(ValueError):
    """A long-message setting is out of range."""


class LongMessageSettings(EnvSettings):
    body_bytes: int = Field(
        4096,
        env="SWITCHBOARD_LONG_MESSAGE_BYTES",
        ge=512,
        rule="a whole number of bytes, at least 512",
    )
    share: float = Field(
        0.25,
        env="SWITCHBOARD_LONG_MESSAGE_SHARE",
        gt=0,
        le=1,
        rule="a fraction of the time above 0 and at most 1",
    )
    max_wait_seconds: float = Field(
        5.0,
        env="SWITCHBOARD_LONG_MESSAGE_MAX_WAIT_SECONDS",
        ge=0,
        le=60,
        rule="a number of seconds from 0 to 60",
    )


@dataclass
class Schedule:
    """When the next long request may start, from what the earlier ones cost."""

    share: float
    max_wait_seconds: float
    clock: Callable[[], float] = time.monotonic
    cost_seconds: float = FIRST_COST_SECONDS
    next_start: float = field(default=float("-inf"))

    def admit(self) -> float:
        """Seconds to wait before starting; the slot after it is the next request's."""
        now = self.clock()
        start = min(max(now, self.next_start), now + self.max_wait_seconds)
        self.next_start = start + self.cost_seconds / self.share
        return start - now

    def finished(self, seconds: float) -> None:
        """A long request took this long: the next slots are spaced by what they cost."""
        self.cost_seconds += COST_WEIGHT * (seconds - self.cost_seconds)


def install(app: Sanic, env: Mapping[str, str] = os.environ) -> None:
    """Pace the long channel requests of Rasa's app; a bad setting stops the start."""
    settings = LongMessageSettings.from_env(env, LongMessageConfigError)
    schedule = Schedule(settings.share, settings.max_wait_seconds)

    def long_request(request: Request) -> bool:
        return (
            request.method == "POST"
            and request.path.startswith(CHANNEL_PATHS)
            and len(request.body or b"") > settings.body_bytes
        )

    async def take_turn(request: Request) -> None:
        if long_request(request):
            await asyncio.sleep(schedule.admit())
            request.ctx.long_started = time.monotonic()

    async def measure(request: Request, _: BaseHTTPResponse) -> None:
        started = getattr(request.ctx, "long_started", None)
        if started is not None:
            schedule.finished(time.monotonic() - started)

    app.register_middleware(take_turn, "request")
    app.register_middleware(measure, "response")
