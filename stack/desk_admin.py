"""The desk's first admin, so that `make run` (and a test stack) can be signed in to
from the start: `python -m desk create-admin <name> --if-no-admin`, given
DESK_ADMIN_PASSWORD or generating one it prints once."""

import os
import subprocess
from collections.abc import Mapping

from desk.first_admin import ALREADY
from stack.config import VENV_BIN, StackConfig
from stack.processes import ROOT


def create_admin(username: str, password: str, env: Mapping[str, str]) -> str | None:
    """What `create-admin` said when it created the admin (with the generated
    password when none was given), None when the desk already had one; RuntimeError
    with its reason when it could not."""
    result = subprocess.run(
        [str(VENV_BIN / "python"), "-m", "desk", "create-admin", username, "--if-no-admin"],
        input=password,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={**os.environ, **env},
    )
    if result.returncode != 0:
        raise RuntimeError(f"desk create-admin failed: {result.stderr.strip()}")
    said = result.stdout.strip()
    return None if said == ALREADY else said


def first_desk_admin(config: StackConfig) -> str | None:
    return create_admin(config.desk_admin_username, config.desk_admin_password, config.desk_env())
