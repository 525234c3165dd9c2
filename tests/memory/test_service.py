"""The memory service over HTTP, started as `make run` starts it: its API behind
the token, the signed events API attacked with bad input, and what survives a
restart."""

import asyncio
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from actions import memory_client
from actions.settings import settings
from stack.config import StackConfig, isolated_config
from stack.launch import memory
from tests.memory.support import (
    EVENT_SECRETS,
    SECRET,
    MemoryApi,
    payment_failed,
    post_event,
)


def start(home: Path, **env: str) -> tuple:
    config = isolated_config(home, {"MEMORY_EVENT_SECRETS": EVENT_SECRETS, **env})
    return config, memory(config).start()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    config, running = start(tmp_path_factory.mktemp("memory"))
    yield config, running
    running.stop()


@pytest.fixture
def config(service: tuple) -> StackConfig:
    return service[0]


@pytest.fixture
def api(config: StackConfig) -> MemoryApi:
    return MemoryApi(config.memory_url, config.memory_api_token)


def conversation(
    customer_id: str,
    conversation_id: str,
    channel: str,
    started: float,
    outcomes: list,
    **extra: object,
) -> dict:
    return {
        "conversation_id": conversation_id,
        "customer_id": customer_id,
        "channel": channel,
        "started_at": started,
        "last_at": started + 60,
        "outcomes": outcomes,
        **extra,
    }


def outcome(goal: str, result: str, record: str | None = None) -> dict:
    return {
        "action": "action_answer_request",
        "goal": goal,
        "result": result,
        "record": record,
        "detail": {},
        "at": time.time(),
    }


def test_every_call_but_health_and_events_needs_the_token(config: StackConfig) -> None:
    assert requests.get(f"{config.memory_url}/health", timeout=5).status_code == 200
    for token in (None, "wrong", config.action_server_token):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        answer = requests.get(f"{config.memory_url}/customers/C-1001", headers=headers, timeout=5)
        assert answer.status_code == 401 and "token" in answer.json()["detail"]


def test_links_are_kept_once_with_how_and_when(api: MemoryApi) -> None:
    link = {
        "channel": "twilio",
        "identity": f"whatsapp-{uuid.uuid4().hex}",
        "confirmed_by": "knowledge_factor",
    }
    first = api.put("/customers/C-1002/links", link)
    again = api.put("/customers/C-1002/links", {**link, "confirmed_by": "channel_signature"})
    assert first.status_code == again.status_code == 200
    assert again.json()["confirmed_by"] == "knowledge_factor"  # as first confirmed
    assert again.json()["confirmed_at"] == first.json()["confirmed_at"]
    links = api.get("/customers/C-1002").json()["links"]
    assert [item["identity"] for item in links].count(link["identity"]) == 1
    bad = api.put("/customers/C-1002/links", {**link, "confirmed_by": "the customer said so"})
    assert bad.status_code == 422
    assert api.put("/customers/nobody/links", link).status_code == 400


def test_a_conversation_is_summarised_from_its_outcomes_and_recalled_elsewhere(
    api: MemoryApi,
) -> None:
    customer, webchat = "C-1003", f"webchat-{uuid.uuid4().hex}"
    started = time.time() - 3600
    saved = api.put(
        "/conversations",
        conversation(
            customer,
            webchat,
            "socketio",
            started,
            [
                outcome("verify_identity", "verified"),
                outcome("check_order_status", "answered", "BW-100005"),
            ],
        ),
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["outcome"] == "resolved"
    assert saved.json()["summary"] == "check order status BW-100005: answered"
    # The same session again (a later turn) updates the row, never adds one.
    api.put(
        "/conversations",
        conversation(
            customer,
            webchat,
            "socketio",
            started,
            [
                outcome("check_order_status", "answered", "BW-100005"),
                outcome("check_invoice_status", "handed_over", "INV-900010"),
            ],
            handed_over=True,
        ),
    )
    timeline = api.get(f"/customers/{customer}").json()["timeline"]
    mine = [item for item in timeline if item.get("conversation_id") == webchat]
    assert len(mine) == 1 and mine[0]["outcome"] == "handed_over"
    assert mine[0]["records"] == ["BW-100005", "INV-900010"]
    recalled = api.get(f"/customers/{customer}/recall", conversation_id="whatsapp-other").json()
    assert recalled["last_contact"]["conversation_id"] == webchat
    assert (
        api.get(f"/customers/{customer}/recall", conversation_id=webchat).json()["last_contact"]
        is None
    )


def test_a_write_overtaken_by_a_newer_one_changes_nothing(api: MemoryApi) -> None:
    customer, webchat = "C-1004", f"webchat-{uuid.uuid4().hex}"
    started = time.time() - 600
    newer = conversation(
        customer,
        webchat,
        "socketio",
        started,
        [outcome("check_order_status", "answered", "BW-100006")],
    )
    assert api.put("/conversations", newer).status_code == 200
    older = {**conversation(customer, webchat, "socketio", started, []), "last_at": started + 30}
    assert api.put("/conversations", older).status_code == 200
    [mine] = [
        item
        for item in api.get(f"/customers/{customer}").json()["timeline"]
        if item.get("conversation_id") == webchat
    ]
    assert mine["records"] == ["BW-100006"] and mine["ended_at"] == started + 60


def test_the_action_servers_writes_of_one_conversation_arrive_in_order(
    config: StackConfig, api: MemoryApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many quick turns at the same moment (the overtaken-write check cannot tell them
    apart): one write in flight at a time, so the last one always stands."""
    monkeypatch.setenv("MEMORY_URL", config.memory_url)
    monkeypatch.setenv("MEMORY_API_TOKEN", config.memory_api_token)
    settings.cache_clear()
    memory_client.client.cache_clear()
    customer, webchat = "C-1005", f"webchat-{uuid.uuid4().hex}"
    started = time.time() - 600

    async def turns() -> None:
        for turn in range(30):
            body = conversation(
                customer,
                webchat,
                "socketio",
                started,
                [outcome("check_order_status", "answered", f"BW-1000{10 + turn}")],
            )
            memory_client.newest(webchat, "test", "conversation", body)
            await asyncio.sleep(0)
        while memory_client._background:
            await asyncio.gather(*list(memory_client._background))

    try:
        asyncio.run(turns())
    finally:
        settings.cache_clear()
        memory_client.client.cache_clear()
    [mine] = [
        item
        for item in api.get(f"/customers/{customer}").json()["timeline"]
        if item.get("conversation_id") == webchat
    ]
    assert mine["records"] == ["BW-100039"]


def test_the_fixture_events_are_ingested_at_start(api: MemoryApi) -> None:
    events = api.events_of("C-1015")
    assert [(e["type"], e["record"], e["source"]) for e in events] == [
        ("payment_failed", "INV-900043", "fixture")
    ]


def test_a_signed_event_is_stored_once_and_recalled_until_mentioned(
    config: StackConfig, api: MemoryApi
) -> None:
    event, key = payment_failed("C-1021", "INV-900055"), uuid.uuid4().hex
    first = post_event(config.memory_url, event, key)
    assert first.status_code == 201, first.text
    again = post_event(config.memory_url, event, key)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    stored = [e for e in api.events_of("C-1021") if e["source"] == "billing"]
    assert len(stored) == 1
    other = post_event(config.memory_url, payment_failed("C-1021", "INV-900056"), key)
    assert other.status_code == 409
    recalled = api.get("/customers/C-1021/recall", conversation_id="x").json()
    assert first.json()["id"] in [e["id"] for e in recalled["open_events"]]
    marked = api.post(
        "/customers/C-1021/mentioned", {"conversation_id": "x", "event_ids": [first.json()["id"]]}
    )
    assert marked.json() == {"marked": 1}
    recalled = api.get("/customers/C-1021/recall", conversation_id="x").json()
    assert first.json()["id"] not in [e["id"] for e in recalled["open_events"]]


def test_a_sentiment_shift_is_a_timeline_event_stored_once_and_never_recalled(
    config: StackConfig, api: MemoryApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sent as the action server sends it (every action of the turn finds it again)."""
    monkeypatch.setenv("MEMORY_URL", config.memory_url)
    monkeypatch.setenv("MEMORY_API_TOKEN", config.memory_api_token)
    settings.cache_clear()
    memory_client.client.cache_clear()
    said_at = time.time() - 5
    shift = {
        "customer_id": "C-1022",
        "conversation_id": f"webchat-{uuid.uuid4().hex}",
        "from": "neutral",
        "to": "negative",
        "at": said_at,
    }

    async def twice() -> list:
        return [await memory_client.ask("test", "sentiment_shift", shift) for _ in range(2)]

    try:
        first, again = asyncio.run(twice())
    finally:
        settings.cache_clear()
        memory_client.client.cache_clear()
    assert first and again and again["id"] == first["id"]
    [stored] = api.events_of("C-1022")
    assert stored["type"] == "sentiment_shift" and stored["record"] is None
    assert stored["source"] == "switchboard:conversations"
    # From, to and which conversation: nothing the customer wrote.
    assert {k: v for k, v in stored["data"].items() if k != "at"} == {
        "type": "sentiment_shift",
        "customer_id": "C-1022",
        "conversation_id": shift["conversation_id"],
        "from": "neutral",
        "to": "negative",
    }
    # A later shift of the same conversation is another event.
    later = {**shift, "at": said_at + 1, "from": None}
    url = "/customers/C-1022/sentiment"
    assert api.post(url, {k: v for k, v in later.items() if k != "customer_id"}).status_code == 201
    assert len(api.events_of("C-1022")) == 2
    # Not a business event: no next contact brings it up.
    recalled = api.get("/customers/C-1022/recall", conversation_id="x").json()
    assert recalled["open_events"] == []


BAD_SHIFTS = [
    ({"from": "negative"}, 422, "not a shift"),
    ({"to": "furious"}, 422, "to"),
    ({"text": "I am so angry with you"}, 422, "text"),
    ({"at": -1}, 422, "at"),
    ({"at": 1e12}, 422, "at"),
    ({"conversation_id": ""}, 422, "conversation_id"),
]


@pytest.mark.parametrize("change,status,reason", BAD_SHIFTS)
def test_a_bad_sentiment_shift_is_refused_with_the_reason_and_nothing_stored(
    config: StackConfig, api: MemoryApi, change: dict, status: int, reason: str
) -> None:
    body = {"conversation_id": "webchat-9", "from": None, "to": "negative", "at": time.time()}
    answer = api.post("/customers/C-1023/sentiment", {**body, **change})
    assert answer.status_code == status and reason in answer.json()["detail"], answer.text
    assert api.events_of("C-1023") == []


def test_a_sentiment_shift_needs_the_token_and_a_customer_id(
    config: StackConfig, api: MemoryApi
) -> None:
    body = {"conversation_id": "webchat-9", "to": "negative", "at": time.time()}
    unsigned = requests.post(
        f"{config.memory_url}/customers/C-1023/sentiment", json=body, timeout=5
    )
    assert unsigned.status_code == 401
    assert api.post("/customers/nobody/sentiment", body).status_code == 400


BAD_EVENTS = [
    (payment_failed(invoice_id="BW-100002"), 422, "invoice_id"),
    ({**payment_failed(), "note": "extra"}, 422, "note"),
    ({**payment_failed(), "type": "refund_issued"}, 422, "type"),
    ({"type": "page_viewed", "customer_id": "C-1001", "at": "2026-11-30"}, 422, "page"),
    ({k: v for k, v in payment_failed().items() if k != "customer_id"}, 422, "customer_id"),
    ([payment_failed()], 422, "object"),
    # Only the assistant records what it saw in a conversation, never a source.
    (
        {
            "type": "sentiment_shift",
            "customer_id": "C-1015",
            "at": "2026-11-30",
            "conversation_id": "x",
            "to": "negative",
        },
        422,
        "type",
    ),
]


@pytest.mark.parametrize("event,status,reason", BAD_EVENTS)
def test_a_malformed_event_is_refused_with_the_reason_and_nothing_stored(
    config: StackConfig, api: MemoryApi, event: object, status: int, reason: str
) -> None:
    before = len(api.events_of("C-1015"))
    answer = post_event(config.memory_url, event)
    assert answer.status_code == status and reason in answer.json()["detail"], answer.text
    assert len(api.events_of("C-1015")) == before


def test_unsigned_forged_replayed_or_oversized_events_are_refused(
    config: StackConfig, api: MemoryApi
) -> None:
    url, event = config.memory_url, payment_failed("C-1043", "INV-900115")
    before = len(api.events_of("C-1043"))
    unsigned = requests.post(
        f"{url}/events", json=event, timeout=5, headers={"Idempotency-Key": "k1"}
    )
    assert unsigned.status_code == 401
    assert post_event(url, event, secret="x" * 40).status_code == 403
    assert post_event(url, event, source="crm").status_code == 403
    stale = post_event(url, event, timestamp=int(time.time()) - 3600)
    assert stale.status_code == 403 and "replayed" in stale.json()["detail"]
    assert post_event(url, event, timestamp=int(time.time()) + 3600).status_code == 403
    assert post_event(url, event, key="not a key!").status_code == 400
    assert post_event(url, None, body=b"{not json").status_code == 400
    assert post_event(url, None, body=b"[" * 5000 + b"]" * 5000).status_code in (400, 422)
    huge = post_event(url, None, body=b"{" + b" " * 70_000 + b"}")
    assert huge.status_code == 413
    assert len(api.events_of("C-1043")) == before
    signed_elsewhere = post_event(url, event)
    assert signed_elsewhere.status_code == 201  # the same event, properly signed, is taken
    assert SECRET not in signed_elsewhere.text


def test_requests_over_the_rate_are_refused_with_retry_after(tmp_path: Path) -> None:
    config, running = start(tmp_path, MEMORY_RATE_LIMIT="5/minute")
    try:
        api = MemoryApi(config.memory_url, config.memory_api_token)
        answers = [api.get("/customers/C-1001").status_code for _ in range(7)]
        assert answers[:5] == [200] * 5 and answers[5:] == [429, 429]
        refused = api.get("/customers/C-1001")
        assert int(refused.headers["Retry-After"]) >= 1
        assert post_event(config.memory_url, payment_failed()).status_code == 429
    finally:
        running.stop()


def test_memory_survives_a_restart_and_ingests_the_fixture_once(tmp_path: Path) -> None:
    config, running = start(tmp_path)
    api = MemoryApi(config.memory_url, config.memory_api_token)
    key, event = uuid.uuid4().hex, payment_failed("C-1047", "INV-900127")
    assert post_event(config.memory_url, event, key).status_code == 201
    running.stop()
    running = memory(config).start()
    try:
        assert post_event(config.memory_url, event, key).status_code == 200
        events = api.events_of("C-1047")
        assert sorted(e["source"] for e in events) == ["billing", "fixture"]
    finally:
        running.stop()


def test_a_bad_setting_stops_the_start_naming_it(tmp_path: Path) -> None:
    config = isolated_config(tmp_path, {"MEMORY_EVENT_SECRETS": "billing=short"})
    with pytest.raises(RuntimeError, match="MEMORY_EVENT_SECRETS"):
        memory(config).start()


def test_the_readme_openssl_signature_is_accepted(config: StackConfig) -> None:
    """The README's example, signed by openssl as a source's shell script would."""
    body = (
        '{"type": "payment_failed", "customer_id": "C-1048", "invoice_id": "INV-900130",\n'
        '       "at": "2026-11-30T09:12:00Z", "detail": "card expired"}'
    )
    stamp = str(int(time.time()))
    digest = (
        subprocess.run(
            ["openssl", "dgst", "-sha256", "-hmac", SECRET],
            input=f"{stamp}.{body}".encode(),
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .rsplit("= ", 1)[1]
        .strip()
    )
    answer = requests.post(
        f"{config.memory_url}/events",
        data=body.encode(),
        timeout=5,
        headers={
            "Content-Type": "application/json",
            "X-Switchboard-Source": "billing",
            "X-Switchboard-Timestamp": stamp,
            "X-Switchboard-Signature": f"sha256={digest}",
            "Idempotency-Key": "pay-INV-900130-1",
        },
    )
    assert answer.status_code == 201, answer.text


def test_the_event_feed_pages_business_events_after_a_cursor(
    config: StackConfig, api: MemoryApi
) -> None:
    """Outreach's read: every business event once, oldest first, behind the token;
    never a sentiment shift; a bad cursor or limit refused with the reason."""
    assert requests.get(f"{config.memory_url}/events", timeout=10).status_code == 401
    start = api.get("/events", after=0, limit=500).json()
    cursor = start["next"]
    while page := api.get("/events", after=cursor, limit=500).json()["events"]:
        cursor = page[-1]["id"]
    stored = post_event(config.memory_url, payment_failed("C-1020", "INV-900055")).json()
    api.post(
        "/customers/C-1020/sentiment",
        {"conversation_id": "feed-1", "to": "negative", "at": time.time()},
    )
    fresh = api.get("/events", after=cursor).json()
    assert [e["id"] for e in fresh["events"]] == [stored["id"]]
    assert fresh["next"] == stored["id"]
    assert api.get("/events", after=stored["id"]).json() == {
        "events": [],
        "next": stored["id"],
    }
    for bad in ({"after": -1}, {"limit": 0}, {"limit": 501}, {"after": "x"}):
        refused = api.get("/events", **bad)
        assert refused.status_code == 422 and "detail" in refused.json(), bad


def test_an_erased_customer_is_forgotten_and_nobody_else(api: MemoryApi) -> None:
    """Erasure (issue 17): links, timeline and events of one customer, and the
    conversation ids the other stores must erase; 0 the second time."""
    erased, kept = "C-1040", "C-1041"
    chat, other = f"webchat-{uuid.uuid4().hex}", f"webchat-{uuid.uuid4().hex}"
    for customer, conversation_id in ((erased, chat), (kept, other)):
        link = {
            "channel": "socketio",
            "identity": conversation_id,
            "confirmed_by": "knowledge_factor",
        }
        assert api.put(f"/customers/{customer}/links", link).status_code == 200
        record = conversation(
            customer, conversation_id, "socketio", time.time() - 60, [outcome("order", "answered")]
        )
        assert api.put("/conversations", record).status_code == 200
    assert api.get(f"/customers/{erased}/conversations").json()["conversation_ids"] == [chat]
    events = len(api.events_of(erased))  # the fixture's, if any
    first = api.post(f"/customers/{erased}/erase", None)
    assert first.status_code == 200
    assert first.json()["removed"] == {
        "identity_links": 1,
        "conversations": 1,
        "events": events,
        "paused_journeys": 0,
    }
    assert api.get(f"/customers/{erased}").json() == {
        "customer_id": erased,
        "links": [],
        "timeline": [],
    }
    assert api.post(f"/customers/{erased}/erase", None).json()["removed"] == {
        "identity_links": 0,
        "conversations": 0,
        "events": 0,
        "paused_journeys": 0,
    }
    assert api.get(f"/customers/{kept}/conversations").json()["conversation_ids"] == [other]
    assert api.post("/customers/nobody/erase", None).status_code == 400


def test_a_journey_left_half_way_is_kept_replaced_listed_forgotten_and_erased(
    api: MemoryApi, config: StackConfig
) -> None:
    path = "/customers/C-1036/journeys/file_claim"
    first = {"conversation_id": "wa-1", "channel": "twilio", "answers": {"claim_policy": "P-1"}}
    assert api.put(path, first).status_code == 200
    later = {**first, "answers": {"claim_policy": "POL-50027", "claim_date": "2026-11-23"}}
    saved = api.put(path, later).json()
    assert saved["answers"] == later["answers"] and saved["channel"] == "twilio"
    listed = api.get("/customers/C-1036/journeys").json()["journeys"]
    assert [(j["goal"], j["answers"]) for j in listed] == [("file_claim", later["answers"])]
    assert api.get("/customers/C-1037/journeys").json() == {"journeys": []}
    removed = api.session.delete(f"{api.url}{path}", timeout=10)
    assert removed.json() == {"removed": 1}
    assert api.session.delete(f"{api.url}{path}", timeout=10).json() == {"removed": 0}
    assert api.get("/customers/C-1036/journeys").json() == {"journeys": []}
    api.put(path, later)
    erased = api.post("/customers/C-1036/erase", {}).json()["removed"]
    assert erased["paused_journeys"] == 1
    assert api.get("/customers/C-1036/journeys").json() == {"journeys": []}
    unauthorised = requests.get(f"{config.memory_url}/customers/C-1036/journeys", timeout=10)
    assert unauthorised.status_code == 401


@pytest.mark.parametrize(
    ("path", "body", "status", "reason"),
    [
        ("/customers/C-1/journeys/file_claim", {"answers": {"a": "b"}}, 400, "customer_id"),
        ("/customers/C-1036/journeys/File-Claim", {"answers": {"a": "b"}}, 400, "goal"),
        ("/customers/C-1036/journeys/file_claim", {"answers": {}}, 422, "1 to 12 answers"),
        ("/customers/C-1036/journeys/file_claim", {"answers": {"a": "x" * 501}}, 422, "answers"),
        ("/customers/C-1036/journeys/file_claim", {"answers": {"Bad Key": "b"}}, 422, "answers"),
        ("/customers/C-1036/journeys/file_claim", {"answers": {"a": "\x00"}}, 422, "answers"),
        (
            "/customers/C-1036/journeys/file_claim",
            {"answers": {f"k_{chr(97 + i)}": "v" for i in range(13)}},
            422,
            "1 to 12 answers",
        ),
        ("/customers/C-1036/journeys/file_claim", {"answers": {"a": "b"}, "x": 1}, 422, "x"),
    ],
)
def test_a_bad_journey_is_refused_with_the_reason_and_nothing_kept(
    api: MemoryApi, path: str, body: dict, status: int, reason: str
) -> None:
    answer = api.put(path, {"conversation_id": "c-1", "channel": "rest", **body})
    assert answer.status_code == status, answer.text
    assert reason in str(answer.json()["detail"])
    assert api.get("/customers/C-1036/journeys").json() == {"journeys": []}
