"""Attacks on the agent desk (issue #10 point 5, #20 points 3 and 6), against a real
desk process: who may sign in and how often, what a session is worth once it has
expired or ended, what each role may do, that every read and move is audited and
the audit cannot be rewritten, the page's headers, hostile customer text, the
OpenAPI document against real answers, and unlocking a customer through the action
server's lockout API (here a small HTTP server speaking contract C3; the test at
the end runs against the real action server once the branches are merged).

The desk's Rasa is not running here: nothing in this file needs a conversation.
"""

import importlib.util
import json
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from jsonschema import Draft202012Validator

from stack.config import isolated_config
from stack.desk_admin import first_desk_admin
from stack.launch import start_action_server, stop_all
from stack.launch import start_desk as start_desk_service
from tests.desk.support import (
    ADMIN,
    ADMIN_PASSWORD,
    ALWAYS_OPEN,
    admin,
    agent,
    agent_messages,
    integration,
    packet,
    start_desk,
)
from tests.support.services import Service, free_port
from tests.support.stack import INTEGRATION_SECRET, DeskClient, desk_password

IDENTITY_TOKEN = "test-identity-admin-token"
SETTINGS = (
    """
queue: {minutes_per_handoff: 6, agents_on_duty: 2}
rasa: {connect_timeout_seconds: 1, read_timeout_seconds: 2}
webhook: {max_attempts: 1, initial_backoff_seconds: 1, max_backoff_seconds: 1, timeout_seconds: 1}
accounts:
  session_hours: 12
  idle_minutes: 30
  min_password_length: 12
  failed_sign_ins_per_account: 3/minute
  failed_sign_ins_per_client: CLIENT_RATE
  requests_per_account: 600/minute
identity: {connect_timeout_seconds: 1, read_timeout_seconds: 1}
"""
    + ALWAYS_OPEN
    + agent_messages()
)


class LockoutServer:
    """The action server's lockout API as contract C3 describes it; `answer` chooses
    how it answers the next unlocks: "ok", "fail" (500) or "slow" (after 3 s)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answer = "ok"
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.requests.append(
                    {
                        "path": self.path,
                        "body": json.loads(body),
                        "authorization": self.headers.get("Authorization"),
                    }
                )
                if server.answer == "slow":
                    time.sleep(3)
                status = 500 if server.answer == "fail" else 200
                customer = self.path.split("/")[3]
                payload = json.dumps({"customer_id": customer, "locked": False}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def lockouts() -> Iterator[LockoutServer]:
    server = LockoutServer()
    yield server
    server.stop()


def _desk(
    name: str, home: Path, lockouts_url: str, client_rate: str = "100/minute", **settings: str
) -> Service:
    text = SETTINGS.replace("CLIENT_RATE", client_rate)
    for key, value in settings.items():
        text = text.replace(f"  {key}: ", f"  {key}: {value} #")
    (home / "settings.yml").write_text(text)
    return start_desk(
        name,
        home,
        f"http://127.0.0.1:{free_port()}",
        {
            "DESK_SETTINGS": str(home / "settings.yml"),
            "ACTION_SERVER_BASE_URL": lockouts_url,
            "IDENTITY_ADMIN_TOKEN": IDENTITY_TOKEN,
        },
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("security-desk")


@pytest.fixture(scope="module")
def desk(home: Path, lockouts: LockoutServer) -> Iterator[Service]:
    service = _desk("security-desk", home, lockouts.url)
    yield service
    service.stop()


def sign_in(desk: Service, username: str, password: str) -> requests.Response:
    return requests.post(
        f"{desk.url}/api/session", timeout=10, json={"username": username, "password": password}
    )


def audit(desk: Service, **filters: Any) -> list[dict[str, Any]]:
    response = admin(desk.url).get("/api/audit", params=filters)
    assert response.status_code == 200, response.text
    return response.json()


# ---- signing in


def test_a_wrong_password_or_name_is_a_clear_401_and_audited(desk: Service) -> None:
    agent(desk.url, "Wendy")
    for username, password in (("Wendy", "not her password"), ("Nobody", "whatever-at-all")):
        response = sign_in(desk, username, password)
        assert response.status_code == 401
        assert response.json() == {"detail": "wrong username or password"}
        assert "token" not in response.text and "set-cookie" not in response.headers
    failed = audit(desk, action="sign_in", outcome="refused", subject="Nobody")
    assert failed and failed[0]["actor"] == "anonymous"


def test_sign_in_gives_an_httponly_strict_cookie_and_a_bearer_token(desk: Service) -> None:
    agent(desk.url, "Carla")
    response = sign_in(desk, "carla", desk_password("Carla"))  # any case
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["username"], body["role"]) == ("Carla", "agent") and body["expires_at"]
    cookie = response.headers["set-cookie"]
    assert f"desk_session={body['token']}" in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    page = requests.Session()
    page.cookies.set("desk_session", body["token"])
    assert page.get(f"{desk.url}/api/session", timeout=10).json()["username"] == "Carla"
    bearer = DeskClient(desk.url, body["token"])
    assert bearer.get("/api/session").json() == {
        "username": "Carla",
        "role": "agent",
        "token": None,
        "expires_at": None,
    }


def test_failed_sign_ins_are_rate_limited_per_account(desk: Service) -> None:
    agent(desk.url, "Rita")
    for _ in range(3):
        assert sign_in(desk, "Rita", "guess-guess-guess").status_code == 401
    blocked = sign_in(desk, "RITA", desk_password("Rita"))  # even the right password
    assert blocked.status_code == 429
    assert "too many failed sign-ins for this account" in blocked.json()["detail"]
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    assert sign_in(desk, ADMIN, ADMIN_PASSWORD).status_code == 200  # others are not blocked


def test_guesses_sent_at_once_are_limited_like_guesses_in_a_row(desk: Service) -> None:
    """All checked before the first failure was counted, 20 parallel guesses used to
    get 20 password checks; now the limit holds (3 per account here)."""
    agent(desk.url, "Petra")
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(
            pool.map(lambda _: sign_in(desk, "Petra", "guess-guess-guess").status_code, range(20))
        )
    assert sorted(statuses) == [401] * 3 + [429] * 17


def test_failed_sign_ins_are_rate_limited_per_client(
    tmp_path: Path, lockouts: LockoutServer
) -> None:
    service = _desk("client-limit-desk", tmp_path, lockouts.url, client_rate="4/minute")
    try:
        for name in ("a1", "a2", "a3", "a4"):
            assert sign_in(service, name, "guess-guess-guess").status_code == 401
        blocked = sign_in(service, ADMIN, ADMIN_PASSWORD)
        assert blocked.status_code == 429 and "for this client" in blocked.json()["detail"]
        assert blocked.headers["Retry-After"]
    finally:
        service.stop()


def test_signing_out_ends_the_session(desk: Service) -> None:
    carol = agent(desk.url, "Carol")
    assert carol.get("/api/handoffs").status_code == 200
    assert carol.request("DELETE", "/api/session").status_code == 204
    response = carol.get("/api/handoffs")
    assert response.status_code == 401 and "sign in again" in response.json()["detail"]
    assert audit(desk, actor="Carol", action="sign_out")


def test_an_idle_session_expires(tmp_path: Path, lockouts: LockoutServer) -> None:
    service = _desk("idle-desk", tmp_path, lockouts.url, idle_minutes="0.05")  # 3 s
    try:
        dana = agent(service.url, "Dana")
        for _ in range(3):  # requests keep it alive past the idle time
            time.sleep(1)
            assert dana.get("/api/queue").status_code == 200
        time.sleep(4)
        response = dana.get("/api/queue")
        assert response.status_code == 401 and "expired" in response.json()["detail"]
    finally:
        service.stop()


def test_a_session_expires_however_busy(tmp_path: Path, lockouts: LockoutServer) -> None:
    service = _desk("expiring-desk", tmp_path, lockouts.url, session_hours="0.001")  # 3.6 s
    try:
        dana = agent(service.url, "Dana")
        deadline = time.time() + 10
        while dana.get("/api/queue").status_code == 200:
            assert time.time() < deadline, "the session outlived its expiry"
            time.sleep(0.5)
        assert dana.get("/api/queue").status_code == 401
    finally:
        service.stop()


def test_a_bad_settings_value_stops_the_desk_naming_it(
    tmp_path: Path, lockouts: LockoutServer
) -> None:
    with pytest.raises(RuntimeError, match=r"accounts\.failed_sign_ins_per_account"):
        _desk("bad-rate-desk", tmp_path, lockouts.url, failed_sign_ins_per_account="'often'")


# ---- roles and accounts


def test_only_admins_manage_accounts(desk: Service) -> None:
    for client in (agent(desk.url, "Dana"), agent(desk.url, "Sue", "supervisor")):
        listed = client.get("/api/accounts")
        assert listed.status_code == 403 and "admin role" in listed.json()["detail"]
        made = client.post("/api/accounts", json={"username": "mallory", "role": "admin"})
        assert made.status_code == 403
    assert integration(desk.url).get("/api/accounts").status_code == 401
    assert sign_in(desk, "mallory", "anything-at-all").status_code == 401


def test_an_admin_creates_an_account_with_a_generated_password(desk: Service) -> None:
    boss = admin(desk.url)
    response = boss.post("/api/accounts", json={"username": "Ingrid"})
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["role"], created["created_by"], created["active"]) == ("agent", ADMIN, True)
    assert sign_in(desk, "Ingrid", created["password"]).status_code == 200
    listed = {a["username"]: a for a in boss.get("/api/accounts").json()}
    assert listed["Ingrid"]["password"] is None  # shown once, never again
    assert boss.post("/api/accounts", json={"username": "INGRID"}).status_code == 409
    assert audit(desk, action="create_account", subject="Ingrid")[0]["actor"] == ADMIN


@pytest.mark.parametrize(
    "body, reason",
    [
        ({"username": "has space"}, "username"),
        ({"username": "x" * 65}, "username"),
        ({"username": "Short", "password": "short"}, "password"),
        ({"username": "Role", "role": "root"}, "role"),
        ({"username": "Extra", "is_admin": True}, "is_admin"),
    ],
)
def test_a_bad_account_is_refused_with_the_reason(
    desk: Service, body: dict[str, Any], reason: str
) -> None:
    response = admin(desk.url).post("/api/accounts", json=body)
    assert 400 <= response.status_code < 500 and reason in response.json()["detail"]


def test_disabling_an_account_ends_its_sessions(desk: Service) -> None:
    olaf = agent(desk.url, "Olaf")
    assert olaf.get("/api/queue").status_code == 200
    changed = admin(desk.url).request("PATCH", "/api/accounts/Olaf", json={"active": False})
    assert changed.status_code == 200 and changed.json()["active"] is False
    assert olaf.get("/api/queue").status_code == 401
    assert sign_in(desk, "Olaf", desk_password("Olaf")).status_code == 401
    assert audit(desk, action="change_account", subject="Olaf")[0]["detail"] == "disabled"


def test_the_last_admin_cannot_be_removed(desk: Service) -> None:
    response = admin(desk.url).request("PATCH", f"/api/accounts/{ADMIN}", json={"role": "agent"})
    assert response.status_code == 409 and "at least one active admin" in response.json()["detail"]
    assert sign_in(desk, ADMIN, ADMIN_PASSWORD).json()["role"] == "admin"


def test_a_forged_cookie_change_from_another_origin_is_refused(desk: Service) -> None:
    token = sign_in(desk, ADMIN, ADMIN_PASSWORD).json()["token"]
    response = requests.post(
        f"{desk.url}/api/accounts",
        json={"username": "evil"},
        cookies={"desk_session": token},
        timeout=10,
        headers={"Origin": "https://attacker.example"},
    )
    assert response.status_code == 403
    assert (
        admin(desk.url).request("PATCH", "/api/accounts/evil", json={"active": False}).status_code
        == 404
    )


def test_an_agent_cannot_read_the_audit_but_a_supervisor_can(desk: Service) -> None:
    refused = agent(desk.url, "Dana").get("/api/audit")
    assert refused.status_code == 403 and "supervisor role" in refused.json()["detail"]
    assert agent(desk.url, "Sue", "supervisor").get("/api/audit").status_code == 200


# ---- the audit log


def test_reads_are_audited_with_who_what_and_when(desk: Service) -> None:
    handoff = integration(desk.url).post("/api/handoffs", json=packet()).json()
    dana = agent(desk.url, "Dana")
    dana.get("/api/handoffs")
    dana.get(f"/api/handoffs/{handoff['id']}")
    [read] = audit(desk, actor="Dana", action="read_handoff", handoff_id=handoff["id"])
    assert read["role"] == "agent" and read["conversation_id"] and read["at"]
    assert audit(desk, actor="Dana", action="read_queue", limit=1)
    assert audit(desk, actor="integration", action="hand_over", handoff_id=handoff["id"])
    assert audit(desk, actor="Dana", action="sign_in")


def test_a_refused_move_is_audited(desk: Service) -> None:
    handoff = integration(desk.url).post("/api/handoffs", json=packet()).json()
    response = agent(desk.url, "Dana").move(handoff["id"], "reply", text="hi")
    assert response.status_code == 409
    [refused] = audit(desk, actor="Dana", action="reply", handoff_id=handoff["id"])
    assert refused["outcome"] == "refused" and "claim it first" in refused["detail"]


def test_the_audit_is_filtered_by_time(desk: Service) -> None:
    agent(desk.url, "Dana").get("/api/queue")
    assert audit(desk, since="2000-01-01T00:00:00")
    assert audit(desk, until="2000-01-01T00:00:00Z") == []
    bad = admin(desk.url).get("/api/audit", params={"since": "yesterday"})
    assert bad.status_code == 422 and "since" in bad.json()["detail"]


def test_the_audit_cannot_be_changed_or_deleted(desk: Service) -> None:
    boss = admin(desk.url)
    entry = audit(desk)[0]
    for method in ("PUT", "PATCH", "DELETE"):
        assert boss.request(method, "/api/audit").status_code == 405
        assert boss.request(method, f"/api/audit/{entry['id']}").status_code in (404, 405)
    assert audit(desk, limit=1000)[-1]["id"] <= entry["id"]


# ---- the page


def test_the_page_and_its_files_forbid_framing_and_inline_scripts(desk: Service) -> None:
    for path in ("/", "/static/desk.js", "/static/desk.css", "/api/queue"):
        headers = requests.get(f"{desk.url}{path}", timeout=10).headers
        policy = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
    page = requests.get(f"{desk.url}/", timeout=10).text
    assert "<script>" not in page and not re.search(r"\son[a-z]+=", page)  # no inline code
    assert requests.get(f"{desk.url}/docs", timeout=10).headers["X-Frame-Options"] == "DENY"


# ---- hostile customer text


HOSTILE = {
    "lone surrogate": "I want to talk to a human \ud800",
    "lone low surrogate": "\udfff help",
    "control characters": "bell\x07 escape\x1b[31m back\x08space \x85next",
    "NUL": "nul\x00byte",
    "10,000 emoji": "\U0001f600" * 10_000,
    "RTL override": "refund \u202eevil.exe\u202c please",
    "long text": "x" * 100_000,
}


def _with_text(text: str) -> dict[str, Any]:
    sent = packet()
    sent["stated_issue"]["customer_words"] = text
    sent["transcript"][0]["text"] = text
    sent["summary"] = text[:600]
    return sent


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_text_is_stored_listed_and_shown(desk: Service, name: str) -> None:
    text = HOSTILE[name]
    created = integration(desk.url).post("/api/handoffs", json=_with_text(text))
    assert created.status_code == 201, created.text
    dana = agent(desk.url, "Dana")
    listed = dana.get("/api/handoffs")
    assert listed.status_code == 200
    [mine] = [h for h in listed.json() if h["id"] == created.json()["id"]]
    stored = mine["packet"]["stated_issue"]["customer_words"]
    assert not any("\ud800" <= c <= "\udfff" or c in "\x00\x07\x08\x1b\x85" for c in stored)
    detail = dana.get(f"/api/handoffs/{mine['id']}")
    assert detail.status_code == 200
    assert detail.json()["packet"]["transcript"][0]["text"] == stored
    for status in ("waiting", "ticket", "claimed"):
        assert dana.get("/api/handoffs", params={"status": status}).status_code == 200
    if name in ("10,000 emoji", "RTL override", "long text"):
        assert stored == text  # valid text is kept as sent


def test_a_field_named_with_a_lone_surrogate_is_refused_with_a_reason(desk: Service) -> None:
    """The validation error names the field the client sent; UTF-8 cannot carry its
    lone surrogate, which made the answer a 500 (found by the fuzz bench)."""
    refused = integration(desk.url).post(
        "/api/handoffs/HO-1/enrichment",
        data=b'{"\\udfff0": false}',
        headers={"Content-Type": "application/json"},
    )
    assert refused.status_code == 422, refused.text
    assert "?0" in refused.json()["detail"]


def test_a_row_poisoned_before_the_fix_is_still_served(desk: Service, home: Path) -> None:
    """A packet stored by an older desk with a lone surrogate in it."""
    created = integration(desk.url).post("/api/handoffs", json=packet()).json()
    with sqlite3.connect(home / "security-desk.db") as connection:
        connection.execute(
            'UPDATE handoffs SET packet = replace(packet, \'"summary": "\', '
            '\'"summary": "\\ud800\') WHERE id = ?',
            (created["id"],),
        )
    listed = agent(desk.url, "Dana").get("/api/handoffs")
    assert listed.status_code == 200
    [row] = [h for h in listed.json() if h["id"] == created["id"]]
    assert row["packet"]["summary"].startswith("Customer did not")


# ---- the OpenAPI document tells the truth


def _validator(spec: dict[str, Any], template: str, method: str, status: int) -> Any | None:
    operation = spec["paths"][template][method.lower()]
    declared = operation["responses"].get(str(status))
    assert declared, f"{method} {template} answered {status}, which it does not declare"
    content = declared.get("content", {}).get("application/json")
    if content is None:
        return None
    return Draft202012Validator({**content["schema"], "components": spec["components"]})


def test_real_answers_match_the_openapi_document(desk: Service, lockouts: LockoutServer) -> None:
    spec = requests.get(f"{desk.url}/openapi.json", timeout=10).json()
    assert "HTTPValidationError" not in json.dumps(spec)
    boss, dana, robot = admin(desk.url), agent(desk.url, "Dana"), integration(desk.url)
    anonymous = DeskClient(desk.url)
    earlier = robot.post("/api/handoffs", json=packet())
    waiting = robot.post("/api/handoffs", json=packet())
    lockouts.answer = "ok"
    calls = [
        ("GET", "/health", robot.get("/health")),
        ("POST", "/api/handoffs", earlier),
        ("POST", "/api/handoffs", waiting),
        (
            "POST",
            "/api/handoffs",
            robot.post("/api/handoffs", json={**packet(), "packet_version": "9"}),
        ),
        ("POST", "/api/handoffs", anonymous.post("/api/handoffs", json=packet())),
        ("GET", "/api/queue", robot.get("/api/queue")),
        ("GET", "/api/queue", anonymous.get("/api/queue")),
        ("GET", "/api/handoffs", dana.get("/api/handoffs")),
        ("GET", "/api/handoffs", dana.get("/api/handoffs", params={"status": "lost"})),
        ("GET", "/api/handoffs", anonymous.get("/api/handoffs")),
        ("GET", "/api/handoffs/{handoff_id}", dana.get(f"/api/handoffs/{earlier.json()['id']}")),
        ("GET", "/api/handoffs/{handoff_id}", dana.get("/api/handoffs/nope")),
        ("POST", "/api/handoffs/{handoff_id}/claim", dana.move(waiting.json()["id"], "claim")),
        ("POST", "/api/handoffs/{handoff_id}/reply", dana.move(waiting.json()["id"], "reply")),
        (
            "POST",
            "/api/handoffs/{handoff_id}/rating",
            dana.move(waiting.json()["id"], "rating", had_what_i_needed=True),
        ),
        (
            "POST",
            "/api/session",
            anonymous.post("/api/session", json={"username": ADMIN, "password": ADMIN_PASSWORD}),
        ),
        (
            "POST",
            "/api/session",
            anonymous.post("/api/session", json={"username": "x", "password": "wrong"}),
        ),
        ("POST", "/api/session", anonymous.post("/api/session", json={"username": "x"})),
        ("GET", "/api/session", dana.get("/api/session")),
        ("GET", "/api/accounts", boss.get("/api/accounts")),
        ("GET", "/api/accounts", dana.get("/api/accounts")),
        ("POST", "/api/accounts", boss.post("/api/accounts", json={"username": "Gen"})),
        ("POST", "/api/accounts", boss.post("/api/accounts", json={"username": "Gen"})),
        ("POST", "/api/accounts", boss.post("/api/accounts", json={"username": "b d"})),
        (
            "PATCH",
            "/api/accounts/{username}",
            boss.request("PATCH", "/api/accounts/Gen", json={"role": "supervisor"}),
        ),
        (
            "PATCH",
            "/api/accounts/{username}",
            boss.request("PATCH", "/api/accounts/nobody", json={"active": True}),
        ),
        ("GET", "/api/audit", boss.get("/api/audit")),
        ("GET", "/api/audit", boss.get("/api/audit", params={"limit": 0})),
        ("GET", "/api/audit", dana.get("/api/audit")),
        ("POST", "/api/customers/{customer_id}/unlock", dana.post("/api/customers/C-1001/unlock")),
        ("POST", "/api/customers/{customer_id}/unlock", dana.post("/api/customers/%20x/unlock")),
    ]
    lockouts.answer = "fail"
    calls.append(
        ("POST", "/api/customers/{customer_id}/unlock", dana.post("/api/customers/C-1001/unlock"))
    )
    lockouts.answer = "ok"
    calls.append(
        ("DELETE", "/api/session", agent(desk.url, "Dana").request("DELETE", "/api/session"))
    )
    statuses = set()
    for method, template, response in calls:
        validator = _validator(spec, template, method, response.status_code)
        if validator is not None:
            problems = [error.message for error in validator.iter_errors(response.json())]
            assert not problems, (method, template, response.status_code, problems[:3])
        statuses.add(response.status_code)
    assert statuses >= {200, 201, 204, 401, 403, 404, 409, 422, 502, 503}


# ---- unlocking a customer (contract C3)


def test_an_agent_unlocks_a_customer_through_the_action_server(
    desk: Service, lockouts: LockoutServer
) -> None:
    lockouts.answer = "ok"
    lockouts.requests.clear()
    response = agent(desk.url, "Dana").post("/api/customers/C-1001/unlock")
    assert response.status_code == 200, response.text
    assert response.json() == {"customer_id": "C-1001", "locked": False}
    assert lockouts.requests == [
        {
            "path": "/identity/lockouts/C-1001/unlock",
            "body": {"by": "Dana"},
            "authorization": f"Bearer {IDENTITY_TOKEN}",
        }
    ]
    [entry] = audit(desk, action="unlock", subject="C-1001", actor="Dana", limit=1)
    assert entry["outcome"] == "ok"


@pytest.mark.parametrize(
    "answer, status, reason",
    [
        ("fail", 502, "answered the unlock with HTTP 500"),
        ("slow", 503, "did not answer the unlock in time"),
    ],
)
def test_a_failing_action_server_is_a_clear_5xx_and_audited(
    desk: Service, lockouts: LockoutServer, answer: str, status: int, reason: str
) -> None:
    lockouts.answer = answer
    try:
        response = agent(desk.url, "Dana").post("/api/customers/C-1002/unlock")
    finally:
        lockouts.answer = "ok"
    assert response.status_code == status and reason in response.json()["detail"]
    entry = audit(desk, action="unlock", subject="C-1002", limit=1)[0]
    assert entry["outcome"] == "failed" and reason in entry["detail"]


def test_an_unreachable_action_server_is_503(tmp_path: Path) -> None:
    service = _desk("no-actions-desk", tmp_path, f"http://127.0.0.1:{free_port()}")
    try:
        response = agent(service.url, "Dana").post("/api/customers/C-1001/unlock")
        assert response.status_code == 503 and "unreachable" in response.json()["detail"]
    finally:
        service.stop()


def test_unlocking_needs_a_signed_in_agent(desk: Service) -> None:
    assert integration(desk.url).post("/api/customers/C-1001/unlock").status_code == 401
    assert DeskClient(desk.url).post("/api/customers/C-1001/unlock").status_code == 401


# ---- after the merge: the real action server (contract C3)

LOCKOUT_API = importlib.util.find_spec("actions.lockout_api") is not None


@pytest.mark.skipif(
    not LOCKOUT_API,
    reason="LEAD: runs once sec-actions (the action server's lockout API, contract C3) is merged",
)
def test_an_agent_unlocks_a_locked_customer_on_the_real_action_server(tmp_path: Path) -> None:
    from actions.lockout import LockoutStore  # sec-actions

    config = isolated_config(tmp_path, {"SWITCHBOARD_INTEGRATION_SECRET": INTEGRATION_SECRET})
    services = []
    try:
        services.append(start_action_server(config))
        first_desk_admin(config)
        services.append(start_desk_service(config))
        merged: Any = config  # identity_admin_token, assistant_database_url: sec-actions
        LockoutStore(
            merged.assistant_database_url, max_failures=1, lock_seconds=600
        ).record_failure("C-1001")
        lockout = f"{config.action_url}/identity/lockouts/C-1001"
        admin_token = {"Authorization": f"Bearer {merged.identity_admin_token}"}
        assert requests.get(lockout, headers=admin_token, timeout=10).json()["locked"] is True
        dana = DeskClient.signed_in(
            config.desk_url, config.desk_admin_username, config.desk_admin_password
        ).account("Dana")
        response = dana.post("/api/customers/C-1001/unlock")
        assert response.status_code == 200, response.text
        assert response.json() == {"customer_id": "C-1001", "locked": False}
        assert requests.get(lockout, headers=admin_token, timeout=10).json()["locked"] is False
    finally:
        stop_all(services)
