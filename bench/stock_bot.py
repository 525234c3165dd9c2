"""A stock `rasa init` assistant, the baseline the load benchmark compares
Switchboard against.

The project is created and trained once with `rasa init --no-prompt` in a temp
dir (about a minute on two cores) and cached under var/bench/stock_bot, so later
runs only load it. The cache records the Rasa version that trained it and is
rebuilt when that changes. It is served with `rasa run` on the REST channel and
Rasa's defaults otherwise: in-memory tracker store, no action server.

`python -m bench.stock_bot` only builds (or confirms) the cache.
"""

import os
import shutil
import subprocess
import tempfile
from importlib.metadata import version
from pathlib import Path

from stack.config import VENV_BIN
from stack.launch import RASA_START_TIMEOUT
from stack.processes import ROOT, Service, free_port, start_service

CACHE = ROOT / "var" / "bench" / "stock_bot"
VERSION_MARKER = ".rasa_version"
HOST = "127.0.0.1"
INIT_TIMEOUT = 900.0
LOG_TAIL = 4000
# Training leftovers that the served project does not need (.rasa is the training cache).
NOT_CACHED = shutil.ignore_patterns(".rasa", "__pycache__")


def rasa_env() -> dict[str, str]:
    """The environment every stock Rasa command runs with: no telemetry leaves the machine."""
    return {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}


def rasa_version() -> str:
    return version("rasa")


def trained_model(project: Path) -> Path | None:
    """The newest model of a project, if it has one."""
    models = sorted((project / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def is_usable(project: Path) -> bool:
    """A cached project that this Rasa version trained and that has its model."""
    marker = project / VERSION_MARKER
    return (
        trained_model(project) is not None
        and marker.exists()
        and marker.read_text().strip() == rasa_version()
    )


def _run_rasa(argv: list[str], cwd: Path, log: Path) -> None:
    """Run a rasa command to completion; stdin is closed so that a prompt fails
    instead of hanging the benchmark."""
    with open(log, "ab") as out:
        code = subprocess.call(
            [str(VENV_BIN / "rasa"), *argv],
            cwd=cwd,
            env=rasa_env(),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=INIT_TIMEOUT,
        )
    if code != 0:
        tail = log.read_text(errors="replace")[-LOG_TAIL:]
        raise RuntimeError(f"rasa {' '.join(argv)} exited with {code}:\n{tail}")


def create_project(workdir: Path) -> Path:
    """`rasa init --no-prompt` in workdir/project, which also trains the model;
    `rasa train` explicitly should a future Rasa skip that."""
    project = workdir / "project"
    project.mkdir()  # --no-prompt refuses a directory that does not exist
    log = workdir / "init.log"
    _run_rasa(["init", "--no-prompt", "--init-dir", str(project)], workdir, log)
    if trained_model(project) is None:
        _run_rasa(["train"], project, log)
    if trained_model(project) is None:
        raise RuntimeError(f"rasa init left no model in {project / 'models'}")
    (project / VERSION_MARKER).write_text(rasa_version())
    return project


def _publish(project: Path, cache: Path) -> None:
    """Copy the project next to the cache and rename it into place, so that a
    half-written cache is never seen (and a concurrent run's copy just wins)."""
    cache.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{cache.name}-", dir=cache.parent))
    copy = staging / "project"
    shutil.copytree(project, copy, ignore=NOT_CACHED)
    if cache.exists() and not is_usable(cache):
        shutil.rmtree(cache)
    try:
        copy.rename(cache)
    except OSError:
        pass  # another run published one first
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def ensure_project(cache: Path = CACHE) -> Path:
    """The cached, trained stock project: built on the first run, reused after."""
    if not is_usable(cache):
        with tempfile.TemporaryDirectory(prefix="stock-bot-") as workdir:
            _publish(create_project(Path(workdir)), cache)
    if not is_usable(cache):
        raise RuntimeError(f"no usable stock project in {cache}")
    return cache


def serve_argv(project: Path, port: int) -> list[str]:
    """`rasa run` on the project's own endpoints and credentials (REST enabled)."""
    model = trained_model(project)
    assert model is not None
    return [
        str(VENV_BIN / "rasa"),
        "run",
        "--model",
        str(model),
        "--endpoints",
        str(project / "endpoints.yml"),
        "--credentials",
        str(project / "credentials.yml"),
        "--port",
        str(port),
        "--interface",
        HOST,
    ]


def start_stock_bot(log_dir: Path, project: Path | None = None) -> Service:
    """Serve the stock bot on a free loopback port; ready once its REST channel
    answers GET /webhooks/rest/ (the model is loaded by then)."""
    project = project or ensure_project()
    port = free_port()
    url = f"http://{HOST}:{port}"
    return start_service(
        "stock-rasa",
        serve_argv(project, port),
        f"{url}/webhooks/rest/",
        url,
        log_dir,
        rasa_env(),
        timeout=RASA_START_TIMEOUT,
    )


if __name__ == "__main__":
    print(f"stock bot project: {ensure_project()}")
