"""Helpers of the memory's end-to-end tests, and the fake clock they move: every time
the memory holds is moved back, as if that much time had passed."""

import sqlite3
import time

from tests.memory.support import MemoryApi
from tests.support.stack import Stack

DAY = 86400.0


def memory_api(stack: Stack) -> MemoryApi:
    return MemoryApi(stack.config.memory_url, stack.config.memory_api_token)


def days_pass(stack: Stack, days: float = 1.0) -> None:
    """The fake clock: everything the memory holds happened `days` earlier."""
    path = stack.config.memory_database_url.removeprefix("sqlite:///")
    shift = days * DAY
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE conversations SET started_at = started_at - ?, last_at = last_at - ?",
            (shift, shift),
        )
        db.execute(
            "UPDATE identity_links SET confirmed_at = confirmed_at - ?, "
            "last_seen_at = last_seen_at - ?",
            (shift, shift),
        )
        db.execute("UPDATE events SET received_at = received_at - ?", (shift,))


def settled(stack: Stack, customer_id: str, conversations: int, timeout: float = 15) -> list:
    """The customer's conversations in the memory, once it holds `conversations` of
    them and each names the record it was about (the action server writes them in
    the background, the verification's write before the answer's)."""
    api = memory_api(stack)
    deadline = time.monotonic() + timeout
    while True:
        timeline = api.get(f"/customers/{customer_id}").json()["timeline"]
        found = [item for item in timeline if item["kind"] == "conversation"]
        complete = len(found) >= conversations and all(item["records"] for item in found)
        if complete or time.monotonic() > deadline:
            return found
        time.sleep(0.2)
