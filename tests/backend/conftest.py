"""One real backend process per test session, reached over HTTP.

Its database is a fresh SQLite file under pytest's temporary folder, or the one
BACKEND_TEST_DATABASE_URL names (e.g. a scratch PostgreSQL database) to run the
same suite against PostgreSQL. Tests that write ask for ``reset``, which
rebuilds the database from the fixture once they are done.
"""

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.crm import crm
from tests.support.services import Service

from .support import Api, start_backend


@pytest.fixture(scope="session")
def fixture_data() -> dict[str, Any]:
    """The Brightwave fixture the backend serves (shared: do not modify)."""
    return crm()


@pytest.fixture(scope="session")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    workdir = tmp_path_factory.mktemp("backend")
    database_url = (
        os.environ.get("BACKEND_TEST_DATABASE_URL") or f"sqlite:///{workdir / 'backend.db'}"
    )
    service = start_backend(
        "backend", workdir, {"DATABASE_URL": database_url, "BACKEND_ADMIN_TOKEN": ""}
    )
    yield service
    service.stop()


@pytest.fixture(scope="session")
def api(backend: Service) -> Api:
    return Api(backend.url)


@pytest.fixture
def reset(api: Api) -> Iterator[None]:
    """Rebuild the database from the fixture after a test that writes."""
    yield
    response = api.post("/admin/rebuild")
    assert response.status_code == 200, response.text
