"""Outreach's decision log, copied into the analytics store: the outreach service owns
it (K4) and gives it page by page over its API (`GET /decisions?after=`, with its
read-only token OUTREACH_READ_TOKEN); the copy keeps outreach's ids, and the position
is written in the same transaction as the page, so a restart copies nothing twice and
skips nothing. The dashboard's outreach figures are read from this copy.
"""

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import requests
from sqlalchemy.engine import Engine

from analytics.store import (
    OUTREACH_FEED,
    WRITING,
    last_event_id,
    outreach_decisions,
    set_last_event_id,
)

logger = logging.getLogger("analytics.outreach")
TIMEOUT = (2.0, 10.0)
PAGE = 500  # outreach's largest page
ACTIONS = frozenset({"sent", "deferred", "suppressed", "failed"})
RETRY_SECONDS = (1.0, 2.0, 5.0, 30.0)  # after a failed read, the last one repeated


class FeedFailed(Exception):
    """Outreach did not give a page of its log; the message says why."""


def _text(entry: dict[str, Any], name: str, longest: int, optional: bool = False) -> str | None:
    value = entry.get(name)
    if optional and value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= longest:
        raise FeedFailed(f"a decision's {name} is not text of up to {longest} characters")
    return value


def decision_row(entry: object) -> dict[str, Any]:
    """One entry of outreach's log as the store keeps it; FeedFailed when malformed."""
    if not isinstance(entry, dict):
        raise FeedFailed("a decision is not an object")
    ident = entry.get("id")
    if isinstance(ident, bool) or not isinstance(ident, int) or ident <= 0:
        raise FeedFailed("a decision's id is not a positive whole number")
    action = _text(entry, "action", 20)
    if action not in ACTIONS:
        raise FeedFailed(f"a decision's action is not one of {sorted(ACTIONS)}")
    try:
        moment = datetime.fromisoformat(str(entry.get("at")))
    except ValueError:
        raise FeedFailed("a decision's time is not an ISO 8601 time") from None
    at = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    return {
        "id": ident,
        "customer_id": _text(entry, "customer_id", 40),
        "rule": _text(entry, "rule", 40),
        "action": action,
        "reason": _text(entry, "reason", 40),
        "channel": _text(entry, "channel", 20, optional=True),
        "at": at,
    }


class OutreachLog:
    """GET {url}/decisions with the read-only token."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.session = requests.Session()

    def page(self, after: int, limit: int = PAGE) -> list[dict[str, Any]]:
        """The decisions after id `after`, oldest first, checked."""
        try:
            response = self.session.get(
                f"{self.url}/decisions",
                params={"after": after, "limit": limit},
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=TIMEOUT,
            )
        except requests.RequestException as error:
            raise FeedFailed(f"outreach is unreachable ({type(error).__name__})") from None
        if response.status_code != 200:
            raise FeedFailed(f"outreach answered HTTP {response.status_code}")
        try:
            entries = response.json().get("decisions")
        except (ValueError, AttributeError):
            raise FeedFailed("outreach answered something that is no decision log") from None
        if not isinstance(entries, list):
            raise FeedFailed("outreach answered something that is no decision log")
        return [decision_row(entry) for entry in entries]


def pull_once(log: OutreachLog, store: Engine, limit: int = PAGE) -> int:
    """Copy the next page of outreach's log into the store; how many decisions."""
    with store.connect() as connection:
        after = last_event_id(connection, OUTREACH_FEED)
    rows = log.page(after, limit)
    if not rows:
        return 0
    with WRITING, store.begin() as connection:
        connection.execute(outreach_decisions.insert(), rows)
        set_last_event_id(connection, max(row["id"] for row in rows), OUTREACH_FEED)
    return len(rows)


async def pull_forever(log: OutreachLog, store: Engine, poll_seconds: float) -> None:
    """Keep the copy up to date: a full page is followed at once by the next one;
    outreach unreachable or answering badly is retried with backoff, never fatal."""
    failures = 0
    while True:
        try:
            copied = await asyncio.to_thread(pull_once, log, store)
            failures = 0
        except FeedFailed as error:
            delay = RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
            failures += 1
            logger.error("analytics.outreach.failed reason=%s retry_in=%.0fs", error, delay)
            await asyncio.sleep(delay)
            continue
        except Exception as error:  # the store failing: retried after a pause
            logger.error("analytics.outreach.failed error=%s", type(error).__name__)
            copied = 0
        if copied < PAGE:
            await asyncio.sleep(poll_seconds)
