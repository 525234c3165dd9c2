"""The scaled profile's pieces that need no server: its settings, HAProxy's configuration
(checked by haproxy itself), the plan of ports and stores, and the relay's table writes."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from analytics.consumer import broker_events
from analytics.rabbit import store
from stack.config import ConfigError, isolated_config
from stack.processes import free_port
from stack.scaled import ENDPOINTS, ScaledSettings, plan
from stack.servers import Passwords, Servers, postgres_home, start_postgres


def test_the_process_counts_are_validated_naming_the_variable() -> None:
    assert ScaledSettings.from_env({}).rasa_processes >= 1
    for name, value in [
        ("SWITCHBOARD_RASA_PROCESSES", "0"),
        ("SWITCHBOARD_RASA_PROCESSES", "many"),
        ("SWITCHBOARD_ACTION_SERVERS", "17"),
    ]:
        with pytest.raises(ConfigError, match=name):
            ScaledSettings.from_env({name: value}, ConfigError)


def servers(home: Path) -> Servers:
    return Servers(home, Passwords.kept_in(home), 15432, 16379, 15672, 14369)


def test_the_plan_gives_every_process_its_ports_and_the_shared_stores_postgresql(
    tmp_path: Path,
) -> None:
    base = isolated_config(tmp_path)
    profile = plan(base, servers(tmp_path), rasa_processes=3, action_servers=2)
    balanced = profile.balanced
    # Clients and services see the balancer where `make run` has the single processes.
    assert (balanced.rasa_port, balanced.action_port) == (base.rasa_port, base.action_port)
    assert balanced.endpoints == str(ENDPOINTS)
    for url in (
        balanced.tracker_store_url,
        balanced.channel_state_url,
        balanced.assistant_database_url,
        balanced.event_broker_url,
    ):
        assert url.startswith("postgresql://switchboard:")
    ports = {r.rasa_port for r in profile.rasas} | {r.rasa_internal_port for r in profile.rasas}
    assert len(ports | set(profile.action_ports) | {balanced.rasa_port}) == 3 * 2 + 2 + 1
    assert len({r.tracker_store_journal for r in profile.rasas}) == 3
    names = [launch.name for launch in profile.launches()]
    assert names[-6:] == [
        "action-server-1",
        "action-server-2",
        "haproxy",
        "rasa-1",
        "rasa-2",
        "rasa-3",
    ]
    analytics = next(launch for launch in profile.launches() if launch.name == "analytics")
    assert analytics.env["ANALYTICS_RABBITMQ_URL"].startswith("amqp://switchboard:")
    rasa = next(launch for launch in profile.launches() if launch.name == "rasa-1")
    assert rasa.env["ACTION_SERVER_URL"] == f"{balanced.action_url}/webhook"
    assert rasa.env["SWITCHBOARD_RATE_LIMIT_STORAGE"].startswith("redis://")


def test_the_passwords_are_kept_private_and_reused(tmp_path: Path) -> None:
    first = Passwords.kept_in(tmp_path)
    assert Passwords.kept_in(tmp_path) == first
    assert (tmp_path / "secrets.json").stat().st_mode & 0o077 == 0


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed")
def test_haproxy_accepts_the_written_configuration(tmp_path: Path) -> None:
    profile = plan(isolated_config(tmp_path), servers(tmp_path), 2, 2)
    text = profile.balancer.config_path.read_text()
    assert text.count("server rasa-") == 3 * 2 and text.count("server actions-") == 2
    checked = subprocess.run(
        ["haproxy", "-c", "-f", str(profile.balancer.config_path)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_relay_writes_a_batch_in_order_with_its_conversation(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'events.db'}")
    broker_events.metadata.create_all(engine)
    bodies = [
        json.dumps({"sender_id": "c-1", "event": "user", "timestamp": 1.0}).encode(),
        json.dumps({"sender_id": "c-2", "event": "bot", "timestamp": 2.0}).encode(),
        b"not json",
    ]
    store(engine, bodies)
    with engine.connect() as connection:
        rows = list(connection.execute(select(broker_events).order_by(broker_events.c.id)))
    assert [(r.sender_id, r.data) for r in rows] == [
        ("c-1", bodies[0].decode()),
        ("c-2", bodies[1].decode()),
        (None, "not json"),
    ]


def test_postgresql_starts_from_a_checkout_in_a_private_folder(tmp_path: Path) -> None:
    # A fresh clone in a folder only its owner may enter (mktemp -d): as root,
    # PostgreSQL runs as Debian's postgres user, who could not reach the cluster there.
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    home = private / "var" / "scaled"
    home.mkdir(parents=True)
    cluster = postgres_home(home)
    assert (cluster == home) is (os.geteuid() != 0)
    server = start_postgres(home, "a-password-for-the-test", free_port(), ["tracker"])
    try:
        assert (cluster / "postgres" / "PG_VERSION").exists()
        assert postgres_home(home) == cluster  # the next start finds the same cluster
    finally:
        server.stop()
        shutil.rmtree(cluster / "postgres", ignore_errors=True)
