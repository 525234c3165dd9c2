"""Queue awareness: each waiting customer's position and expected wait, from the
settings file (here 5 minutes a hand-over, 2 agents on duty)."""

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.support.services import Service

from .support import (
    ALWAYS_OPEN,
    RasaApi,
    agent,
    agent_messages,
    closed_hours,
    integration,
    packet,
    start_desk,
)

SETTINGS = """
queue: {minutes_per_handoff: 5, agents_on_duty: 2}
rasa: {connect_timeout_seconds: 1, read_timeout_seconds: 5}
webhook: {max_attempts: 3, initial_backoff_seconds: 1, max_backoff_seconds: 5, timeout_seconds: 2}
"""
ALWAYS_OPEN_HOURS = {
    "time_zone": "Europe/Berlin",
    "open": "00:00",
    "close": "24:00",
    "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
}


@pytest.fixture
def empty_desk(tmp_path: Path, rasa: RasaApi) -> Iterator[Service]:
    """A desk nobody has handed anyone to yet."""
    settings = tmp_path / "settings.yml"
    settings.write_text(SETTINGS + ALWAYS_OPEN + agent_messages())
    service = start_desk("queue-desk", tmp_path, rasa.url, {"DESK_SETTINGS": str(settings)})
    yield service
    service.stop()


@pytest.fixture
def closed_desk(tmp_path: Path, rasa: RasaApi) -> Iterator[Service]:
    """A desk outside its support hours."""
    settings = tmp_path / "settings.yml"
    settings.write_text(SETTINGS + closed_hours() + agent_messages())
    service = start_desk("closed-desk", tmp_path, rasa.url, {"DESK_SETTINGS": str(settings)})
    yield service
    service.stop()


def test_position_and_expected_wait(empty_desk: Service, rasa: RasaApi) -> None:
    action_server, dana = integration(empty_desk.url), agent(empty_desk.url)
    open_now = {"open_now": True, "next_open": None, "hours": ALWAYS_OPEN_HOURS}
    assert action_server.get("/api/queue").json() == {
        "waiting": 0,
        "expected_wait_minutes": 3,
        **open_now,
    }
    receipts = [
        action_server.post("/api/handoffs", json=packet(rasa.paused_conversation())).json()
        for _ in range(3)
    ]
    assert [(r["position"], r["expected_wait_minutes"]) for r in receipts] == [
        (1, 3),
        (2, 5),
        (3, 8),
    ]
    assert all(
        r["status"] == "waiting"
        and r["open_now"]
        and r["next_open"] is None
        and r["hours"] == ALWAYS_OPEN_HOURS
        for r in receipts
    )
    assert action_server.get("/api/queue").json() == {
        "waiting": 3,
        "expected_wait_minutes": 10,
        **open_now,
    }

    assert dana.move(receipts[0]["id"], "claim").status_code == 200
    waiting = dana.get("/api/handoffs", params={"status": "waiting"}).json()
    assert [(h["id"], h["position"], h["expected_wait_minutes"]) for h in waiting] == [
        (receipts[1]["id"], 1, 3),
        (receipts[2]["id"], 2, 5),
    ]
    assert action_server.get("/api/queue").json() == {
        "waiting": 2,
        "expected_wait_minutes": 8,
        **open_now,
    }
    claimed = dana.get(f"/api/handoffs/{receipts[0]['id']}").json()
    assert (claimed["position"], claimed["expected_wait_minutes"]) == (0, None)


def test_outside_support_hours_the_receipt_says_when_the_team_is_back(
    closed_desk: Service, rasa: RasaApi
) -> None:
    """Contract K2: a ticket, in its own line, with the next opening (ISO-8601 with
    the hours' offset) and no wait; it does not count against the live wait."""
    action_server = integration(closed_desk.url)
    receipts = [
        action_server.post("/api/handoffs", json=packet(rasa.paused_conversation())).json()
        for _ in range(2)
    ]
    assert [
        (r["status"], r["position"], r["open_now"], r["expected_wait_minutes"]) for r in receipts
    ] == [("ticket", 1, False, None), ("ticket", 2, False, None)]
    back = datetime.fromisoformat(receipts[0]["next_open"])
    assert back.utcoffset() is not None and back > datetime.now(UTC)
    assert (
        back.astimezone(ZoneInfo("Europe/Berlin")).strftime("%a %H:%M").lower()
        == f"{receipts[0]['hours']['days'][0]} 08:00"
    )
    assert receipts[0]["human_available_at"] == receipts[0]["next_open"]
    assert re.fullmatch(r"H-[0-9A-F]{6}", receipts[0]["reference"])
    state = action_server.get("/api/queue").json()
    assert (state["waiting"], state["open_now"], state["next_open"]) == (
        0,
        False,
        receipts[0]["next_open"],
    )


def test_the_queue_lists_open_handoffs_first_in_order(empty_desk: Service, rasa: RasaApi) -> None:
    action_server, dana = integration(empty_desk.url), agent(empty_desk.url)
    ids = [
        action_server.post("/api/handoffs", json=packet(rasa.paused_conversation())).json()["id"]
        for _ in range(3)
    ]
    dana.move(ids[0], "close")
    listed = dana.get("/api/handoffs").json()
    assert [h["id"] for h in listed] == [ids[1], ids[2], ids[0]]
    assert listed[0]["packet"]["escalation"]["reason_code"] == "human_requested"


def test_a_wrong_settings_file_stops_the_desk_with_the_reason(
    tmp_path: Path, rasa: RasaApi
) -> None:
    settings = tmp_path / "settings.yml"
    settings.write_text(SETTINGS.replace("agents_on_duty: 2", "agents_on_duty: 0"))
    with pytest.raises(
        RuntimeError,
        match=r"queue.agents_on_duty: ensure this value is "
        r"greater than 0",
    ):
        start_desk("bad-desk", tmp_path, rasa.url, {"DESK_SETTINGS": str(settings)})


def test_a_missing_token_stops_the_desk_with_the_reason(tmp_path: Path, rasa: RasaApi) -> None:
    with pytest.raises(RuntimeError, match="DESK_INTEGRATION_TOKEN is not set"):
        start_desk("tokenless-desk", tmp_path, rasa.url, {"DESK_INTEGRATION_TOKEN": ""})


def test_the_claim_fails_cleanly_when_rasa_is_down(desk_without_rasa: Service) -> None:
    action_server, dana = integration(desk_without_rasa.url), agent(desk_without_rasa.url)
    receipt = action_server.post("/api/handoffs", json=packet())
    assert receipt.status_code == 201  # queueing needs no Rasa
    handoff_id = receipt.json()["id"]
    response = dana.move(handoff_id, "claim")
    assert response.status_code == 503
    assert "Rasa is unreachable" in response.json()["detail"]
    detail = dana.get(f"/api/handoffs/{handoff_id}").json()
    assert detail["status"] == "waiting"  # nothing changed: the agent can try again
    assert detail["conversation"] is None and "unreachable" in detail["conversation_error"]


def test_a_wrong_rasa_token_is_a_bad_gateway(tmp_path: Path, rasa: RasaApi) -> None:
    service = start_desk(
        "wrong-token-desk",
        tmp_path,
        rasa.url,
        {"SWITCHBOARD_DESK_RASA_SECRET": "a-wrong-secret-of-32-characters-or-more"},
    )
    try:
        handoff = integration(service.url).post("/api/handoffs", json=packet()).json()
        response = agent(service.url).move(handoff["id"], "claim")
        assert response.status_code == 502
        assert "refused the desk's API token" in response.json()["detail"]
    finally:
        service.stop()
