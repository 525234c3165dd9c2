"""Desk accounts: who may sign in, with which role, and their passwords, kept only as
argon2 hashes (argon2-cffi's defaults, re-hashed when those change)."""

import re
import secrets
import unicodedata
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from common.errors import Conflict, NotFound, RequestRejected
from desk.models import ADMIN, ROLES, Account
from desk.queue import now

USERNAME = re.compile(r"[\w.-]{1,64}")  # letters of any script, digits, . _ -
MAX_PASSWORD = 256
_hasher = PasswordHasher()
# Verified against when the account does not exist, so a wrong name takes as long
# as a wrong password and sign-in does not reveal which accounts exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class Identity:
    """The signed-in account a request acts as."""

    username: str
    role: str

    def at_least(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


def normal_username(username: str) -> str:
    """The username as stored (NFC); RequestRejected unless it is 1-64 letters,
    digits, '.', '_' or '-'."""
    name = unicodedata.normalize("NFC", username.strip())
    if not USERNAME.fullmatch(name):
        raise RequestRejected("username: 1 to 64 letters, digits, '.', '_' or '-'")
    return name


def check_password(password: str, min_length: int) -> None:
    if not min_length <= len(password) <= MAX_PASSWORD:
        raise RequestRejected(f"password: {min_length} to {MAX_PASSWORD} characters")


def generated_password() -> str:
    return secrets.token_urlsafe(18)


def _key(username: str) -> str:
    return unicodedata.normalize("NFC", username.strip()).casefold()


def find(session: Session, username: str) -> Account | None:
    """The account, whatever the case the name is typed in."""
    return session.scalars(select(Account).where(Account.key == _key(username))).first()


def get(session: Session, username: str) -> Account:
    account = find(session, username)
    if account is None:
        raise NotFound(f"no account {username}")
    return account


def create(
    session: Session,
    username: str,
    password: str,
    role: str,
    created_by: str | None,
    min_length: int,
) -> Account:
    """A new active account; Conflict when the name is taken (in any case)."""
    name = normal_username(username)
    check_password(password, min_length)
    if role not in ROLES:
        raise RequestRejected(f"role: one of {', '.join(ROLES)}")
    if find(session, name) is not None:
        raise Conflict(f"an account {name} already exists")
    account = Account(
        username=name,
        key=_key(name),
        password_hash=_hasher.hash(password),
        role=role,
        active=True,
        created_at=now(),
        created_by=created_by,
    )
    session.add(account)
    return account


def set_password(account: Account, password: str, min_length: int) -> None:
    check_password(password, min_length)
    account.password_hash = _hasher.hash(password)


def verify(session: Session, username: str, password: str) -> Account | None:
    """The active account if the password is its own, else None (in constant work)."""
    account = find(session, username) if len(password) <= MAX_PASSWORD else None
    try:
        _hasher.verify(account.password_hash if account else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if account is None or not account.active:
        return None
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = _hasher.hash(password)
    return account


def listing(session: Session) -> list[Account]:
    return list(session.scalars(select(Account).order_by(Account.username)))


def has_admin(session: Session) -> bool:
    return (
        session.scalars(
            select(Account).where(Account.role == ADMIN, Account.active.is_(True))
        ).first()
        is not None
    )
