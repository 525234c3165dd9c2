"""The scaled profile (issue #16): `make run-scaled`, i.e. `python -m stack.scaled`.

PostgreSQL, Redis and RabbitMQ from Debian's packages on loopback (stack/servers.py,
data under SWITCHBOARD_SCALED_DIR), then the stack's services, M action servers and N
Rasa processes behind HAProxy (stack/balancer.py), which listens where `make run`'s
single processes do (RASA_PORT, RASA_INTERNAL_PORT, ACTION_SERVER_PORT), so every
client and service finds the same addresses. Rasa runs with endpoints.scaled.yml:
Rasa's RedisLockStore, the SQL tracker store on PostgreSQL (cache off: several
writers), and Rasa's Pika broker to RabbitMQ, which the analytics service relays into
its broker table (analytics/rabbit.py). The stores several processes write (tracker,
channel state, the action servers' lockouts, broker events) are PostgreSQL databases;
each single-process service keeps its own as in `make run`. Rate-limit counters are in
Redis. Services that stop are restarted as in `make run`; Ctrl-C stops everything.
"""

import dataclasses
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field
from sqlalchemy import create_engine

from common.settings import EnvSettings
from stack import launch
from stack.__main__ import desk_line, ready_text, settings_accepted, stop_on_signals
from stack.balancer import Balancer
from stack.config import VAR, ConfigError, StackConfig, load_config
from stack.launch import Launch
from stack.processes import ROOT, free_port, wait_ready
from stack.servers import USER, Servers, start_servers
from stack.supervisor import Backoff, Supervisor

DATABASES = ("tracker", "channels", "assistant", "events")
RABBITMQ_QUEUE = "switchboard_events"
ENDPOINTS = ROOT / "endpoints.scaled.yml"
BALANCED_TIMEOUT = 30.0


class ScaledSettings(EnvSettings):
    """How many of each process, and where the servers keep their data."""

    rasa_processes: int = Field(
        os.cpu_count() or 1,
        env="SWITCHBOARD_RASA_PROCESSES",
        ge=1,
        le=32,
        rule="a whole number from 1 to 32",
    )
    action_servers: int = Field(
        2, env="SWITCHBOARD_ACTION_SERVERS", ge=1, le=16, rule="a whole number from 1 to 16"
    )
    home: Path = Field(VAR / "scaled", env="SWITCHBOARD_SCALED_DIR")


@dataclass(frozen=True)
class Profile:
    """The scaled stack's processes: `balanced` is what clients and services are given
    (the balancer's ports), `rasas` and `action_ports` are the processes behind it."""

    balanced: StackConfig
    rasas: list[StackConfig]
    action_ports: list[int]
    balancer: Balancer
    servers: Servers

    def launches(self) -> list[Launch]:
        """Backend, desk, memory, analytics, outreach, the action servers, HAProxy, the
        Rasa processes: in the order they start."""
        config = self.balanced
        analytics = launch.analytics(config)
        actions = [
            dataclasses.replace(
                launch.action_server(dataclasses.replace(config, action_port=port)),
                name=f"action-server-{index}",
            )
            for index, port in enumerate(self.action_ports, 1)
        ]
        haproxy = Launch(
            "haproxy",
            self.balancer.argv(),
            f"http://{config.host}:{self.balancer.monitor_port}/health",
            config.rasa_url,
            config.log_dir,
        )
        rasas = [
            dataclasses.replace(
                launch.rasa(rasa), name=f"rasa-{index}", env={**rasa.rasa_env(), **self.rasa_env()}
            )
            for index, rasa in enumerate(self.rasas, 1)
        ]
        return [
            launch.backend(config),
            launch.desk(config),
            launch.memory(config),
            dataclasses.replace(analytics, env={**analytics.env, **self.analytics_env()}),
            launch.outreach(config),
            *actions,
            haproxy,
            *rasas,
        ]

    def rasa_env(self) -> dict[str, str]:
        """What endpoints.scaled.yml reads besides stack/config.py's rasa_env."""
        servers = self.servers
        return {
            "REDIS_HOST": "127.0.0.1",
            "REDIS_PORT": str(servers.redis_port),
            "REDIS_PASSWORD": servers.passwords.redis,
            "RABBITMQ_HOST": "127.0.0.1",
            "RABBITMQ_PORT": str(servers.rabbitmq_port),
            "RABBITMQ_USERNAME": USER,
            "RABBITMQ_PASSWORD": servers.passwords.rabbitmq,
            "RABBITMQ_QUEUE": RABBITMQ_QUEUE,
            # The channels' rate-limit counters, shared by every process.
            "SWITCHBOARD_RATE_LIMIT_STORAGE": servers.redis_url(2),
            # The web chat's sockets: a message reaches the process holding the browser's.
            "SWITCHBOARD_WEBCHAT_REDIS_URL": servers.redis_url(3),
        }

    def analytics_env(self) -> dict[str, str]:
        return {
            "ANALYTICS_RABBITMQ_URL": self.servers.rabbitmq_url,
            "ANALYTICS_RABBITMQ_QUEUE": RABBITMQ_QUEUE,
        }


def plan(base: StackConfig, servers: Servers, rasa_processes: int, action_servers: int) -> Profile:
    """The profile around base: its ports become the balancer's, the shared stores
    PostgreSQL databases, and each process gets ports (and a journal) of its own."""
    home = servers.home
    balanced = dataclasses.replace(
        base,
        endpoints=str(ENDPOINTS),
        tracker_store_url=servers.database_url("tracker"),
        channel_state_url=servers.database_url("channels"),
        assistant_database_url=servers.database_url("assistant"),
        event_broker_url=servers.database_url("events"),
    )
    rasas = [
        dataclasses.replace(
            balanced,
            rasa_port=free_port(),
            rasa_internal_port=free_port(),
            tracker_store_journal=home / f"unsaved_turns-rasa-{index}.jsonl",
        )
        for index in range(1, rasa_processes + 1)
    ]
    action_ports = [free_port() for _ in range(action_servers)]
    balancer = Balancer(home / "haproxy.cfg", home / "haproxy.sock", free_port())
    balancer.write(balanced, rasas, action_ports)
    return Profile(balanced, rasas, action_ports, balancer, servers)


class ScaledSupervisor(Supervisor):
    """The stack's supervisor, but the Rasa processes load their model side by side."""

    def start(self) -> None:
        try:
            waves: list[list[Launch]] = []
            for item in self.launches:
                together = waves and item.name.startswith("rasa-")
                if together and waves[-1][0].name.startswith("rasa-"):
                    waves[-1].append(item)
                else:
                    waves.append([item])
            for wave in waves:
                spawned = [(item, item.spawn()) for item in wave]
                with self.lock:
                    self.services.update({item.name: service for item, service in spawned})
                for item, service in spawned:
                    wait_ready(service, item.ready_url, item.timeout)
        except BaseException:
            self.stop()
            raise


def create_channel_tables(config: StackConfig) -> None:
    """The channels' tables, made once before the Rasa processes start: each process makes
    them when missing, and PostgreSQL refuses one of two concurrent CREATE TABLEs of the
    same table (seen: a process exiting with IntegrityError at start)."""
    # Imported here: the web chat package loads Rasa's channels (TensorFlow), seconds that
    # only this start needs, not every importer of the profile's plan.
    from connectors import delivery, state
    from connectors.webchat import outbox

    engine = create_engine(config.channel_state_url)
    try:
        for metadata in (state.metadata, delivery.metadata, outbox.metadata):
            metadata.create_all(engine)
    finally:
        engine.dispose()


def wait_balanced(balancer: Balancer, timeout: float = BALANCED_TIMEOUT) -> None:
    """Until HAProxy's health checks see every process up."""
    deadline = time.monotonic() + timeout
    while not balancer.all_up():
        if time.monotonic() > deadline:
            raise RuntimeError(f"HAProxy does not see every process up: {balancer.status()}")
        time.sleep(0.2)


@dataclass
class Running:
    """A started scaled profile: stop() stops the services, then the servers."""

    profile: Profile
    supervisor: Supervisor

    def stop(self) -> None:
        try:
            self.supervisor.stop()
        finally:
            self.profile.servers.stop()


def start(
    base: StackConfig,
    home: Path,
    rasa_processes: int,
    action_servers: int,
    report: Callable[[str], None] = print,
) -> Running:
    """Servers, then the stack behind the balancer, every process ready and balanced;
    if anything fails to start, what was started is stopped."""
    servers = start_servers(home, DATABASES)
    try:
        profile = plan(base, servers, rasa_processes, action_servers)
        create_channel_tables(profile.balanced)
        supervisor = ScaledSupervisor(
            profile.launches(),
            report=report,
            backoff=Backoff(initial_seconds=base.restart_backoff_seconds),
        )
        supervisor.start()
        try:
            wait_balanced(profile.balancer)
        except BaseException:
            supervisor.stop()
            raise
    except BaseException:
        servers.stop()
        raise
    return Running(profile, supervisor)


def main() -> int:
    try:
        base = load_config()
        settings = ScaledSettings.from_env(os.environ, ConfigError)
    except ConfigError as error:
        print(f"configuration: {error}", file=sys.stderr)
        return 2
    if not base.model.exists():
        print(f"No trained model at {base.model}: run `make train` first.", file=sys.stderr)
        return 2
    print(
        f"Starting Switchboard scaled: {settings.rasa_processes} Rasa processes, "
        f"{settings.action_servers} action servers, PostgreSQL, Redis, RabbitMQ and HAProxy "
        f"(data and logs in {settings.home}) ...",
        flush=True,
    )
    if not settings_accepted(base):
        return 2
    stop_on_signals()
    base = dataclasses.replace(base, log_dir=settings.home / "log")
    desk = desk_line(base)
    try:
        running = start(base, settings.home, settings.rasa_processes, settings.action_servers)
    except KeyboardInterrupt:
        return 0
    except RuntimeError as error:  # a server or service that would not start, with its log
        print(error, file=sys.stderr)
        return 1
    try:
        print(ready_text(running.profile.balanced, desk), flush=True)
        running.supervisor.watch()
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nStopping ...", flush=True)
        return 0
    finally:
        running.stop()


if __name__ == "__main__":
    sys.exit(main())
