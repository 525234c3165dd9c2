"""The desk's logic without a server: safe text, usernames and roles, sessions,
sign-in limits, settings and the nullable fields of the OpenAPI document."""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from common.database import create_db_engine, session_factory
from common.errors import Conflict, RequestRejected
from desk import accounts, audit, sessions
from desk.accounts import Identity
from desk.models import AuditEntry, Base, SignedIn
from desk.ratelimit import DeskLimits, TooMany
from desk.schemas import HandoffSummary
from desk.settings import DEFAULT_BEHAVIOUR, AccountSettings, SettingsError, load_behaviour
from desk.text import safe_json, safe_text

SETTINGS = AccountSettings(
    idle_minutes=1,
    session_hours=1,
    failed_sign_ins_per_account="2/minute",
    failed_sign_ins_per_client="3/minute",
)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Session]:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'desk.db'}")
    Base.metadata.create_all(engine)
    with session_factory(engine)() as session:
        yield session
    engine.dispose()


def test_safe_text_removes_what_cannot_be_stored_and_keeps_the_rest() -> None:
    assert safe_text("human \ud800\udfff\x00\x07\x1b\x85!") == "human !"
    assert (
        safe_text("line\nnext\ttab \u202eevil\u202c 😀 Zoë")
        == "line\nnext\ttab \u202eevil\u202c 😀 Zoë"
    )
    assert safe_json({"a\ud800": ["x\x00", {"b": "\udfff"}, 1, None, True]}) == {
        "a": ["x", {"b": ""}, 1, None, True]
    }


@pytest.mark.parametrize("name", ["", "a b", "x" * 65, "semi;colon", "new\nline", "\ud800"])
def test_a_bad_username_is_refused(name: str) -> None:
    with pytest.raises(RequestRejected, match="username"):
        accounts.normal_username(name)


def test_roles_nest() -> None:
    assert Identity("s", "supervisor").at_least("agent")
    assert not Identity("a", "agent").at_least("supervisor")
    assert Identity("x", "admin").at_least("supervisor")


def test_names_are_unique_whatever_their_case(db: Session) -> None:
    accounts.create(db, "Zoë", "a-long-password", "agent", None, 12)
    db.commit()
    with pytest.raises(Conflict):
        accounts.create(db, "ZOË", "a-long-password", "agent", None, 12)
    assert accounts.verify(db, "zoë", "a-long-password").username == "Zoë"
    assert accounts.verify(db, "Zoë", "wrong-password") is None
    assert accounts.verify(db, "nobody", "a-long-password") is None
    assert not accounts.find(db, "Zoë").password_hash.count("a-long-password")


def test_a_session_ends_when_idle_or_expired(db: Session) -> None:
    account = accounts.create(db, "Dana", "a-long-password", "agent", None, 12)
    token, _ = sessions.open_session(db, account, SETTINGS)
    db.commit()
    assert sessions.account_of(db, token, SETTINGS).username == "Dana"
    assert sessions.account_of(db, "forged", SETTINGS) is None
    stored = db.get(SignedIn, sessions._hash(token))
    assert stored is not None and token not in stored.token_hash
    stored.last_seen_at -= timedelta(minutes=2)
    db.commit()
    assert sessions.account_of(db, token, SETTINGS) is None  # idle
    token, _ = sessions.open_session(db, account, SETTINGS)
    db.get(SignedIn, sessions._hash(token)).expires_at -= timedelta(hours=2)
    db.commit()
    assert sessions.account_of(db, token, SETTINGS) is None  # expired


def test_only_failed_sign_ins_count() -> None:
    limits = DeskLimits(SETTINGS)
    for _ in range(10):
        limits.check_sign_in("dana", "10.0.0.1")  # successes are not counted
    limits.failed_sign_in("Dana", "10.0.0.1")
    limits.failed_sign_in("DANA", "10.0.0.2")
    with pytest.raises(TooMany) as refused:
        limits.check_sign_in("dana", "10.0.0.3")
    assert refused.value.status_code == 429 and refused.value.headers["Retry-After"]
    limits.check_sign_in("sam", "10.0.0.3")


def test_audit_entries_cannot_be_changed_or_deleted(db: Session) -> None:
    audit.record(db, "Dana", "read_queue")
    db.commit()
    entry = db.query(AuditEntry).one()
    entry.actor = "Sam"
    with pytest.raises(audit.AuditTampering):
        db.commit()
    db.rollback()
    db.delete(db.query(AuditEntry).one())
    with pytest.raises(audit.AuditTampering):
        db.commit()


def test_the_database_refuses_to_change_or_delete_audit_entries(db: Session) -> None:
    """Even SQL that bypasses the ORM (someone with the database credentials)."""
    audit.record(db, "Dana", "read_queue")
    db.commit()
    for statement in ("UPDATE audit_log SET actor = 'Sam'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="never changed or deleted"):
            db.execute(text(statement))
        db.rollback()
    assert db.query(AuditEntry).one().actor == "Dana"


def test_a_bad_rate_in_the_settings_is_named(tmp_path: Path) -> None:
    settings = tmp_path / "settings.yml"
    settings.write_text(
        DEFAULT_BEHAVIOUR.read_text().replace(
            "failed_sign_ins_per_client: 20/15 minutes", "failed_sign_ins_per_client: lots"
        )
    )
    with pytest.raises(SettingsError, match=r"accounts\.failed_sign_ins_per_client"):
        load_behaviour(settings)
    settings.write_text(
        DEFAULT_BEHAVIOUR.read_text().replace("idle_minutes: 30", "idle_minutes: -1")
    )
    with pytest.raises(SettingsError, match=r"accounts\.idle_minutes"):
        load_behaviour(settings)


@pytest.mark.parametrize(
    "line, key",
    [
        (
            'signature: "Kind regards,\\n{agent}\\nBrightwave Customer Service"',
            'signature: "Kind regards, {name}"',
        ),
        ("sent_moves: [reply, hand_back]", "sent_moves: [reply, transfer]"),
    ],
)
def test_a_bad_offline_replies_setting_is_named(tmp_path: Path, line: str, key: str) -> None:
    settings = tmp_path / "settings.yml"
    text = DEFAULT_BEHAVIOUR.read_text()
    assert line in text
    settings.write_text(text.replace(line, key))
    with pytest.raises(SettingsError, match="offline_replies"):
        load_behaviour(settings)


def test_optional_fields_are_documented_as_nullable() -> None:
    properties = HandoffSummary.schema()["properties"]
    assert properties["expected_wait_minutes"]["anyOf"] == [{"type": "integer"}, {"type": "null"}]
    assert properties["position"] == {
        "title": "Position",
        "type": "integer",
        "description": "1 = next in its line; 0 once claimed or ended",
    }
