"""The internal services' shared checks (common/service_api.py) without a server; the
services' own tests attack them over HTTP (tests/memory, tests/analytics, tests/outreach)."""

from fastapi.security import HTTPAuthorizationCredentials
from limits import parse, storage, strategies

from common.service_api import TooMany, retry_after, token_matches

TOKEN = "s3cret-token-of-the-service"


def bearer(token: str) -> HTTPAuthorizationCredentials:
    return HTTPAuthorizationCredentials(scheme="Bearer", credentials=token)


def test_only_the_exact_token_matches() -> None:
    assert token_matches(bearer(TOKEN), TOKEN)
    assert not token_matches(None, TOKEN)
    assert not token_matches(bearer(""), TOKEN)
    assert not token_matches(bearer(TOKEN[:-1]), TOKEN)
    assert not token_matches(bearer(TOKEN + "x"), TOKEN)
    # compare_digest refuses non-ASCII str: a hostile token is a plain mismatch.
    assert not token_matches(bearer("tökén\udcff"), TOKEN)
    assert token_matches(bearer("tökén"), "tökén")


def test_too_many_says_when_to_come_back() -> None:
    refused = TooMany("too many requests", 7)
    assert refused.status_code == 429
    assert refused.detail == "too many requests: try again in 7 s"
    assert refused.headers == {"Retry-After": "7"}


def test_retry_after_is_whole_seconds_within_the_window() -> None:
    limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())
    item = parse("1/minute")
    assert limiter.hit(item, "client", "a")
    assert not limiter.hit(item, "client", "a")
    assert 1 <= retry_after(limiter, item, "client", "a") <= 60
    assert limiter.hit(item, "client", "b")  # each key has its own window
