"""The plumbing of the internal FastAPI services (memory, analytics, outreach), written
once: a bearer token compared in constant time, a moving-window rate limit per client
address (`limits`, counted before the token so guessing is limited too), the body size
limit, the JSON error handlers and /health. The desk uses its token check and 429.

    authorized = bearer_token("MEMORY_API_TOKEN")
    api = APIRouter(dependencies=[Depends(authorized)])
    ...
    app.include_router(api)
    serve_internally(app, settings.api_token, settings.rate_limit, MAX_BODY_BYTES)

Every refusal is `{"detail": reason}`: 429 with Retry-After, 401 with
WWW-Authenticate: Bearer, 413 for a body over the limit.
"""

import hmac
import math
import time
from collections.abc import Awaitable, Callable, Sequence

from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from limits import RateLimitItem, parse_many, storage, strategies
from starlette.exceptions import HTTPException

from common.errors import install_error_handlers
from common.limits import BodySizeLimit


class TooMany(HTTPException):
    """429 with the reason and Retry-After."""

    def __init__(self, what: str, retry_after: int) -> None:
        super().__init__(
            429, f"{what}: try again in {retry_after} s", headers={"Retry-After": str(retry_after)}
        )


def retry_after(limiter: strategies.RateLimiter, item: RateLimitItem, *keys: str) -> int:
    """Whole seconds (at least 1) until item's window for keys admits a request again."""
    reset = limiter.get_window_stats(item, *keys).reset_time
    return max(1, math.ceil(reset - time.time()))


def token_matches(credentials: HTTPAuthorizationCredentials | None, token: str) -> bool:
    """Whether the bearer token given is token, compared in constant time."""
    given = (credentials.credentials if credentials else "").encode("utf-8", "replace")
    return hmac.compare_digest(given, token.encode())


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def limited(request: Request) -> None:
    """429 with Retry-After when the client address is over the service's rate limit."""
    state = request.app.state
    for item in state.rates:
        if not state.limiter.hit(item, "client", _client(request)):
            raise TooMany(
                "too many requests", retry_after(state.limiter, item, "client", _client(request))
            )


def bearer_token(variable: str, readers: bool = False) -> Callable[..., Awaitable[None]]:
    """The dependency that admits a call within the rate limit and with the service's
    token (`variable` names its setting in the API docs), or with readers, also with
    one of its read-only tokens; 429 first, else 401."""
    scheme = HTTPBearer(auto_error=False, description=variable)

    async def authorized(
        request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(scheme)
    ) -> None:
        # Checks without I/O, run on the event loop (no thread hop on the hot path).
        await limited(request)
        state = request.app.state
        tokens = [state.api_token, *(state.read_tokens if readers else ())]
        # Every token compared, so the time taken says nothing about which one nearly matched.
        if not sum(token_matches(credentials, token) for token in tokens):
            raise HTTPException(
                401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"}
            )

    return authorized


def serve_internally(
    app: FastAPI,
    token: str,
    rate_limit: str,
    max_body_bytes: int,
    read_tokens: Sequence[str] = (),
) -> None:
    """Give app its token (and read-only tokens for the routes that take them), rate
    limit (`limits` notation, e.g. "1200/minute"), body limit, JSON error handlers and
    an open GET /health."""
    app.state.api_token = token
    app.state.read_tokens = [t for t in read_tokens if t]
    app.state.limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())
    app.state.rates = parse_many(rate_limit)
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)
    install_error_handlers(app)

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok"}
