"""The outreach API as a real process (stack/launch.py), attacked and used over HTTP:
token, rate and size limits, bad input answered 4xx with a reason, a STOP opting the
customer out on every channel once, the ledger seeded once across restarts."""

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from stack.config import StackConfig, isolated_config
from stack.launch import start_outreach
from stack.processes import Service

STOP = {"via": "twilio", "purposes": ["service", "marketing"], "request_id": "SM-abc.1"}


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> StackConfig:
    home = tmp_path_factory.mktemp("outreach")
    return dataclasses.replace(
        isolated_config(home), extra_env={"OUTREACH_RATE_LIMIT": "40/minute"}
    )


@pytest.fixture(scope="module")
def service(config: StackConfig) -> Iterator[Service]:
    started = start_outreach(config)
    yield started
    started.stop()


def call(
    config: StackConfig, method: str, path: str, token: str | None = "", **kw
) -> requests.Response:
    headers = kw.pop("headers", {})
    given = config.outreach_api_token if token == "" else token
    if given is not None:
        headers["Authorization"] = f"Bearer {given}"
    return requests.request(
        method, f"{config.outreach_url}{path}", headers=headers, timeout=10, **kw
    )


def test_a_stop_opts_out_of_each_purpose_on_every_channel_once(
    config: StackConfig, service: Service
) -> None:
    before = call(config, "GET", "/customers/C-1001/consent").json()
    assert before["consent"]["marketing"] == {"whatsapp": True, "email": True, "voice": True}
    first = call(config, "POST", "/customers/C-1001/opt-out", json=STOP)
    assert first.status_code == 201, first.text
    assert first.json() == {
        "customer_id": "C-1001",
        "opted_out": ["marketing", "service"],
        "recorded": True,
    }
    again = call(config, "POST", "/customers/C-1001/opt-out", json=STOP)
    assert again.status_code == 200 and again.json()["recorded"] is False
    after = call(config, "GET", "/customers/C-1001/consent").json()
    for purpose in ("service", "marketing"):
        assert after["consent"][purpose] == {"whatsapp": False, "email": False, "voice": False}
    history = after["history"]
    assert len(history) == 6 + 6  # the seed, then the STOP once
    assert {h["source"] for h in history[6:]} == {"customer:twilio"}


def test_the_seed_survives_a_restart_without_doubling_or_undoing(tmp_path: Path) -> None:
    own = isolated_config(tmp_path)
    first = start_outreach(own)
    try:
        call(own, "POST", "/customers/C-1002/opt-out", json={**STOP, "request_id": "r-2"})
    finally:
        first.stop()
    second = start_outreach(own)
    try:
        history = call(own, "GET", "/customers/C-1002/consent").json()["history"]
        assert len(history) == 6 + 6
        assert history[-1]["opted_in"] is False
    finally:
        second.stop()


@pytest.mark.parametrize("token", [None, "wrong-token-of-some-length", "x"])
def test_without_the_right_token_nothing_is_read_or_written(
    config: StackConfig, service: Service, token: str | None
) -> None:
    read = call(config, "GET", "/customers/C-1003/consent", token=token)
    write = call(config, "POST", "/customers/C-1003/opt-out", token=token, json=STOP)
    assert (read.status_code, write.status_code) == (401, 401)
    assert read.json() == {"detail": "missing or wrong bearer token"}
    history = call(config, "GET", "/customers/C-1003/consent").json()["history"]
    assert all(h["source"] == "crm_fixture" for h in history)


@pytest.mark.parametrize(
    "path,body,status,reason",
    [
        ("/customers/1003/opt-out", STOP, 400, "customer_id"),
        ("/customers/C-1003/opt-out", {**STOP, "via": "pigeon"}, 422, "via"),
        ("/customers/C-1003/opt-out", {**STOP, "purposes": []}, 422, "purposes"),
        ("/customers/C-1003/opt-out", {**STOP, "purposes": ["spam"]}, 422, "purposes"),
        ("/customers/C-1003/opt-out", {**STOP, "request_id": "a b"}, 422, "request_id"),
        ("/customers/C-1003/opt-out", {**STOP, "extra": 1}, 422, "extra"),
        ("/customers/C-1003/opt-out", {**STOP, "request_id": "k" * 5000}, 413, "over 4096"),
    ],
)
def test_bad_input_is_refused_with_its_reason_and_changes_nothing(
    config: StackConfig, service: Service, path: str, body: dict, status: int, reason: str
) -> None:
    answer = call(config, "POST", path, json=body)
    assert answer.status_code == status, answer.text
    assert reason in answer.json()["detail"]
    history = call(config, "GET", "/customers/C-1003/consent").json()["history"]
    assert all(h["source"] == "crm_fixture" for h in history)


def test_the_read_token_reads_the_decision_log_and_nothing_else(
    config: StackConfig, service: Service
) -> None:
    read = config.outreach_read_token
    assert call(config, "GET", "/decisions", token=read).status_code == 200
    assert call(config, "GET", "/customers/C-1005/decisions", token=read).status_code == 200
    assert call(config, "GET", "/customers/C-1005/consent", token=read).status_code == 401
    write = call(config, "POST", "/customers/C-1005/opt-out", token=read, json=STOP)
    assert write.status_code == 401


def test_a_flood_is_limited_with_retry_after(config: StackConfig, service: Service) -> None:
    answers = [call(config, "GET", "/health", token=None) for _ in range(3)]
    assert all(a.status_code == 200 for a in answers)  # health is not limited
    statuses = [
        call(config, "GET", "/customers/C-1004/consent", token="guess").status_code
        for _ in range(45)
    ]
    assert statuses.count(429) >= 1 and set(statuses) <= {401, 429}
    limited = call(config, "GET", "/customers/C-1004/consent")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1


def test_the_service_refuses_to_start_without_a_token_or_with_a_bad_rules_file(
    tmp_path: Path,
) -> None:
    import subprocess
    import sys

    bad = tmp_path / "outreach.yml"
    bad.write_text("version: 1\n")
    env = {"OUTREACH_DATABASE_URL": f"sqlite:///{tmp_path / 'o.db'}", "PATH": ""}
    for extra, said in [
        ({}, "OUTREACH_API_TOKEN is not set"),
        ({"OUTREACH_API_TOKEN": "t" * 20, "OUTREACH_CONFIG": str(bad)}, "caps: field required"),
    ]:
        run = subprocess.run(
            [sys.executable, "-m", "outreach", "serve", "--port", "9"],
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=60,
            cwd=Path(__file__).resolve().parents[2],
        )
        assert run.returncode == 2 and said in run.stderr, run.stderr


def test_only_outreach_the_action_server_and_the_desk_hold_its_token() -> None:
    from stack.config import load_config
    from stack.processes import inherited

    config = load_config({"OUTREACH_API_TOKEN": "the-outreach-token-1234"})
    assert config.outreach_env()["OUTREACH_API_TOKEN"] == "the-outreach-token-1234"
    assert config.action_env()["OUTREACH_API_TOKEN"] == "the-outreach-token-1234"
    assert config.action_env()["OUTREACH_URL"] == "http://127.0.0.1:8400"
    assert config.desk_env()["OUTREACH_API_TOKEN"] == "the-outreach-token-1234"  # erasure
    for env in (config.rasa_env(), config.memory_env(), config.backend_env()):
        assert "OUTREACH_API_TOKEN" not in env
    # The desk reads the decision log with a token of its own that reads nothing else.
    assert config.desk_env()["OUTREACH_READ_TOKEN"] == config.outreach_env()["OUTREACH_READ_TOKEN"]
    assert "OUTREACH_READ_TOKEN" not in config.action_env()
    assert "OUTREACH_API_TOKEN" not in inherited({"OUTREACH_API_TOKEN": "from-the-shell"})
    assert config.outreach_env()["OUTREACH_DATABASE_URL"].endswith("var/outreach.db")
