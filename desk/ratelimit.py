"""How often accounts and clients may try to sign in, and how fast an account may
call the API, with the `limits` library (moving windows, in memory: the desk runs
as one process). Keys are hashed, so no name or address is kept in the counters.

A sign-in is checked, its password verified and a failure counted under locks of
its account name and client, so that guesses sent at the same moment cannot all
pass the check before the first failure is counted."""

import hashlib
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

from limits import parse_many, storage, strategies

from common.service_api import TooMany, retry_after
from desk.settings import AccountSettings

# Locks striped by key: attempts on different accounts and clients rarely wait for
# each other, and the set of locks stays fixed however many names are tried.
LOCK_STRIPES = 64


def _key(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:32]


class DeskLimits:
    """Failed sign-ins per account name and per client, and requests per account."""

    def __init__(self, settings: AccountSettings) -> None:
        self.limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())
        self.per_account = parse_many(settings.failed_sign_ins_per_account)
        self.per_client = parse_many(settings.failed_sign_ins_per_client)
        self.requests = parse_many(settings.requests_per_account)
        self._locks = [threading.Lock() for _ in range(LOCK_STRIPES)]

    def _sign_in_keys(self, username: str, client: str) -> list[tuple]:
        return [
            (item, "account", _key(username.strip().casefold())) for item in self.per_account
        ] + [(item, "client", _key(client)) for item in self.per_client]

    def check_sign_in(self, username: str, client: str) -> None:
        """TooMany while the account name or the client has failed too often."""
        for item, scope, key in self._sign_in_keys(username, client):
            if not self.limiter.test(item, "sign-in", scope, key):
                raise TooMany(
                    f"too many failed sign-ins for this {scope}",
                    retry_after(self.limiter, item, "sign-in", scope, key),
                )

    @contextmanager
    def sign_in_attempt(self, username: str, client: str) -> Iterator[Callable[[], None]]:
        """Check, then run the caller's password check, holding the account's and the
        client's locks; the caller calls what it is given when the check failed."""
        stripes = sorted(
            {int(key, 16) % LOCK_STRIPES for _, _, key in self._sign_in_keys(username, client)}
        )
        with ExitStack() as held:
            for stripe in stripes:  # always in the same order: no deadlock
                held.enter_context(self._locks[stripe])
            self.check_sign_in(username, client)
            yield lambda: self.failed_sign_in(username, client)

    def failed_sign_in(self, username: str, client: str) -> None:
        for item, scope, key in self._sign_in_keys(username, client):
            self.limiter.hit(item, "sign-in", scope, key)

    def request(self, username: str) -> None:
        """Count one request of a signed-in account; TooMany when over its rate."""
        key = _key(username.casefold())
        for item in self.requests:
            if not self.limiter.hit(item, "requests", key):
                raise TooMany(
                    "too many requests from this account",
                    retry_after(self.limiter, item, "requests", key),
                )
