"""The memory service as its callers reach it: the token for the API, a source's
signature for /events."""

import json
import time
import uuid
from typing import Any

import requests

from memory.signing import signature

SOURCE = "billing"
SECRET = "billing-test-secret-of-at-least-32-chars"
EVENT_SECRETS = f"{SOURCE}={SECRET}"
TIMEOUT = 10


def payment_failed(
    customer_id: str = "C-1015", invoice_id: str = "INV-900043", detail: str = "card expired"
) -> dict[str, Any]:
    return {
        "type": "payment_failed",
        "customer_id": customer_id,
        "invoice_id": invoice_id,
        "at": "2026-11-30T03:00:00Z",
        "detail": detail,
    }


def post_event(
    url: str,
    event: Any,
    key: str | None = None,
    secret: str = SECRET,
    source: str = SOURCE,
    timestamp: int | None = None,
    body: bytes | None = None,
) -> requests.Response:
    """POST /events signed as a source of the enterprise's would sign it."""
    raw = body if body is not None else json.dumps(event).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return requests.post(
        f"{url}/events",
        data=raw,
        timeout=TIMEOUT,
        headers={
            "Content-Type": "application/json",
            "Idempotency-Key": key or uuid.uuid4().hex,
            "X-Switchboard-Source": source,
            "X-Switchboard-Timestamp": stamp,
            "X-Switchboard-Signature": signature(secret, stamp, raw),
        },
    )


class MemoryApi:
    """The memory's token-protected API."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.session.get(f"{self.url}{path}", params=params, timeout=TIMEOUT)

    def put(self, path: str, body: Any) -> requests.Response:
        return self.session.put(f"{self.url}{path}", json=body, timeout=TIMEOUT)

    def post(self, path: str, body: Any) -> requests.Response:
        return self.session.post(f"{self.url}{path}", json=body, timeout=TIMEOUT)

    def events_of(self, customer_id: str, of_type: str | None = None) -> list:
        answer = self.get(f"/customers/{customer_id}", limit=500)
        assert answer.status_code == 200, answer.text
        return [
            item
            for item in answer.json()["timeline"]
            if item["kind"] == "event" and of_type in (None, item["type"])
        ]
