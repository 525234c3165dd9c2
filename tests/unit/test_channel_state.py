"""The channels' database: a message is claimed by one handler only, however many
duplicates arrive at once, and recipients outlive the process (connectors/state.py)."""

import asyncio
import threading
import time
from pathlib import Path

import pytest

from connectors import state as state_module
from connectors.state import (
    DONE,
    OPEN,
    PENDING,
    ChannelState,
    ChannelStateConfigError,
    Claim,
    channel_state,
)


@pytest.fixture
def state(tmp_path: Path) -> ChannelState:
    return ChannelState(f"sqlite:///{tmp_path / 'channels.db'}")


def test_of_concurrent_duplicates_exactly_one_owns_the_message(state: ChannelState) -> None:
    claimed: list[Claim] = []
    start = threading.Barrier(8)

    def claim() -> None:
        start.wait()
        claimed.append(state._claim("twilio", "SM1"))

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(c.owned for c in claimed) == [False] * 7 + [True]


def test_a_done_message_gives_its_result_and_an_open_one_is_resumed(state: ChannelState) -> None:
    async def scenario() -> None:
        assert await state.outcome("voice", "a") is None
        assert (await state.claim("voice", "a")).owned
        assert await state.outcome("voice", "a") == PENDING
        pending = await state.claim("voice", "a")
        assert not pending.owned and pending.state == PENDING
        await state.settle("voice", "a", "<Response/>")
        done = await state.claim("voice", "a")
        assert (done.owned, done.state, done.result) == (False, DONE, "<Response/>")
        assert await state.outcome("voice", "a") == DONE

        assert (await state.claim("email", "b")).owned
        await state.settle("email", "b", "the reply", done=False)
        resumed = await state.claim("email", "b")
        assert (resumed.owned, resumed.result) == (True, "the reply")
        assert not (await state.claim("email", "b")).owned

        assert (await state.claim("email", "c")).owned
        await state.release("email", "c")
        assert (await state.claim("email", "c")).owned
        assert (await state.claim("twilio", "c")).owned  # channels do not share ids

    asyncio.run(scenario())


def test_a_claim_left_pending_by_a_dead_process_is_taken_over(
    state: ChannelState, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert state._claim("twilio", "x").owned
    assert not state._claim("twilio", "x").owned
    monkeypatch.setattr(state_module, "STALE_CLAIM_SECONDS", -1.0)
    assert state._claim("twilio", "x").owned


def test_recipients_are_kept_in_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'channels.db'}"

    async def scenario() -> None:
        first = ChannelState(url)
        assert await first.recall("twilio", "whatsapp-1") is None
        await first.remember("twilio", "whatsapp-1", "whatsapp:+447700900001")
        await first.remember("twilio", "whatsapp-1", "whatsapp:+447700900002")
        later = ChannelState(url)  # another process, after a restart
        assert await later.recall("twilio", "whatsapp-1") == "whatsapp:+447700900002"
        assert await later.recall("email", "whatsapp-1") is None

    asyncio.run(scenario())


def test_old_claims_are_pruned(state: ChannelState, monkeypatch: pytest.MonkeyPatch) -> None:
    assert state._claim("twilio", "old").owned
    state._settle("twilio", "old", OPEN, None)  # the private calls take hashed keys
    monkeypatch.setattr(state_module, "RETENTION_SECONDS", -1.0)
    state._pruned_at = 0.0
    assert state._claim("twilio", "new").owned
    with state.engine.connect() as db:
        keys = [row.key for row in db.execute(state_module.claims.select())]
    assert keys == ["new"]


def test_claims_left_pending_by_a_stopped_process_are_opened_again(state: ChannelState) -> None:
    async def scenario() -> None:
        assert (await state.claim("twilio", "SM1", '{"text": "hello"}')).owned
        assert (await state.claim("twilio", "SM2")).owned
        await state.settle("twilio", "SM2")
        started = time.time()
        assert (await state.claim("twilio", "SM3", '{"text": "mine"}')).owned  # this process's
        assert await state.reopen("twilio", started) == ['{"text": "hello"}']
        assert await state.reopen("email", started) == []
        resumed = await state.claim("twilio", "SM1")
        assert (resumed.owned, resumed.result) == (True, '{"text": "hello"}')
        assert not (await state.claim("twilio", "SM3")).owned

    asyncio.run(scenario())


@pytest.mark.parametrize(
    "url",
    [
        "nonsense",
        "sqlite:////nonexistent-dir/\x00/channels.db",
        "postgresql://user:secret@127.0.0.1:1/db",
    ],
)
def test_a_database_that_cannot_be_opened_stops_the_start(url: str) -> None:
    with pytest.raises(ChannelStateConfigError, match="CHANNEL_STATE_URL") as refused:
        channel_state(url)
    assert "secret" not in str(refused.value)
