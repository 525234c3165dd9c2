"""Rebuilding the database, open to loopback clients or guarded by a token."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.services import Service

from .support import Api, start_backend

TOKEN = "test-admin-token-3b1f"


def test_rebuild_restores_the_fixture(api: Api, fixture_data: dict[str, Any], reset: None) -> None:
    slot = fixture_data["appointment_slots"][0]
    booked = api.post("/appointments", json={"customer_id": "C-1001", **slot, "purpose": "advice"})
    assert booked.status_code == 201
    assert (
        api.post(
            "/interactions",
            json={
                "conversation_id": "c",
                "channel": "web",
                "type": "note",
                "summary": "s",
                "customer_id": "C-1001",
            },
        ).status_code
        == 201
    )

    response = api.post("/admin/rebuild")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "rebuilt"
    assert body["rows"]["customers"] == len(fixture_data["customers"])
    assert body["rows"]["interactions"] == 0

    assert api.get(f"/appointments/{booked.json()['id']}").status_code == 404
    assert (
        slot in api.get("/appointment_slots", params={"store_id": slot["store_id"]}).json()["items"]
    )
    assert api.get("/customers/C-1001/interactions").json() == {"items": []}


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """A second backend that requires the admin token."""
    workdir: Path = tmp_path_factory.mktemp("guarded")
    service = start_backend(
        "guarded",
        workdir,
        {"DATABASE_URL": f"sqlite:///{workdir / 'guarded.db'}", "BACKEND_ADMIN_TOKEN": TOKEN},
    )
    yield service
    service.stop()


@pytest.mark.parametrize(
    "headers, status",
    [
        ({}, 401),
        ({"Authorization": f"Basic {TOKEN}"}, 401),
        ({"Authorization": "Bearer wrong-token"}, 403),
        ({"Authorization": f"Bearer {TOKEN}"}, 200),
    ],
)
def test_token_guards_rebuild(guarded: Service, headers: dict[str, str], status: int) -> None:
    response = Api(guarded.url).post("/admin/rebuild", headers=headers)
    assert response.status_code == status, response.text
    assert TOKEN not in response.text
    if status == 200:
        assert response.json()["status"] == "rebuilt"
    else:
        assert response.json()["detail"]
    if status == 401:
        assert response.headers["WWW-Authenticate"] == "Bearer"
