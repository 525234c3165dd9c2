"""Retention of conversations in what Rasa's process owns (issue 17, common/retention.py):
a conversation whose last event is older than `conversations`' period for the
channel the customer last wrote on goes as an erasure takes it (its events in the
tracker store, its journal entries, where its replies go: stack/conversation_erasure.py),
with the conversation's lock held. The job runs in a thread of Rasa's process every
run_every_minutes and reports in Rasa's log."""

import asyncio
import logging
from collections import Counter
from typing import Any

from sanic import Sanic

from common.retention import Deletion, RetentionConfig, RetentionJob, cutoff
from stack.conversation_erasure import durable_store, erase_conversation
from tracker_store.sql import DurableSQLTrackerStore

logger = logging.getLogger(__name__)


async def expired(
    store: DurableSQLTrackerStore, config: RetentionConfig, now: float
) -> list[tuple[str, str | None]]:
    """(conversation id, channel) of each conversation past its channel's period."""
    period = config.conversations
    soonest = cutoff(now, min([period.days, *period.channels.values()]))
    return [
        (conversation_id, channel)
        for conversation_id, last, channel in await store.quiet_since(soonest)
        if last < cutoff(now, period.days_for(channel))
    ]


async def purge(agent: Any, config: RetentionConfig, now: float) -> list[Deletion]:
    store = durable_store(agent.tracker_store)
    conversations: Counter = Counter()
    rows: Counter = Counter()
    for conversation_id, channel in await expired(store, config, now):
        async with agent.lock_store.lock(conversation_id):
            removed = await erase_conversation(agent.tracker_store, conversation_id)
        conversations[channel] += 1
        for table, count in removed.items():
            rows[(table, channel)] += count
    period = config.conversations
    deletions = [
        Deletion("conversations", count, cutoff(now, period.days_for(channel)), channel)
        for channel, count in conversations.items()
    ]
    deletions += [
        Deletion(table, count, cutoff(now, period.days_for(channel)), channel)
        for (table, channel), count in rows.items()
    ]
    return deletions or [Deletion("conversations", 0, cutoff(now, period.days))]


def install(app: Sanic) -> RetentionJob:
    """The job, with retention.yml read now (a bad file stops Rasa's start), started
    with the server on its event loop."""
    loops: list[asyncio.AbstractEventLoop] = []

    def blocking(config: RetentionConfig, now: float) -> list[Deletion]:
        """The job's thread waits for the purge run on Rasa's event loop."""
        work = purge(app.ctx.agent, config, now)
        return asyncio.run_coroutine_threadsafe(work, loops[0]).result()

    job = RetentionJob("rasa", blocking)

    async def start(running: Sanic, loop: asyncio.AbstractEventLoop) -> None:
        loops.append(loop)
        job.start()

    async def stop(running: Sanic, _: Any) -> None:
        job.stop()

    app.register_listener(start, "after_server_start")
    app.register_listener(stop, "before_server_stop")
    return job
