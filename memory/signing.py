"""The events API's signature: HMAC-SHA256 over "<timestamp>.<body>" with the
source's secret, in ``X-Switchboard-Signature: sha256=<hex>``, the unix timestamp
in ``X-Switchboard-Timestamp`` and the source in ``X-Switchboard-Source``.

The timestamp is inside the signed text, so an old request cannot be given a new
time; one outside the allowed skew is refused as a replay. Within the window, the
idempotency key stores a replayed event once.
"""

import hashlib
import hmac
from collections.abc import Mapping

SIGNATURE_PREFIX = "sha256="


class SignatureRefused(Exception):
    """The request's source, time or signature is not acceptable; the message says why."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The header value a source sends with body at timestamp."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return SIGNATURE_PREFIX + digest.hexdigest()


def check(
    secrets: Mapping[str, str],
    source: str | None,
    timestamp: str | None,
    given: str | None,
    body: bytes,
    now: float,
    max_skew: float,
) -> str:
    """The source, when the request is signed by it within the time window."""
    if not source or not timestamp or not given:
        raise SignatureRefused(
            401,
            "X-Switchboard-Source, X-Switchboard-Timestamp and "
            "X-Switchboard-Signature are required",
        )
    secret = secrets.get(source)
    if secret is None:
        raise SignatureRefused(403, "unknown event source")
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise SignatureRefused(400, "X-Switchboard-Timestamp: expected unix seconds")
    if abs(now - int(timestamp)) > max_skew:
        raise SignatureRefused(
            403,
            f"X-Switchboard-Timestamp is more than {max_skew:g} s "
            "from now (replayed or clock wrong)",
        )
    expected = signature(secret, timestamp, body)
    if not given.isascii() or not hmac.compare_digest(expected, given):
        raise SignatureRefused(403, "wrong signature")
    return source
