"""Queue awareness: each waiting customer's position and expected wait, from the
settings file (here 5 minutes a hand-over, 2 agents on duty)."""

from pathlib import Path
from typing import Iterator

import pytest

from tests.support.services import Service

from .support import RasaApi, agent, integration, packet, start_desk

SETTINGS = """
queue: {minutes_per_handoff: 5, agents_on_duty: 2}
rasa: {connect_timeout_seconds: 1, read_timeout_seconds: 5}
webhook: {max_attempts: 3, initial_backoff_seconds: 1, max_backoff_seconds: 5, timeout_seconds: 2}
"""


@pytest.fixture
def empty_desk(tmp_path: Path, rasa: RasaApi) -> Iterator[Service]:
    """A desk nobody has handed anyone to yet."""
    settings = tmp_path / "settings.yml"
    settings.write_text(SETTINGS)
    service = start_desk("queue-desk", tmp_path, rasa.url, {"DESK_SETTINGS": str(settings)})
    yield service
    service.stop()


def test_position_and_expected_wait(empty_desk: Service, rasa: RasaApi) -> None:
    action_server, dana = integration(empty_desk.url), agent(empty_desk.url)
    assert action_server.get("/api/queue").json() == {"waiting": 0, "expected_wait_minutes": 3}
    receipts = [action_server.post("/api/handoffs",
                                   json=packet(rasa.paused_conversation())).json()
                for _ in range(3)]
    assert [(r["position"], r["expected_wait_minutes"]) for r in receipts] == \
        [(1, 3), (2, 5), (3, 8)]
    # A ticket waits in its own line and does not count against today's wait.
    ticket = action_server.post("/api/handoffs", json=packet(after_hours=True)).json()
    assert (ticket["status"], ticket["position"]) == ("ticket", 1)
    assert action_server.get("/api/queue").json() == {"waiting": 3, "expected_wait_minutes": 10}

    assert dana.move(receipts[0]["id"], "claim").status_code == 200
    waiting = dana.get("/api/handoffs", params={"status": "waiting"}).json()
    assert [(h["id"], h["position"], h["expected_wait_minutes"]) for h in waiting] == \
        [(receipts[1]["id"], 1, 3), (receipts[2]["id"], 2, 5)]
    assert action_server.get("/api/queue").json() == {"waiting": 2, "expected_wait_minutes": 8}
    claimed = dana.get(f"/api/handoffs/{receipts[0]['id']}").json()
    assert (claimed["position"], claimed["expected_wait_minutes"]) == (0, None)


def test_the_queue_lists_open_handoffs_first_in_order(empty_desk: Service,
                                                      rasa: RasaApi) -> None:
    action_server, dana = integration(empty_desk.url), agent(empty_desk.url)
    ids = [action_server.post("/api/handoffs", json=packet(rasa.paused_conversation()))
           .json()["id"] for _ in range(3)]
    dana.move(ids[0], "close")
    listed = dana.get("/api/handoffs").json()
    assert [h["id"] for h in listed] == [ids[1], ids[2], ids[0]]
    assert listed[0]["packet"]["escalation"]["reason_code"] == "human_requested"


def test_a_wrong_settings_file_stops_the_desk_with_the_reason(tmp_path: Path,
                                                              rasa: RasaApi) -> None:
    settings = tmp_path / "settings.yml"
    settings.write_text(SETTINGS.replace("agents_on_duty: 2", "agents_on_duty: 0"))
    with pytest.raises(RuntimeError, match=r"queue.agents_on_duty: ensure this value is "
                                           r"greater than 0"):
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
    service = start_desk("wrong-token-desk", tmp_path, rasa.url,
                         {"SWITCHBOARD_DESK_RASA_SECRET": "a-wrong-secret-of-32-characters-or-more"})
    try:
        handoff = integration(service.url).post("/api/handoffs", json=packet()).json()
        response = agent(service.url).move(handoff["id"], "claim")
        assert response.status_code == 502
        assert "refused the desk's API token" in response.json()["detail"]
    finally:
        service.stop()
