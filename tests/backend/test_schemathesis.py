"""schemathesis runs clean against the sample backend (its admin token enforced)."""

from pathlib import Path

from tests.support.schemathesis import schemathesis

from .support import start_backend

ADMIN_TOKEN = "schemathesis-admin-token"


def test_schemathesis_runs_clean_against_the_backend(tmp_path: Path) -> None:
    service = start_backend(
        "backend-schemathesis",
        tmp_path,
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'backend.db'}",
            "BACKEND_ADMIN_TOKEN": ADMIN_TOKEN,
        },
    )
    try:
        schemathesis(service.url, {"Authorization": f"Bearer {ADMIN_TOKEN}"})
    finally:
        service.stop()
