"""schemathesis against a running service's /openapi.json (issue #20: integrators'
generated clients must work, so every answer must be one the schema declares).

schemathesis lives in its own environment (.venv-schemathesis, `make schemathesis`):
its pins clash with Rasa's. Every check runs: no 5xx, status codes, content types,
headers and bodies as declared, invalid data refused, declared auth enforced.
"""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BINARY = ROOT / ".venv-schemathesis" / "bin" / "st"
SEED = 20  # fixed: the same cases on every run
TIMEOUT_SECONDS = 900


def schemathesis(url: str, headers: dict[str, str], examples: int = 30) -> None:
    """Fails the test with schemathesis' report unless every check passes."""
    if not BINARY.exists():
        pytest.fail(f"{BINARY} is missing: `make schemathesis` installs it (make test does)")
    command = [
        str(BINARY),
        "run",
        f"{url}/openapi.json",
        "--checks",
        "all",
        "--experimental=openapi-3.1",
        "--hypothesis-max-examples",
        str(examples),
        "--hypothesis-seed",
        str(SEED),
        "--workers",
        "1",
        # Header values the HTTP server itself refuses (NUL, non-ASCII) never
        # reach the app: they test uvicorn, not the schema.
        "--generation-allow-x00",
        "false",
        "--generation-codec",
        "ascii",
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, cwd=ROOT)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and "failed" not in run.stdout.splitlines()[-1]
