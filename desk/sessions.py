"""Sign-in sessions: an opaque random token given to the client once, stored only as
its SHA-256, ending at a fixed expiry or after a spell without requests."""

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from desk.models import Account, SignedIn
from desk.queue import now
from desk.settings import AccountSettings

# At most this long between two writes of a session's last request, so polling does
# not write on every request (and never more than a tenth of the idle timeout).
TOUCH_EVERY = timedelta(seconds=30)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def open_session(
    session: Session,
    account: Account,
    settings: AccountSettings,
) -> tuple[str, datetime]:
    """A new session for the account: its token and when it expires. Sessions that
    expired unused are removed on the way."""
    token = secrets.token_urlsafe(32)
    moment = now()
    session.execute(delete(SignedIn).where(SignedIn.expires_at < moment))
    expires = moment + timedelta(hours=settings.session_hours)
    session.add(
        SignedIn(
            token_hash=_hash(token),
            username=account.username,
            created_at=moment,
            last_seen_at=moment,
            expires_at=expires,
        )
    )
    return token, expires


def account_of(session: Session, token: str, settings: AccountSettings) -> Account | None:
    """The active account a live session token belongs to; an expired or idle
    session is ended on the way."""
    found = session.get(SignedIn, _hash(token))
    if found is None:
        return None
    moment = now()
    idle = moment - found.last_seen_at > timedelta(minutes=settings.idle_minutes)
    account = session.get(Account, found.username)
    if idle or moment >= found.expires_at or account is None or not account.active:
        session.delete(found)
        session.commit()
        return None
    touch_every = min(TOUCH_EVERY, timedelta(minutes=settings.idle_minutes) / 10)
    if moment - found.last_seen_at > touch_every:
        found.last_seen_at = moment
        session.commit()
    return account


def close_session(session: Session, token: str) -> None:
    found = session.get(SignedIn, _hash(token))
    if found is not None:
        session.delete(found)


def close_all(session: Session, username: str) -> None:
    """End every session of an account (disabled, or its password changed)."""
    session.execute(delete(SignedIn).where(SignedIn.username == username))
