"""Rate limits on the public entry points, with the maintained `limits` library.

Each channel names its limits in credentials.yml under `rate_limits`, one rate per
scope, in `limits`' notation ("30/minute", "5/second;100/hour"):

    rate_limits:
      client: 120/minute    # per client address
      sender: 30/minute     # per conversation, number or e-mail address

A request over any of them is refused with 429 and `Retry-After` before the
assistant sees it. Keys are hashed, so no number or address is kept in the
counters. Counters live in memory by default (one process); a deployment with
several Rasa processes points SWITCHBOARD_RATE_LIMIT_STORAGE at Redis
("redis://host:6379/1") so that the limits hold across them.
"""

import hashlib
import math
import os
import time
from collections.abc import Mapping
from typing import Any

from limits import RateLimitItem, parse_many, storage, strategies
from sanic.request import Request

from connectors.webhook import BadRequest

STORAGE_ENV = "SWITCHBOARD_RATE_LIMIT_STORAGE"
DEFAULT_STORAGE = "memory://"


class RateLimitConfigError(ValueError):
    """A rate in credentials.yml that `limits` cannot read; names the channel and scope."""


def client_address(request: Request) -> str:
    """The caller's address: behind a proxy, as Sanic's forwarded-header settings
    say (stack/rasa_listeners.trust_proxies); otherwise the connection's peer."""
    return request.remote_addr or request.ip or "unknown"


def _key(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class RateLimits:
    """One channel's limits per scope; `check` counts a request or refuses it."""

    def __init__(
        self, channel: str, rates: Mapping[str, str], storage_uri: str | None = None
    ) -> None:
        self.channel = channel
        self.rates: dict[str, list[RateLimitItem]] = {}
        for scope, rate in rates.items():
            try:
                self.rates[scope] = parse_many(str(rate))
            except ValueError as error:
                raise RateLimitConfigError(
                    f"{channel}: rate_limits.{scope}={rate!r} is not a rate such as "
                    f"'30/minute' ({error})"
                ) from None
        uri = storage_uri or os.environ.get(STORAGE_ENV) or DEFAULT_STORAGE
        self.limiter = strategies.MovingWindowRateLimiter(storage.storage_from_string(uri))

    @classmethod
    def from_credentials(
        cls, channel: str, credentials: Mapping[str, Any] | None, defaults: Mapping[str, str]
    ) -> "RateLimits":
        """The channel's `rate_limits` from credentials.yml over its defaults."""
        configured = (credentials or {}).get("rate_limits") or {}
        if not isinstance(configured, Mapping):
            raise RateLimitConfigError(f"{channel}: rate_limits must be a mapping of scope to rate")
        return cls(channel, {**defaults, **configured})

    def check(self, **keys: str | None) -> None:
        """Count one request against each named scope's key (scopes without a limit
        or a key are skipped); BadRequest 429 with Retry-After when one is over."""
        for scope, value in keys.items():
            if not value or scope not in self.rates:
                continue
            key = _key(value)
            for item in self.rates[scope]:
                if not self.limiter.hit(item, self.channel, scope, key):
                    reset = self.limiter.get_window_stats(item, self.channel, scope, key).reset_time
                    retry = max(1, math.ceil(reset - time.time()))
                    raise BadRequest(
                        429,
                        f"too many requests ({scope}): try again in {retry} s",
                        headers={"Retry-After": str(retry)},
                    )
