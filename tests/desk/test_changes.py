"""Controlled changes to behaviour files (issue #17): the logic on a real desk database
(desk.changes), then the admin API on a running desk process. The author cannot approve
their own change, an invalid change is refused naming the key, an approved change is
written and every step is in the audit hash chain, which still shows tampering."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from common.database import create_db_engine, session_factory
from desk import audit_chain, changes
from desk.accounts import Identity
from desk.models import AuditEntry, Base, BehaviourChange
from tests.support.services import Service, free_port
from tests.support.stack import DeskClient

from .support import admin, agent, start_desk

ROOT = Path(__file__).resolve().parents[2]
PAT = Identity("pat", "supervisor")
ROBIN = Identity("robin", "admin")
DROP_TRIGGERS = [f"DROP TRIGGER audit_log_no_{verb}" for verb in ("update", "delete")]


def lowered_confidence() -> str:
    original = (ROOT / "escalation.yml").read_text()
    changed = original.replace("min_confidence: 0.5 ", "min_confidence: 0.45", 1)
    assert changed != original
    return changed


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    files = tmp_path / "behaviour"
    files.mkdir()
    for name in changes.FILES:
        shutil.copy(ROOT / name, files / name)
    return files


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'desk.db'}")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def entries(engine: Engine) -> list[tuple[str, str, str]]:
    with session_factory(engine)() as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(row.actor, row.action, row.outcome) for row in rows]


def test_every_shipped_behaviour_file_passes_its_own_validator() -> None:
    for name in changes.FILES:
        assert changes.problem(name, (ROOT / name).read_text()) is None, name


def test_an_approved_change_is_written_and_each_step_audited(engine: Engine, folder: Path) -> None:
    content = lowered_confidence()
    with session_factory(engine)() as session:
        change = changes.propose(session, folder, PAT, "escalation.yml", content, "fewer misses")
        change_id = change.id
        assert (folder / "escalation.yml").read_text() != content  # not before the approval
        with pytest.raises(changes.ChangeRefused) as refused:
            changes.approve(session, folder, PAT, change_id)
        assert refused.value.status == 403 and "author" in refused.value.reason
        applied = changes.approve(session, folder, ROBIN, change_id)
        assert (applied.status, applied.decided_by) == ("applied", "robin")
    assert (folder / "escalation.yml").read_text() == content
    assert entries(engine) == [
        ("pat", "propose_change", "ok"),
        ("pat", "apply_change", "refused"),
        ("robin", "apply_change", "ok"),
    ]
    with session_factory(engine)() as session:
        assert audit_chain.verify(session).intact
        detail = session.scalars(select(AuditEntry.detail).order_by(AuditEntry.id.desc())).first()
    assert f"sha256 {changes.sha256(content)} written, proposed by pat" == detail


@pytest.mark.parametrize(
    ("file", "content", "named"),
    [
        ("escalation.yml", "version: 1\n", "escalation.yml:"),
        ("lifecycle.yml", "claims: {description_max_chars: -1}\n", "claims.description_max_chars"),
        ("metrics.yml", "- a list\n", "metrics.yml:"),
        ("outreach.yml", "rules: [\n", "not YAML"),
        ("metrics.yml", "a: &x [1, 2]\nb: [*x, *x]\n", "aliases"),
        ("lifecycle.yml", "[" * 5000 + "]" * 5000, "not YAML"),
        ("lifecycle.yml", "[" * 990 + "]" * 990, "(top level)"),
        ("retention.yml", "conversations: {days: 0}\n", "conversations.days"),
    ],
    ids=[
        "escalation",
        "lifecycle",
        "metrics",
        "outreach",
        "aliases",
        "5000 deep",
        "990 deep",
        "retention",
    ],
)
def test_an_invalid_change_is_refused_naming_the_key(
    engine: Engine, folder: Path, file: str, content: str, named: str
) -> None:
    before = (folder / file).read_text()
    with session_factory(engine)() as session, pytest.raises(changes.ChangeRefused) as refused:
        changes.propose(session, folder, PAT, file, content, "try")
    assert refused.value.status == 422 and named in refused.value.reason
    assert (folder / file).read_text() == before
    assert entries(engine) == [("pat", "propose_change", "refused")]
    with session_factory(engine)() as session:
        assert session.scalars(select(BehaviourChange)).first() is None


def test_a_change_to_a_file_edited_since_is_refused_and_a_decided_one_is_final(
    engine: Engine, folder: Path
) -> None:
    with session_factory(engine)() as session:
        first = changes.propose(session, folder, PAT, "escalation.yml", lowered_confidence(), "a")
        second = changes.propose(session, folder, PAT, "escalation.yml", lowered_confidence(), "b")
        first_id, second_id = first.id, second.id
        changes.approve(session, folder, ROBIN, first_id)
        with pytest.raises(changes.ChangeRefused) as stale:
            changes.approve(session, folder, ROBIN, second_id)
        assert stale.value.status == 409 and "changed since" in stale.value.reason
        with pytest.raises(changes.ChangeRefused) as again:
            changes.reject(session, ROBIN, first_id, "too late")
        assert again.value.status == 409 and "already applied" in again.value.reason
        rejected = changes.reject(session, ROBIN, second_id, "stale")
        assert rejected.status == "rejected"


def test_verify_audit_still_names_a_tampered_change_entry(engine: Engine, folder: Path) -> None:
    with session_factory(engine)() as session:
        change = changes.propose(session, folder, PAT, "escalation.yml", lowered_confidence(), "x")
        changes.approve(session, folder, ROBIN, change.id)
    with engine.begin() as connection:
        for statement in DROP_TRIGGERS:
            connection.exec_driver_sql(statement)
        connection.execute(text("UPDATE audit_log SET actor = 'pat' WHERE id = 2"))
    with session_factory(engine)() as session:
        found = audit_chain.verify(session)
    assert found.broken_id == 2 and "edited" in str(found.reason)


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Service, Path]]:
    """A desk whose behaviour files are a copy; its Rasa is not needed here."""
    home = tmp_path_factory.mktemp("changes")
    files = home / "behaviour"
    files.mkdir()
    for name in changes.FILES:
        shutil.copy(ROOT / name, files / name)
    service = start_desk(
        "desk-changes",
        home,
        f"http://127.0.0.1:{free_port()}",
        env={"DESK_BEHAVIOUR_FILES_DIR": str(files)},
    )
    yield service, files
    service.stop()


def test_the_admin_api_needs_a_second_approver_and_audits_each_step(
    desk: tuple[Service, Path],
) -> None:
    service, files = desk
    boss = admin(service.url)
    pat = boss.account("pat", "supervisor")
    dana = agent(service.url, "Dana")
    content = lowered_confidence()
    body = {"file": "escalation.yml", "content": content, "reason": "fewer misses"}

    assert requests.post(f"{service.url}/admin/changes", json=body, timeout=10).status_code == 401
    assert dana.post("/admin/changes", json=body).status_code == 403
    bad = pat.post("/admin/changes", json={**body, "content": "version: 1\n"})
    assert bad.status_code == 422 and bad.json()["detail"].startswith("escalation.yml:")
    other = pat.post("/admin/changes", json={**body, "file": "../credentials.yml"})
    assert other.status_code == 422
    too_big = pat.post("/admin/changes", json={**body, "content": "x" * 300_000})
    assert too_big.status_code in (413, 422)

    proposed = pat.post("/admin/changes", json=body)
    assert proposed.status_code == 201, proposed.text
    change = proposed.json()
    assert (change["status"], change["author"]) == ("proposed", "pat")
    shown = boss.get(f"/admin/changes/{change['id']}").json()
    assert (
        "-    min_confidence: 0.5 " in shown["diff"]
        and "+    min_confidence: 0.45" in shown["diff"]
    )
    own = pat.post(f"/admin/changes/{change['id']}/approve")
    assert own.status_code == 403 and "author" in own.json()["detail"]
    assert dana.post(f"/admin/changes/{change['id']}/approve").status_code == 403
    assert (files / "escalation.yml").read_text() != content

    approved = boss.post(f"/admin/changes/{change['id']}/approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["decided_by"] == "admin"
    assert (files / "escalation.yml").read_text() == content
    assert boss.get("/admin/changes", params={"status": "applied"}).json()[0]["id"] == change["id"]

    log = boss.get("/api/audit", params={"subject": f"escalation.yml#{change['id']}"}).json()
    steps = sorted((e["actor"], e["action"], e["outcome"]) for e in log)
    assert steps == [
        ("admin", "apply_change", "ok"),
        ("pat", "apply_change", "refused"),
        ("pat", "propose_change", "ok"),
    ]


def test_a_stranger_cannot_reach_the_change_routes(desk: tuple[Service, Path]) -> None:
    service, _ = desk
    forged = DeskClient(service.url, "not-a-session")
    assert forged.get("/admin/changes").status_code == 401
    assert forged.post("/admin/changes/" + "0" * 32 + "/approve").status_code == 401
