"""End to end, issue 17's corpus test: the corpus's messages go through the running
stack with its real stores (verification answers over REST, the rest over REST and
WhatsApp, one conversation handed to the desk), then every table of every store
(tracker store, channels, event broker, analytics, memory, outreach, desk, the action
server's), the tracker store's journal and every log file are searched for each
message's raw values: none is found. The sample CRM (backend.db) is the enterprise's
record of its customers, not Switchboard's, and is left out. What the contact centre
must read back (record ids, amounts) is still in the stored conversation."""

import json
import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from stack.config import isolated_config
from tests.channels.twilio_fake import (
    TwilioApi,
    whatsapp_env,
)
from tests.governance.corpus import Message, corpus
from tests.support.channels import WhatsAppChat
from tests.support.crm import customer
from tests.support.stack import API_TOKEN, Conversation, Stack, running_stack

NOT_OURS = {"backend.db"}
TIMEOUT = 30
# Messages per conversation: under the channels' per-sender limits, and short enough
# that a conversation handed over early still stores the rest.
PER_REST_CONVERSATION = 10
PER_WHATSAPP_CONVERSATION = 12
# Asked for the answers that are no customer's: a reference that names no record is
# asked for a factor like any other (actions/verification.py).
UNKNOWN_ORDER = "where is my order BW-999999"
# Customers writing the WhatsApp share of the corpus from their own numbers.
WHATSAPP_CUSTOMERS = [f"C-10{n}" for n in range(40, 49)]


@pytest.fixture(scope="module")
def twilio_api() -> Iterator[TwilioApi]:
    with TwilioApi() as api:
        yield api


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, twilio_api: TwilioApi) -> Iterator[Stack]:
    config = isolated_config(
        tmp_path_factory.mktemp("pii"),
        {
            **whatsapp_env(twilio_api.url),
            "ANALYTICS_POLL_SECONDS": "0.2",
        },
        rasa_api_token=API_TOKEN,
    )
    with running_stack(config) as running:
        yield running


def wait_for(check: Any, what: str) -> Any:
    deadline = time.monotonic() + TIMEOUT
    while not (found := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {TIMEOUT} s: {what}")
        time.sleep(0.2)
    return found


def get(url: str, token: str, path: str) -> Any:
    response = requests.get(
        f"{url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert response.status_code == 200, response.text
    return response.json()


def chunks(messages: list[Message], size: int) -> list[list[Message]]:
    return [messages[i : i + size] for i in range(0, len(messages), size)]


def send_corpus(stack: Stack, twilio_api: TwilioApi) -> dict[str, int]:
    """Every message of the corpus through the stack; how many went which way."""
    answers = [m for m in corpus() if m.kind == "answer"]
    for message in answers:
        chat = Conversation(stack)
        assert "postcode" in chat.say(message.asks or UNKNOWN_ORDER)
        reply = chat.say(message.text)
        if message.asks:  # a customer's own answer: verified
            assert message.asks.rsplit(" ", 1)[-1] in reply, f"not verified by {message.text!r}"
    # Each message without personal data opens a conversation of its own, so that no
    # verification question asked before takes it for an answer.
    clean = [m for m in corpus() if m.kind == "clean"]
    for message in clean:
        Conversation(stack).send(message.text)
    rest = [m for m in corpus() if m not in answers and m not in clean]
    whatsapp, rest = rest[1::3], rest[0::3] + rest[2::3]
    for group in chunks(rest, PER_REST_CONVERSATION):
        chat = Conversation(stack)
        for message in group:
            chat.send(message.text)
    for number, group in zip(
        WHATSAPP_CUSTOMERS, chunks(whatsapp, PER_WHATSAPP_CONVERSATION), strict=False
    ):
        chat_on_whatsapp = WhatsAppChat(stack, twilio_api, customer(number)["whatsapp"])
        for message in group:
            chat_on_whatsapp.say(message.text)
    assert len(whatsapp) <= len(WHATSAPP_CUSTOMERS) * PER_WHATSAPP_CONVERSATION
    return {
        "answers": len(answers),
        "verified": len([m for m in answers if m.asks]),
        "clean": len(clean),
        "rest": len(rest),
        "whatsapp": len(whatsapp),
    }


def hand_over(stack: Stack) -> None:
    """A conversation full of personal data handed to the desk (its packet is stored)."""
    chat = Conversation(stack)
    for message in [m for m in corpus() if m.kind in ("card", "email", "phone")][:8]:
        chat.send(message.text)
    chat.say("I want to talk to a person")
    admin = stack.desk_admin()
    wait_for(
        lambda: [
            h for h in admin.get("/api/handoffs").json() if h["conversation_id"] == chat.sender
        ],
        "the hand-over",
    )


def settled(stack: Stack) -> None:
    """The memory has the verified conversations and analytics every event."""
    config = stack.config
    wait_for(
        lambda: get(config.memory_url, config.memory_api_token, "/customers/C-1001/conversations")[
            "conversation_ids"
        ],
        "the memory's timeline",
    )

    def caught_up() -> bool:
        status = get(config.analytics_url, config.analytics_api_token, "/status")
        return bool(status["last_event_id"] == status["broker_last_event_id"] > 0)

    wait_for(caught_up, "analytics folding every event")


def stored_text(stack: Stack) -> dict[str, str]:
    """Everything Switchboard keeps, by where: each table of each database, the
    tracker store's journal, each log file."""
    home = Path(stack.config.desk_database_url.removeprefix("sqlite:///")).parent
    found: dict[str, str] = {}
    for database in sorted(home.glob("*.db")):
        if database.name in NOT_OURS:
            continue
        with sqlite3.connect(database) as db:
            tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            for table in tables:
                rows = db.execute(f'SELECT * FROM "{table}"')
                found[f"{database.name}:{table}"] = "\n".join(
                    " ".join(str(value) for value in row) for row in rows
                )
    journal = Path(stack.config.tracker_store_journal)
    found["journal"] = journal.read_text() if journal.exists() else ""
    for log in sorted(Path(stack.config.log_dir).glob("**/*")):
        if log.is_file():
            found[f"log:{log.name}"] = log.read_text(errors="replace")
    return found


def customer_texts(stack: Stack) -> str:
    """What the customers said, as the tracker store keeps it (JSON decoded)."""
    home = Path(stack.config.desk_database_url.removeprefix("sqlite:///")).parent
    with sqlite3.connect(home / "tracker.db") as db:
        rows = db.execute("SELECT data FROM events WHERE type_name = 'user'")
        return "\n".join(str(json.loads(data).get("text")) for (data,) in rows)


def found(value: str, text: str) -> bool:
    """The value in the text as a whole (case-insensitive): "96337" inside a timestamp,
    as its fraction ("1796082134.96337"), or inside a hex id is no postcode."""
    pattern = rf"(?<![0-9a-z])(?<![0-9]\.){re.escape(value)}(?![0-9a-z])"
    return bool(re.search(pattern, text, re.IGNORECASE))


def test_no_raw_value_of_the_corpus_is_in_any_store(stack: Stack, twilio_api: TwilioApi) -> None:
    sent = send_corpus(stack, twilio_api)
    hand_over(stack)
    settled(stack)
    stores = stored_text(stack)
    assert "tracker.db:events" in stores and "desk.db:handoffs" in stores
    assert "events.db:events" in stores and "memory.db:conversations" in stores
    assert any(name.startswith("log:") for name in stores)
    searched = sum(len(m.raw) for m in corpus())
    survivors = [
        f"{name}: {value!r} (from {message.text!r})"
        for message in corpus()
        for value in message.raw
        for name, text in stores.items()
        if found(value, text)
    ]
    assert survivors == [], "\n".join(survivors)
    print(f"corpus: {len(corpus())} messages sent {sent}; raw values searched: {searched}")

    said = customer_texts(stack)
    lost = [v for m in corpus() if m.kind == "clean" for v in m.keep if v not in said]
    assert lost == []
    conversation = stores["tracker.db:events"]
    # The search finds what is there: the verdicts, and the answers' turns.
    assert conversation.count('"confirmed"') >= sent["verified"]
    assert conversation.count("[withheld]") >= sent["answers"]
    assert "[card number removed]" in stores["desk.db:handoffs"]
    # And it finds what is kept to serve the customer: where WhatsApp replies go.
    number = customer(WHATSAPP_CUSTOMERS[0])["whatsapp"]
    assert found(number, stores["channels.db:channel_recipients"])
