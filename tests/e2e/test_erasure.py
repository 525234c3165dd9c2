"""End to end: a customer who talked over REST and WhatsApp, was verified, handed over
and is in the memory's timeline and the consent ledger is erased by an admin of the
desk; each store's real database is then searched for anything of them (their id,
name, postcode, phone number, e-mail address, the order id they typed, their
conversations' ids) and the receipt's counts are checked against what was there.
With a service down the receipt says which part failed, and running it again
completes it. Then the attacks: no token, the wrong role, a bad id, a large body, and
the services' own erase routes without their tokens."""

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from desk.rasa_client import READ_SCOPE, desk_token
from stack.config import isolated_config
from stack.launch import start_analytics
from tests.channels.twilio_fake import (
    TwilioApi,
    whatsapp_env,
)
from tests.support.channels import WhatsAppChat
from tests.support.crm import customer
from tests.support.stack import API_TOKEN, Conversation, Stack, running_stack

ERASED = "C-1001"
OTHER = "C-1002"
ORDER = "BW-100002"
TIMEOUT = 20
# The enterprise's CRM (the sample backend) is not Switchboard's to erase.
NOT_OURS = {"backend.db"}


@pytest.fixture(scope="module")
def twilio_api() -> Iterator[TwilioApi]:
    with TwilioApi() as api:
        yield api


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, twilio_api: TwilioApi) -> Iterator[Stack]:
    config = isolated_config(
        tmp_path_factory.mktemp("erasure"),
        {
            **whatsapp_env(twilio_api.url),
            "ANALYTICS_POLL_SECONDS": "0.2",
            "MEMORY_TIMEOUT": "5",
        },
        rasa_api_token=API_TOKEN,
    )
    with running_stack(config) as running:
        yield running


def home(stack: Stack) -> Path:
    return Path(stack.config.desk_database_url.removeprefix("sqlite:///")).parent


def rows(path: Path, query: str, *args: Any) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return list(db.execute(query, args))


def count(path: Path, table: str, where: str, values: list[str]) -> int:
    marks = ",".join("?" for _ in values) or "''"
    return rows(path, f"SELECT count(*) FROM {table} WHERE {where} IN ({marks})", *values)[0][0]


def leftovers(stack: Stack, needles: list[str], pseudonyms: list[str]) -> list[str]:
    """Every row of every table of every store of Switchboard's holding a needle; the
    audit log (kept for accountability) may name the conversations' ids (pseudonyms),
    nothing else."""
    found = []
    for database in sorted(home(stack).glob("*.db")):
        if database.name in NOT_OURS:
            continue
        for (table,) in rows(database, "SELECT name FROM sqlite_master WHERE type = 'table'"):
            for row in rows(database, f'SELECT * FROM "{table}"'):
                text = " ".join(str(value) for value in row).casefold()
                allowed = pseudonyms if table == "audit_log" else []
                found += [
                    f"{database.name}:{table}: {needle}"
                    for needle in needles
                    if needle.casefold() in text and needle not in allowed
                ]
    journal = Path(stack.config.tracker_store_journal)
    if journal.exists():
        text = journal.read_text().casefold()
        found += [f"journal: {needle}" for needle in needles if needle.casefold() in text]
    return found


def wait_for(check: Any, what: str) -> Any:
    deadline = time.monotonic() + TIMEOUT
    while not (found := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {TIMEOUT} s: {what}")
        time.sleep(0.2)
    return found


def service(url: str, token: str, path: str) -> requests.Response:
    return requests.get(f"{url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=10)


def analytics_caught_up(stack: Stack) -> bool:
    config = stack.config
    status = service(config.analytics_url, config.analytics_api_token, "/status").json()
    return status["last_event_id"] == status["broker_last_event_id"] > 0


def talk(stack: Stack, twilio_api: TwilioApi) -> list[str]:
    """The customer's two conversations; their ids."""
    whatsapp = WhatsAppChat(stack, twilio_api, customer(ERASED)["whatsapp"])
    assert "postcode" in " ".join(whatsapp.say("where is my order?"))
    assert ORDER in " ".join(whatsapp.say(customer(ERASED)["email"]))
    chat = Conversation(stack)
    assert "postcode" in chat.say(f"where is my order {ORDER}")
    assert ORDER in chat.say(customer(ERASED)["postcode"])
    chat.say("I want to talk to a person")
    desk = stack.config.desk_url
    admin = stack.desk_admin()
    handoffs = wait_for(
        lambda: [
            h for h in admin.get("/api/handoffs").json() if h["conversation_id"] == chat.sender
        ],
        "the hand-over",
    )
    agent = stack.agent()
    assert agent.move(handoffs[0]["id"], "claim").status_code == 200
    assert agent.move(handoffs[0]["id"], "reply", text="Hello Noah").status_code == 200
    assert desk
    memory = stack.config
    wait_for(
        lambda: (
            len(
                service(
                    memory.memory_url, memory.memory_api_token, f"/customers/{ERASED}/conversations"
                ).json()["conversation_ids"]
            )
            >= 2
        ),
        "both conversations in the memory",
    )
    wait_for(lambda: analytics_caught_up(stack), "analytics folding every event")
    return [whatsapp.conversation, chat.sender]


def what_there_is(stack: Stack, conversations: list[str]) -> dict[str, dict[str, int]]:
    """The rows each part should report, counted in the real databases."""
    at = home(stack)
    return {
        "rasa": {
            "tracker_events": count(at / "tracker.db", "events", "sender_id", conversations),
            "channel_recipients": count(
                at / "channels.db", "channel_recipients", "conversation", conversations
            ),
        },
        "analytics": {
            "broker_events": count(at / "events.db", "events", "sender_id", conversations),
            "sessions": count(at / "analytics.db", "sessions", "sender_id", conversations),
        },
        "outreach": {
            table: count(at / "outreach.db", table, "customer_id", [ERASED])
            for table in (
                "consent_changes",
                "outreach_decisions",
                "planned_sends",
                "condition_keys",
            )
        },
        "memory": {
            table: count(at / "memory.db", table, "customer_id", [ERASED])
            for table in ("identity_links", "conversations", "events", "paused_journeys")
        },
        "desk": {"handoffs": count(at / "desk.db", "handoffs", "conversation_id", conversations)},
        "action_server": {
            table: count(at / "assistant.db", table, "customer_id", [ERASED])
            for table in ("identity_lockouts", "identity_unlocks")
        },
    }


def needles(conversations: list[str]) -> list[str]:
    person = customer(ERASED)
    return [
        ERASED,
        person["first_name"],
        person["last_name"],
        person["postcode"],
        person["email"],
        person["whatsapp"],
        person["whatsapp"].removeprefix("+"),
        ORDER,
        *conversations,
    ]


def test_an_erased_customer_is_nowhere_and_the_receipt_says_so(
    stack: Stack, twilio_api: TwilioApi
) -> None:
    conversations = talk(stack, twilio_api)
    before = what_there_is(stack, conversations)
    assert all(before["rasa"].values()) and before["analytics"]["sessions"]
    assert before["outreach"]["consent_changes"] and before["desk"]["handoffs"] == 1
    assert before["memory"]["identity_links"] and before["memory"]["conversations"]
    # The search finds them while they are there.
    assert len(leftovers(stack, needles(conversations), [])) > 20
    other_consent = count(home(stack) / "outreach.db", "consent_changes", "customer_id", [OTHER])

    # Analytics is down: its part fails, the parts keyed by conversation wait for it.
    assert stack.analytics
    stack.analytics.stop()
    try:
        partial = stack.desk_admin().post(f"/admin/customers/{ERASED}/erase")
    finally:
        stack.analytics = start_analytics(stack.config)
    assert partial.status_code == 207, partial.text
    parts = partial.json()["parts"]
    assert parts["analytics"]["status"] == "failed" and parts["analytics"]["error"]
    assert parts["rasa"]["status"] == "done" and parts["outreach"]["status"] == "done"
    assert parts["memory"]["status"] == parts["desk"]["status"] == "deferred"
    assert partial.json()["complete"] is False
    assert parts["rasa"]["removed"]["tracker_events"] == before["rasa"]["tracker_events"]
    assert parts["outreach"]["removed"] == before["outreach"]
    # The WhatsApp conversation was still in its session: the customer is told it ended.
    told = " ".join(twilio_api.take(f"whatsapp:{customer(ERASED)['whatsapp']}"))
    assert "your personal details have been erased" in told

    # Run again: what was done is 0 now, the rest is done.
    again = stack.desk_admin().post(f"/admin/customers/{ERASED}/erase")
    assert again.status_code == 200, again.text
    receipt = again.json()
    assert receipt["complete"] is True and receipt["conversations"] == 2
    done = receipt["parts"]
    assert done["rasa"]["removed"]["tracker_events"] == 0
    assert twilio_api.take(f"whatsapp:{customer(ERASED)['whatsapp']}") == []  # told once
    assert done["analytics"]["removed"]["broker_events"] == before["analytics"]["broker_events"]
    assert done["analytics"]["anonymised"]["sessions"] == before["analytics"]["sessions"]
    assert done["memory"]["removed"] == before["memory"]
    assert done["desk"]["removed"] == before["desk"]
    assert parts["action_server"]["removed"] == before["action_server"]

    found = leftovers(stack, needles(conversations), conversations)
    assert found == [], found
    # Analytics keeps the sessions' figures, under other ids.
    sessions = rows(home(stack) / "analytics.db", "SELECT count(*) FROM sessions")[0][0]
    assert sessions >= before["analytics"]["sessions"]
    # Nobody else's data went with them.
    assert count(home(stack) / "outreach.db", "consent_changes", "customer_id", [OTHER]) == (
        other_consent
    )

    # The receipt is kept, names nobody, and matches its hash.
    shown = stack.desk_admin().get(f"/admin/erasures/{receipt['erasure_id']}")
    assert shown.status_code == 200
    assert shown.json() == {**receipt, "hash_matches": True}
    entry = stack.desk_admin().get("/api/audit", params={"action": "erase_customer"}).json()
    assert [e["subject"] for e in entry][:2] == [
        receipt["erasure_id"],
        partial.json()["erasure_id"],
    ]
    assert [e["outcome"] for e in entry][:2] == ["ok", "failed"]


def test_only_an_admin_erases(stack: Stack) -> None:
    path = f"/admin/customers/{OTHER}/erase"
    anonymous = requests.post(f"{stack.config.desk_url}{path}", timeout=10)
    assert anonymous.status_code == 401
    for role in ("agent", "supervisor"):
        refused = stack.agent(f"erase-{role}", role).post(path)
        assert refused.status_code == 403, refused.text
        assert "admin" in refused.json()["detail"]
    integration = requests.post(
        f"{stack.config.desk_url}{path}",
        headers={"Authorization": f"Bearer {stack.config.desk_integration_token}"},
        timeout=10,
    )
    assert integration.status_code == 401
    assert count(home(stack) / "outreach.db", "consent_changes", "customer_id", [OTHER])


def test_a_bad_id_or_a_large_body_is_refused(stack: Stack) -> None:
    admin = stack.desk_admin()
    for bad in ("C-1", "1001", "C-1001;DROP", "..%2F..%2Fhealth", "C-" + "1" * 20):
        answer = admin.post(f"/admin/customers/{bad}/erase")
        assert answer.status_code in (404, 422), (bad, answer.status_code)
        assert "detail" in answer.json()
    large = admin.post(f"/admin/customers/{OTHER}/erase", data=b"x" * (2 * 1024 * 1024))
    assert large.status_code == 413
    assert admin.get("/admin/erasures/" + "0" * 32).status_code == 404
    assert admin.get("/admin/erasures/not-an-id").status_code == 422
    assert count(home(stack) / "outreach.db", "consent_changes", "customer_id", [OTHER])


def test_each_services_erase_route_needs_its_token(stack: Stack) -> None:
    config = stack.config
    for url, path in (
        (config.memory_url, f"/customers/{OTHER}/erase"),
        (config.outreach_url, f"/customers/{OTHER}/erase"),
        (config.analytics_url, "/conversations/anything/erase"),
        (config.analytics_url, f"/customers/{OTHER}/erase"),
    ):
        assert requests.post(f"{url}{path}", timeout=10).status_code == 401
        wrong = {"Authorization": f"Bearer {config.desk_integration_token}"}
        assert requests.post(f"{url}{path}", headers=wrong, timeout=10).status_code == 401
    rasa = f"{config.rasa_internal_url}/internal/conversations/some-conversation"
    assert requests.delete(rasa, timeout=10).status_code == 401
    reading = desk_token(config.desk_rasa_secret, READ_SCOPE, "some-conversation")
    scoped = requests.delete(rasa, headers={"Authorization": f"Bearer {reading}"}, timeout=10)
    assert scoped.status_code == 403  # a read token does not erase
    other = desk_token(config.desk_rasa_secret, "conversation:erase", "another-conversation")
    mismatched = requests.delete(rasa, headers={"Authorization": f"Bearer {other}"}, timeout=10)
    assert mismatched.status_code == 403
    public = requests.delete(
        f"{config.rasa_url}/internal/conversations/some-conversation", timeout=10
    )
    assert public.status_code == 404  # never on the public listener
    assert count(home(stack) / "outreach.db", "consent_changes", "customer_id", [OTHER])
