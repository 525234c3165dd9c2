"""The consent ledger against a real SQLite file: seeded once from the CRM fixture,
append-only history with source and time, state derived, a STOP covering every channel."""

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from common.database import create_db_engine
from outreach.config import CHANNELS
from outreach.consent import ConsentChange
from outreach.ledger import SEED_SOURCE, ConsentLedger
from outreach.settings import Settings, SettingsError, load_settings

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "brightwave_crm.json"
T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def open_ledger(path: Path) -> ConsentLedger:
    return ConsentLedger(create_db_engine(f"sqlite:///{path}"))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "outreach.db"


def test_the_fixture_seeds_each_customers_flags(db: Path) -> None:
    ledger = open_ledger(db)
    assert ledger.seed_from_fixture(FIXTURE, T0) == 48
    both = ledger.state("C-1001")  # marketing_consent true, no opt-out
    no_marketing = ledger.state("C-1007")  # marketing_consent false
    opted_out = ledger.state("C-1011")  # outreach_opt_out true (marketing_consent true)
    for channel in CHANNELS:
        assert both.allows(channel, "service") and both.allows(channel, "marketing")
        assert no_marketing.allows(channel, "service")
        assert not no_marketing.allows(channel, "marketing")
        assert not opted_out.allows(channel, "service")
        assert not opted_out.allows(channel, "marketing")
    history = ledger.history("C-1001")
    assert len(history) == 6 and {c.source for c in history} == {SEED_SOURCE}
    assert {c.at for c in history} == {T0}


def test_a_restart_does_not_seed_twice_nor_undo_a_customers_change(db: Path) -> None:
    open_ledger(db).seed_from_fixture(FIXTURE, T0)
    ledger = open_ledger(db)
    later = T0 + timedelta(days=1)
    assert ledger.opt_out("C-1001", "marketing", "customer:whatsapp", later, key="stop-1")
    again = open_ledger(db)  # the next start reads the same fixture
    assert again.seed_from_fixture(FIXTURE, later) == 0
    assert not again.state("C-1001").allows("email", "marketing")
    assert len(again.history("C-1001")) == 6 + len(CHANNELS)


def test_two_processes_seeding_at_once_seed_once(db: Path) -> None:
    ledgers = [open_ledger(db), open_ledger(db)]
    counts: list[int] = []
    threads = [
        threading.Thread(target=lambda lg=lg: counts.append(lg.seed_from_fixture(FIXTURE, T0)))
        for lg in ledgers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 48
    assert len(ledgers[0].history("C-1020")) == 6


def test_history_is_appended_and_the_latest_change_counts(db: Path) -> None:
    ledger = open_ledger(db)
    changes = [
        ConsentChange("C-1002", "email", "marketing", True, "web_form", T0),
        ConsentChange("C-1002", "email", "marketing", False, "customer:email", T0 + timedelta(1)),
        ConsentChange("C-1002", "email", "marketing", True, "agent:dana", T0 + timedelta(2)),
    ]
    for change in changes:
        assert ledger.record([change])
    assert ledger.history("C-1002") == changes
    state = ledger.state("C-1002")
    assert state.allows("email", "marketing")
    assert state.latest[("email", "marketing")].source == "agent:dana"
    assert not state.allows("whatsapp", "marketing")  # marketing needs an opt-in
    assert state.allows("voice", "service")  # service is allowed until opted out


def test_a_stop_opts_out_of_the_purpose_on_every_channel_once(db: Path) -> None:
    ledger = open_ledger(db)
    ledger.seed([{"id": "C-1001", "marketing_consent": True}], T0)
    assert ledger.opt_out("C-1001", "service", "customer:whatsapp", T0, key="msg-SM1")
    assert not ledger.opt_out("C-1001", "service", "customer:whatsapp", T0, key="msg-SM1")
    state = ledger.state("C-1001")
    assert not any(state.allows(channel, "service") for channel in CHANNELS)
    assert all(state.allows(channel, "marketing") for channel in CHANNELS)
    assert len(ledger.history("C-1001")) == 6 + 3


def test_an_unknown_customer_has_the_defaults_and_no_history(db: Path) -> None:
    ledger = open_ledger(db)
    assert ledger.history("C-9999") == []
    assert ledger.state("C-9999").allows("email", "service")
    assert not ledger.state("C-9999").allows("email", "marketing")


def test_a_missing_fixture_seeds_nothing(db: Path, tmp_path: Path) -> None:
    assert open_ledger(db).seed_from_fixture(tmp_path / "none.json", T0) == 0


def test_settings_default_to_sqlite_under_var_and_name_a_bad_value() -> None:
    settings = load_settings({})
    assert isinstance(settings, Settings)
    assert settings.database_url.startswith("sqlite:///")
    assert settings.database_url.endswith("var/outreach.db")
    with pytest.raises(SettingsError, match="OUTREACH_DATABASE_URL='not a url'"):
        load_settings({"OUTREACH_DATABASE_URL": "not a url"})


def test_the_seed_command_seeds_once(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from outreach.__main__ import main

    env = {"OUTREACH_DATABASE_URL": f"sqlite:///{db}", "BRIGHTWAVE_FIXTURE": str(FIXTURE)}
    assert main(["seed"], env) == 0
    assert main(["seed"], env) == 0
    assert capsys.readouterr().out.splitlines() == [
        "consent ledger: 48 customers seeded",
        "consent ledger: 0 customers seeded",
    ]
    assert main(["seed"], {"OUTREACH_DATABASE_URL": "nope"}) == 2
