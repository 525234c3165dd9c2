"""Rate limits (connectors/ratelimit.py) on the `limits` library, in memory."""

import pytest

from connectors.ratelimit import RateLimitConfigError, RateLimits
from connectors.webhook import BadRequest


def test_over_the_limit_is_429_with_retry_after_per_key_and_scope() -> None:
    limits = RateLimits("test", {"sender": "2/minute", "client": "3/minute"}, "memory://")
    limits.check(sender="a", client="1.2.3.4")
    limits.check(sender="a", client="1.2.3.4")
    with pytest.raises(BadRequest) as raised:
        limits.check(sender="a", client="1.2.3.4")
    assert raised.value.status == 429 and "(sender)" in raised.value.reason
    assert 0 < int(raised.value.headers["Retry-After"]) <= 60
    limits.check(sender="b")  # another sender has its own count
    limits.check(sender="c", client="1.2.3.4")  # the client's third counted request
    with pytest.raises(BadRequest) as raised:
        limits.check(sender="d", client="1.2.3.4")
    assert "(client)" in raised.value.reason
    limits.check(session="x", sender=None)  # scopes without a limit or a key are skipped


def test_credentials_override_the_defaults_and_a_bad_rate_stops_the_start() -> None:
    limits = RateLimits.from_credentials(
        "rest",
        {"rate_limits": {"sender": "1/second"}},
        {"sender": "30/minute", "client": "60/minute"},
    )
    assert set(limits.rates) == {"sender", "client"}
    with pytest.raises(RateLimitConfigError, match=r"rest: rate_limits.sender='lots'"):
        RateLimits.from_credentials("rest", {"rate_limits": {"sender": "lots"}}, {})
    with pytest.raises(RateLimitConfigError, match="mapping"):
        RateLimits.from_credentials("rest", {"rate_limits": ["30/minute"]}, {})
