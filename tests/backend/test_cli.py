"""The command line: rebuilding the database (twice gives the same result),
refusing a broken fixture without harming the database, and settings errors."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, create_engine, select

from tests.support.crm import FIXTURE
from tests.support.services import ROOT


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "backend", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"BRIGHTWAVE_FIXTURE": str(FIXTURE), **env},
    )


def dump(database: Path) -> dict[str, list[Any]]:
    """Every row of every table, sorted."""
    engine = create_engine(f"sqlite:///{database}", future=True)
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        tables = {
            name: sorted(map(tuple, connection.execute(select(table))), key=repr)
            for name, table in metadata.tables.items()
        }
    engine.dispose()
    return tables


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database built by `python -m backend rebuild`, in a folder that did not exist."""
    path = tmp_path_factory.mktemp("cli") / "new" / "cli.db"
    result = run_cli("rebuild", DATABASE_URL=f"sqlite:///{path}")
    assert result.returncode == 0, result.stderr
    assert "rebuilt the database" in result.stderr
    return path


def test_rebuild_loads_every_collection(database: Path, fixture_data: dict[str, Any]) -> None:
    tables = dump(database)
    for name in (
        "customers",
        "orders",
        "device_policies",
        "claims",
        "invoices",
        "appointments",
        "events",
        "catalog",
        "protection_plans",
        "stores",
    ):
        assert len(tables[name]) == len(fixture_data[name]), name
    booked = sum(appointment["status"] == "booked" for appointment in fixture_data["appointments"])
    assert len(tables["appointment_slots"]) == len(fixture_data["appointment_slots"]) + booked
    assert tables["interactions"] == []


def test_rebuild_is_idempotent(database: Path) -> None:
    before = dump(database)
    assert run_cli("rebuild", DATABASE_URL=f"sqlite:///{database}").returncode == 0
    assert dump(database) == before


@pytest.mark.parametrize(
    "break_fixture, reason",
    [
        (
            lambda fixture: fixture["orders"][3].pop("status"),
            "orders[3]: unexpected fields [], missing fields ['status']",
        ),
        (
            lambda fixture: fixture["invoices"][1].update(due_date="soon"),
            "invoices[1]: Invalid isoformat",
        ),
    ],
)
def test_broken_fixture_leaves_the_database_alone(
    database: Path,
    fixture_data: dict[str, Any],
    tmp_path: Path,
    break_fixture: Any,
    reason: str,
) -> None:
    before = dump(database)
    broken = json.loads(json.dumps(fixture_data))
    break_fixture(broken)
    (tmp_path / "broken.json").write_text(json.dumps(broken), encoding="utf-8")
    result = run_cli(
        "rebuild",
        DATABASE_URL=f"sqlite:///{database}",
        BRIGHTWAVE_FIXTURE=str(tmp_path / "broken.json"),
    )
    assert result.returncode == 2
    assert reason in result.stderr
    assert dump(database) == before


@pytest.mark.parametrize(
    "env, message",
    [
        (
            {"DATABASE_URL": "mysql://bw:hunter2@db/brightwave"},
            "DATABASE_URL='mysql://bw:***@db/brightwave'",
        ),
        (
            {"BRIGHTWAVE_FIXTURE": "/nonexistent/crm.json"},
            "BRIGHTWAVE_FIXTURE='/nonexistent/crm.json': no such file",
        ),
        ({"BACKEND_TODAY": "24/11/2026"}, "BACKEND_TODAY='24/11/2026': expected a date"),
        (
            {"BACKEND_PAYMENT_LINK_URL": "http://pay.example/update/"},
            "BACKEND_PAYMENT_LINK_URL='http://pay.example/update/': expected an https address",
        ),
        (
            {"BACKEND_PAYMENT_LINK_MINUTES": "0"},
            "BACKEND_PAYMENT_LINK_MINUTES='0': expected a whole number of minutes",
        ),
    ],
)
def test_bad_settings_stop_the_backend(env: dict[str, str], message: str) -> None:
    result = run_cli(**env)
    assert result.returncode == 2
    assert message in result.stderr
    assert "hunter2" not in result.stderr


def test_a_fixture_without_its_date_stops_the_backend(
    fixture_data: dict[str, Any], tmp_path: Path
) -> None:
    undated = tmp_path / "undated.json"
    undated.write_text(json.dumps({k: v for k, v in fixture_data.items() if k != "as_of"}))
    env = {"BRIGHTWAVE_FIXTURE": str(undated), "DATABASE_URL": f"sqlite:///{tmp_path / 'db'}"}
    result = run_cli("serve", "--port", "0", **env)
    assert result.returncode == 2
    assert f"backend: {undated}: no as_of date" in result.stderr
