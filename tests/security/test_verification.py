"""Attacks on identity verification, against the running stack over REST.

An attacker who knows an order number guesses knowledge factors across
conversations, restarts and sessions; the record locks, on every conversation,
and a right answer while locked reveals nothing. The lock's admin endpoints on the
action server refuse every credential but IDENTITY_ADMIN_TOKEN. Before
verification an unknown record id reads exactly like an existing one.
"""

import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from stack.config import isolated_config
from tests.support.crm import crm, customer
from tests.support.stack import (
    API_TOKEN,
    INTEGRATION_SECRET,
    Conversation,
    Stack,
    running_stack,
    vouched,
)

# The defaults a fresh clone runs with: 3 per conversation, 5 per record.
MAX_ATTEMPTS = 3
MAX_FAILURES = 5
ADMIN_RATE = 40  # per minute and client; test_the_admin_endpoints_are_rate_limited runs last
FACTOR_QUESTION = "postcode, the e-mail address or the date of birth"
LOCKED = "For your protection, this account is locked"
TIMEOUT = 30


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    config = isolated_config(
        tmp_path_factory.mktemp("security-verification"),
        {
            "SWITCHBOARD_INTEGRATION_SECRET": INTEGRATION_SECRET,
            "IDENTITY_ADMIN_RATE_LIMIT": f"{ADMIN_RATE}/minute",
        },
        rasa_api_token=API_TOKEN,
    )
    with running_stack(config) as running:
        yield running


# Customers whose records a test here has guessed at: each test takes fresh ones,
# since the failures it causes count against the record for the whole module.
TOUCHED: set[str] = set()


def untouched(collection: str) -> dict[str, Any]:
    """A record (the last one) of a customer no other test here has touched."""
    key = "id" if collection == "customers" else "customer_id"
    record = next(r for r in reversed(crm()[collection]) if r[key] not in TOUCHED)
    TOUCHED.add(record[key])
    return record


def victim() -> dict[str, Any]:
    """An order of an untouched customer, with its owner's record."""
    order = untouched("orders")
    return {"order": order, "owner": customer(order["customer_id"])}


def secrets_of(case: dict[str, Any]) -> list[str]:
    """What must not reach an unverified conversation about the order."""
    order = case["order"]
    return [
        value
        for value in (
            order.get("tracking_number"),
            order.get("delay_reason"),
            order.get("carrier"),
            order["status"].replace("_", " "),
        )
        if value
    ]


def admin(
    stack: Stack, method: str, customer_id: str, token: str | None = "admin", **kwargs: Any
) -> requests.Response:
    """A call to the action server's identity-lock endpoints."""
    path = f"/identity/lockouts/{customer_id}" + ("/unlock" if method == "POST" else "")
    headers = kwargs.pop("headers", {})
    if token == "admin":
        token = stack.config.identity_admin_token
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(
        method, f"{stack.config.action_url}{path}", headers=headers, timeout=TIMEOUT, **kwargs
    )


def ask(chat: Conversation, case: dict[str, Any]) -> str:
    return chat.say(f"where is my order {case['order']['id']}")


def revealed(reply: str, case: dict[str, Any]) -> list[str]:
    return [secret for secret in secrets_of(case) if secret in reply]


def guess_wrong(chat: Conversation, case: dict[str, Any], guesses: int) -> str:
    reply = ""
    assert FACTOR_QUESTION in ask(chat, case)
    for n in range(guesses):
        reply = chat.say(f"{10000 + n}")
        assert not revealed(reply, case)
    return reply


def test_brute_force_across_conversations_and_sessions_is_locked(stack: Stack) -> None:
    case = victim()
    owner = case["owner"]
    first = Conversation(stack)
    assert "couldn't confirm" in guess_wrong(first, case, MAX_ATTEMPTS)
    # A restart of the same conversation, then a new conversation: the count goes on.
    # (Typed commands are plain text on every channel; a greeting between these two
    # keeps two misunderstood messages in a row from handing the conversation over.)
    first.say("/restart")
    first.say("hello")
    first.say("/session_start")
    second = Conversation(stack)
    assert LOCKED in guess_wrong(second, case, MAX_FAILURES - MAX_ATTEMPTS)
    status = admin(stack, "GET", owner["id"]).json()
    assert status["locked"] is True and status["failures"] == MAX_FAILURES
    assert status["locked_until"]

    # The right answer while locked reveals nothing, on any conversation.
    for chat in (second, first, Conversation(stack)):
        ask(chat, case)
        reply = chat.say(owner["postcode"])
        assert not revealed(reply, case), reply
        assert "member of our team" in reply
    fresh = Conversation(stack)
    assert FACTOR_QUESTION in ask(fresh, case)
    reply = fresh.say(owner["email"])
    assert reply.startswith(LOCKED) and not revealed(reply, case)
    # Even a conversation a trusted integration vouches for is refused while locked.
    signed_in = vouched(stack, owner["id"])
    reply = ask(signed_in, case)
    assert LOCKED in reply and not revealed(reply, case)


def test_the_unlock_endpoint_takes_only_the_identity_admin_token(stack: Stack) -> None:
    case = victim()
    owner_id = case["owner"]["id"]
    guess_wrong(Conversation(stack), case, MAX_ATTEMPTS)
    guess_wrong(Conversation(stack), case, MAX_FAILURES - MAX_ATTEMPTS)
    assert admin(stack, "GET", owner_id).json()["locked"] is True
    body = {"by": "dana"}
    for token in (None, "wrong", stack.config.action_server_token, stack.config.rasa_api_token):
        refused = admin(stack, "POST", owner_id, token, json=body)
        assert refused.status_code == 401, refused.text
        assert "identity admin token" in refused.json()["error"]
        assert admin(stack, "GET", owner_id, token).status_code == 401
    assert admin(stack, "GET", owner_id).json()["locked"] is True
    # Nor does the admin token open the action server's own endpoint.
    as_admin = {"Authorization": f"Bearer {stack.config.identity_admin_token}"}
    webhook = requests.post(
        f"{stack.config.action_url}/webhook", json={}, headers=as_admin, timeout=TIMEOUT
    )
    assert webhook.status_code == 401

    unlocked = admin(stack, "POST", owner_id, json=body)
    assert unlocked.status_code == 200
    assert unlocked.json() == {"customer_id": owner_id, "locked": False}
    assert admin(stack, "GET", owner_id).json() == {
        "customer_id": owner_id,
        "locked": False,
        "failures": 0,
        "locked_until": None,
    }
    chat = Conversation(stack)
    ask(chat, case)
    assert case["order"]["id"] in chat.say(case["owner"]["postcode"])


@pytest.mark.parametrize(
    "customer_id,body,status,reason",
    [
        ("C-1001 ", {"by": "dana"}, 400, "customer number"),
        ("1001", {"by": "dana"}, 400, "customer number"),
        ("c-1001", {"by": "dana"}, 400, "customer number"),
        ("C-1001", {"by": ""}, 400, "username"),
        ("C-1001", {"by": "dana\nroot"}, 400, "username"),
        ("C-1001", {"by": "x" * 65}, 400, "username"),
        ("C-1001", {"who": "dana"}, 400, "username"),
        ("C-1001", ["dana"], 400, "username"),
        ("C-1001", b"{not json", 400, "JSON"),
        ("C-1001", b"\xff\xfe", 400, "JSON"),
        ("C-1001", {"by": "dana", "pad": "x" * 2000}, 413, "larger than"),
    ],
)
def test_bad_admin_requests_are_refused_with_a_reason(
    stack: Stack, customer_id: str, body: Any, status: int, reason: str
) -> None:
    kwargs: dict[str, Any] = {"data": body} if isinstance(body, bytes) else {"json": body}
    answer = admin(stack, "POST", requests.utils.quote(customer_id, safe=""), **kwargs)
    assert answer.status_code == status, answer.text
    assert reason in answer.json()["error"]


@pytest.mark.parametrize("framing", ["declared", "chunked"])
def test_a_huge_body_is_refused_before_it_is_read(stack: Stack, framing: str) -> None:
    """50 MB declared (or chunks without end): the answer comes after 2 KB were sent."""
    host, port = stack.config.host, stack.config.action_port
    length = "Content-Length: 50000000" if framing == "declared" else "Transfer-Encoding: chunked"
    head = (
        f"POST /identity/lockouts/C-1001/unlock HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {stack.config.identity_admin_token}\r\n"
        f"Content-Type: application/json\r\n{length}\r\n\r\n"
    ).encode()
    part = b"x" * 2048
    body = part if framing == "declared" else b"800\r\n" + part + b"\r\n"
    with socket.create_connection((host, port), timeout=TIMEOUT) as connection:
        connection.sendall(head + body)
        answer = connection.recv(65536).decode(errors="replace")
    assert answer.startswith("HTTP/1.1 413"), answer
    assert "larger than 1024 bytes" in answer


RECORD_QUESTIONS = [
    ("order", "where is my order {}", "BW-999999"),
    ("claim", "how is my claim {} going", "CLM-99999"),
    ("invoice", "why did the payment for {} fail", "INV-999999"),
]


@pytest.mark.parametrize("collection,question,unknown_id", RECORD_QUESTIONS)
def test_unknown_and_existing_ids_read_the_same_before_verification(
    stack: Stack, collection: str, question: str, unknown_id: str
) -> None:
    existing_id = untouched(collection + "s")["id"]
    unknown, existing = Conversation(stack), Conversation(stack)
    first = unknown.say(question.format(unknown_id))
    assert FACTOR_QUESTION in first
    assert first == existing.say(question.format(existing_id))
    for guess in ("10001", "nobody@example.com"):
        assert unknown.say(guess) == existing.say(guess)


def test_an_unknown_customer_number_reads_like_an_existing_one(stack: Stack) -> None:
    unknown, existing = Conversation(stack), Conversation(stack)
    for chat in (unknown, existing):
        assert "order number" in chat.say("I want to know where my parcel is")
    assert unknown.say("my customer number is C-9999") == existing.say(
        f"my customer number is {untouched('customers')['id']}"
    )
    assert unknown.say("10002") == existing.say("10002")


def test_an_unknown_record_locks_like_an_existing_one(stack: Stack) -> None:
    """Guessing at a record that does not exist ends in the same lock as guessing at
    one that does: the lock reveals nothing either (it did, once only real records
    locked)."""
    existing = victim()
    unknown = {"order": {**existing["order"], "id": "BW-999977"}, "owner": existing["owner"]}
    replies = []
    for case in (unknown, existing):
        first = Conversation(stack)
        guess_wrong(first, case, MAX_ATTEMPTS)
        replies.append(guess_wrong(Conversation(stack), case, MAX_FAILURES - MAX_ATTEMPTS))
    assert LOCKED in replies[1]
    assert replies[0] == replies[1]


def test_no_knowledge_factor_reaches_the_logs(stack: Stack) -> None:
    case = victim()
    chat = Conversation(stack)
    guess = f"guess.{uuid.uuid4().hex[:8]}@example.com"
    assert FACTOR_QUESTION in ask(chat, case)
    assert "attempts left" in chat.say(guess)
    assert case["order"]["id"] in chat.say(f"it's {case['owner']['email']}")
    logs = "".join(path.read_text(errors="replace") for path in stack.config.log_dir.glob("*.log"))
    for factor in (guess, case["owner"]["email"]):
        assert factor not in logs


def test_the_admin_endpoints_are_rate_limited(stack: Stack) -> None:
    answers = [admin(stack, "GET", "C-1001", "wrong") for _ in range(ADMIN_RATE + 1)]
    statuses = {a.status_code for a in answers}
    assert statuses == {401, 429}
    limited = answers[-1]
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    # The limit counts per client before the token: the right one waits as well.
    assert admin(stack, "GET", "C-1001").status_code == 429
