"""The scaled profile's servers from Debian's packages (PostgreSQL, Redis, RabbitMQ,
HAProxy), each started in the foreground on loopback with its data and log under one
folder, so that `make run-scaled` and the tests run them the same way and stop them with
the stack. `make servers` installs what is missing (apt-get).

PostgreSQL refuses to run as root: when we are root it runs as Debian's `postgres`
user, which then owns its data folder (the folder's parents must be traversable).
Passwords are made on the first start and kept in `<home>/secrets.json` (mode 600).
"""

import glob
import hashlib
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import redis

from stack.processes import Service, free_port, inherited

START_TIMEOUT = 120.0
USER = "switchboard"  # the user of PostgreSQL and RabbitMQ
AMQP_HEADER = b"AMQP\x00\x00\x09\x01"


class ServerError(RuntimeError):
    """A server is not installed or did not start; the message says which and why."""


@dataclass(frozen=True)
class Passwords:
    postgres: str
    redis: str
    rabbitmq: str

    @classmethod
    def kept_in(cls, home: Path) -> "Passwords":
        """The passwords of home's servers, made on the first start."""
        path = home / "secrets.json"
        if path.exists():
            return cls(**json.loads(path.read_text()))
        made = cls(*(secrets.token_hex(16) for _ in range(3)))
        home.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(json.dumps(made.__dict__))
        return made


@dataclass
class Servers:
    """The running servers and how to reach them."""

    home: Path
    passwords: Passwords
    postgres_port: int
    redis_port: int
    rabbitmq_port: int
    epmd_port: int
    running: list[Service] = field(default_factory=list)

    def database_url(self, name: str) -> str:
        return (
            f"postgresql://{USER}:{self.passwords.postgres}@127.0.0.1:{self.postgres_port}/{name}"
        )

    def redis_url(self, db: int) -> str:
        return f"redis://:{self.passwords.redis}@127.0.0.1:{self.redis_port}/{db}"

    @property
    def rabbitmq_url(self) -> str:
        return f"amqp://{USER}:{self.passwords.rabbitmq}@127.0.0.1:{self.rabbitmq_port}/"

    def server(self, name: str) -> Service:
        return next(s for s in self.running if s.name == name)

    def stop(self) -> None:
        for server in reversed(self.running):
            server.stop()


def _version(path: str) -> list[int]:
    """/usr/lib/postgresql/15/bin/initdb → [15]: 15 is newer than 9.6."""
    return [int(number) for number in re.findall(r"\d+", path)]


def binary(name: str, pattern: str | None = None) -> str:
    """A server's program: the newest matching pattern if given (PostgreSQL's own folder;
    RabbitMQ's script, not Debian's wrapper on PATH that switches user), else on PATH."""
    matches = sorted(glob.glob(pattern), key=_version) if pattern else []
    found = matches[-1] if matches else None if pattern else shutil.which(name)
    if not found:
        raise ServerError(f"{name} is not installed: `make servers` installs it (apt-get)")
    return found


def pg_binary(name: str) -> str:
    return binary(name, f"/usr/lib/postgresql/*/bin/{name}")


RABBITMQ_SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"
PROGRAMS: dict[str, Callable[[], str]] = {
    "postgres": lambda: pg_binary("postgres"),
    "initdb": lambda: pg_binary("initdb"),
    "redis-server": lambda: binary("redis-server"),
    "epmd": lambda: binary("epmd"),
    "rabbitmq-server": lambda: binary("rabbitmq-server", RABBITMQ_SERVER),
    "haproxy": lambda: binary("haproxy"),
}


def missing_programs() -> list[str]:
    """The profile's programs that are not installed."""
    absent = []
    for name, find in PROGRAMS.items():
        try:
            find()
        except ServerError:
            absent.append(name)
    return absent


def _postgres_user() -> str | None:
    """PostgreSQL's user when we are root (it refuses to run as root), else ourselves."""
    return "postgres" if os.geteuid() == 0 else None


def _chown_postgres(path: Path) -> None:
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _others_may_enter(path: Path) -> bool:
    """Whether a user who owns none of path's folders can reach into it."""
    resolved = path.resolve()
    return all(
        folder.stat().st_mode & stat.S_IXOTH
        for folder in (resolved, *resolved.parents)
        if folder.exists()
    )


def postgres_home(home: Path) -> Path:
    """The folder of PostgreSQL's cluster and its first password: home itself, unless
    PostgreSQL runs as Debian's postgres user (we are root) and that user cannot reach
    into home (a checkout in a private folder): then a folder of that user's in the
    system's temporary folder, named after home, so the next start finds it again."""
    if _postgres_user() is None or _others_may_enter(home):
        return home
    digest = hashlib.sha256(str(home.resolve()).encode()).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / f"switchboard-postgres-{digest}"
    folder.mkdir(mode=0o700, exist_ok=True)
    _chown_postgres(folder)
    return folder


def spawn_server(
    name: str,
    argv: Sequence[str],
    log_dir: Path,
    env: Mapping[str, str] | None = None,
    stop_signal: int = signal.SIGTERM,
    user: str | None = None,
) -> Service:
    """argv in the foreground, leading its own process group, output to log_dir/name.log."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            list(argv),
            env={**inherited(os.environ), **(env or {})},  # none of the services' secrets
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            user=user,
            group=user,
            extra_groups=[] if user else None,
        )
    return Service(name, process, "127.0.0.1", log_path, stop_signal)


def wait_until(server: Service, ready: Callable[[], bool], timeout: float = START_TIMEOUT) -> None:
    """Until ready() holds; ServerError with the log's tail if the server exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServerError(
                f"{server.name} exited with {server.process.returncode}:\n{server.log_tail()}"
            )
        try:
            if ready():
                return
        except Exception:  # not answering yet, in whatever way the client says so
            pass
        time.sleep(0.2)
    server.stop()
    raise ServerError(f"{server.name} not ready after {timeout:.0f} s:\n{server.log_tail()}")


# --- PostgreSQL -------------------------------------------------------------------


def start_postgres(home: Path, password: str, port: int, databases: Sequence[str]) -> Service:
    """PostgreSQL on 127.0.0.1:port, data in home/postgres (initdb on the first start;
    see postgres_home), password login only; the databases created if missing."""
    cluster = postgres_home(home)
    data = cluster / "postgres"
    if not (data / "PG_VERSION").exists():
        data.mkdir(parents=True, exist_ok=True)
        data.chmod(0o700)
        _chown_postgres(data)
        pwfile = cluster / "postgres.pw"
        pwfile.write_text(password)
        _chown_postgres(pwfile)
        try:
            subprocess.run(
                [pg_binary("initdb"), "-D", str(data), "-U", USER]
                + ["--auth=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8"],
                check=True,
                capture_output=True,
                user=_postgres_user(),
                group=_postgres_user(),
                extra_groups=[] if _postgres_user() else None,
            )
        except subprocess.CalledProcessError as error:
            raise ServerError(f"initdb failed: {error.stderr.decode(errors='replace')}") from None
        finally:
            pwfile.unlink()
    server = spawn_server(
        "postgres",
        [pg_binary("postgres"), "-D", str(data), "-p", str(port)]
        + ["-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={data}"]
        + ["-c", "max_connections=300"],
        home / "log",
        stop_signal=signal.SIGINT,
        user=_postgres_user(),
    )

    def connect() -> "psycopg2.extensions.connection":
        return psycopg2.connect(
            host="127.0.0.1", port=port, user=USER, password=password, dbname="postgres"
        )

    wait_until(server, lambda: bool(connect().close() or True))
    connection = connect()
    connection.autocommit = True
    with connection.cursor() as cursor:
        for name in databases:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    return server


# --- Redis ------------------------------------------------------------------------


def start_redis(home: Path, password: str, port: int) -> Service:
    """Redis on 127.0.0.1:port with a password, appending to home/redis."""
    data = home / "redis"
    data.mkdir(parents=True, exist_ok=True)
    server = spawn_server(
        "redis",
        [binary("redis-server"), "--port", str(port), "--bind", "127.0.0.1"]
        + ["--dir", str(data), "--appendonly", "yes", "--save", ""]
        + ["--requirepass", password],
        home / "log",
    )
    wait_until(server, lambda: bool(redis.Redis(port=port, password=password).ping()))
    return server


# --- RabbitMQ ---------------------------------------------------------------------

RABBITMQ_CONF = """\
listeners.tcp.1 = 127.0.0.1:{port}
default_user = {user}
default_pass = {password}
loopback_users.guest = true
log.console = true
log.file = false
"""


def start_epmd(home: Path, port: int) -> Service:
    """Erlang's port mapper of our own, so that stopping the stack stops it too."""
    server = spawn_server(
        "epmd", [binary("epmd"), "-port", str(port), "-address", "127.0.0.1"], home / "log"
    )

    def listening() -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True

    wait_until(server, listening)
    return server


def amqp_answers(port: int) -> bool:
    """True when the AMQP listener answers a protocol header with a frame."""
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall(AMQP_HEADER)
        return sock.recv(1) == b"\x01"


def start_rabbitmq(servers: Servers) -> Service:
    """RabbitMQ on 127.0.0.1 at servers' port (node data in home/rabbitmq, no plugins);
    its user `switchboard` is made on the first start."""
    home, port, password = servers.home, servers.rabbitmq_port, servers.passwords.rabbitmq
    data = home / "rabbitmq"
    data.mkdir(parents=True, exist_ok=True)
    (data / "rabbitmq.conf").write_text(
        RABBITMQ_CONF.format(port=port, user=USER, password=password)
    )
    (data / "enabled_plugins").write_text("[].\n")
    env = {
        "HOME": str(data),  # Erlang's cookie
        # One node per home (its epmd is ours): the next start finds the same queues.
        "RABBITMQ_NODENAME": "switchboard@localhost",
        "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
        "RABBITMQ_NODE_PORT": str(port),
        "RABBITMQ_DIST_PORT": str(free_port()),
        "ERL_EPMD_PORT": str(servers.epmd_port),
        "ERL_EPMD_ADDRESS": "127.0.0.1",
        "RABBITMQ_CONFIG_FILE": str(data / "rabbitmq"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(data / "enabled_plugins"),
        "RABBITMQ_MNESIA_BASE": str(data / "mnesia"),
        "RABBITMQ_LOG_BASE": str(home / "log"),
        "RABBITMQ_LOGS": "-",
    }
    server = spawn_server(
        "rabbitmq",
        [binary("rabbitmq-server", RABBITMQ_SERVER)],
        home / "log",
        env,
    )
    wait_until(server, lambda: amqp_answers(port))
    return server


def start_servers(home: Path, databases: Sequence[str]) -> Servers:
    """PostgreSQL, Redis and RabbitMQ on free loopback ports, data under home; if one
    fails, those already up are stopped."""
    home = home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    servers = Servers(
        home, Passwords.kept_in(home), free_port(), free_port(), free_port(), free_port()
    )
    try:
        servers.running.append(
            start_postgres(home, servers.passwords.postgres, servers.postgres_port, databases)
        )
        servers.running.append(start_redis(home, servers.passwords.redis, servers.redis_port))
        servers.running.append(start_epmd(home, servers.epmd_port))
        servers.running.append(start_rabbitmq(servers))
    except BaseException:
        servers.stop()
        raise
    return servers


def restart_rabbitmq(servers: Servers) -> None:
    """RabbitMQ again, as it was, after it was stopped (the broker outage test)."""
    index = next(i for i, s in enumerate(servers.running) if s.name == "rabbitmq")
    servers.running[index].stop()
    servers.running[index] = start_rabbitmq(servers)


def pause_postgres(servers: Servers, seconds: float, databases: Sequence[str]) -> None:
    """PostgreSQL stopped for seconds, then started again on the same port with the same
    data (the soak benchmark's outage)."""
    index = next(i for i, s in enumerate(servers.running) if s.name == "postgres")
    servers.running[index].stop()
    time.sleep(seconds)
    servers.running[index] = start_postgres(
        servers.home, servers.passwords.postgres, servers.postgres_port, databases
    )
