"""Idempotency keys: a write sent again with its key is answered, not done again.

The key is stored in the same transaction as the change it guards, so a change
never exists without its key (a restart keeps both). The same key with another
request is refused: it would otherwise answer a request it never served. A write
that was refused (4xx) stores nothing, so its key may be sent again.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Header, Response
from sqlalchemy.orm import Session

from backend.database import write_lock
from backend.write_models import IdempotencyKey
from common.errors import Conflict, Unprocessable

Answer = dict[str, Any]

KEY_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"
KEY_HELP = (
    "A client-chosen key (8 to 64 letters, digits, - or _), new for each write: the "
    "same key again answers the first answer without a second change."
)
REPLAYED = "Idempotent-Replayed"

RequiredKey = Annotated[
    str, Header(alias="Idempotency-Key", regex=KEY_PATTERN, description=KEY_HELP)
]
OptionalKey = Annotated[
    str | None, Header(alias="Idempotency-Key", regex=KEY_PATTERN, description=KEY_HELP)
]


def fingerprint(operation: str, request: Any) -> str:
    """A digest of what was asked, to tell a repeat from another request under one key."""
    text = json.dumps([operation, request], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def once(
    session: Session,
    response: Response,
    key: str | None,
    operation: str,
    request: Any,
    write: Callable[[], Answer],
) -> Answer:
    """write()'s answer; with a key already stored for this request, the stored answer
    instead (and the Idempotent-Replayed header). write() commits its own change."""
    if key is None:
        return write()
    digest = fingerprint(operation, request)
    with write_lock:
        stored = session.get(IdempotencyKey, key)
        if stored is not None:
            return _replay(response, key, stored, digest)
        entry = IdempotencyKey(
            key=key, operation=operation, fingerprint=digest, created_at=datetime.now(UTC)
        )
        session.add(entry)  # committed with write()'s change
        try:
            answer = write()
        except BaseException:
            session.rollback()
            raise
        entry.answer = answer
        session.commit()
    return answer


def _replay(response: Response, key: str, stored: IdempotencyKey, digest: str) -> Answer:
    if stored.fingerprint != digest:
        raise Unprocessable(
            f"Idempotency-Key {key} was already used for another request "
            f"({stored.operation}); send a new key with a new request"
        )
    if stored.answer is None:
        raise Conflict(
            f"the request first sent with Idempotency-Key {key} was interrupted after its "
            "change; read the record to see its state"
        )
    response.headers[REPLAYED] = "true"
    return dict(stored.answer)
