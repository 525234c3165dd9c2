"""The RabbitMQ path of Rasa's events (the scaled profile, issue #16): Rasa's Pika
event broker publishes every event to a durable queue; this relay takes them from the
queue, in order, into the broker table (`events`, EVENT_BROKER_URL) that
analytics/consumer.py folds, and acknowledges them only once committed.

So a RabbitMQ outage loses nothing: Rasa's broker keeps what it could not publish and
publishes it once reconnected, the queue keeps what it holds (durable, persistent
messages), and the relay reconnects with backoff and takes up where it was. A crash
between the commit and the acknowledgement delivers a batch again (at least once).
With one relay the table's ids follow the queue's order, so the consumer reading by id
misses nothing, however many Rasa processes publish.
"""

import asyncio
import json
import logging

import aio_pika
from aio_pika.abc import AbstractIncomingMessage
from sqlalchemy.engine import Engine

from analytics.consumer import broker_events

logger = logging.getLogger("analytics.rabbit")
RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0)  # between reconnects, the last one repeated


def _sender(body: bytes) -> str | None:
    """The event's conversation, read as the SQL broker's column holds it."""
    try:
        event = json.loads(body)
    except ValueError:
        return None
    sender = event.get("sender_id") if isinstance(event, dict) else None
    return sender if isinstance(sender, str) else None


def store(engine: Engine, bodies: list[bytes]) -> None:
    """One transaction for the batch, in the queue's order."""
    with engine.begin() as connection:
        connection.execute(
            broker_events.insert(),
            [
                {"sender_id": _sender(body), "data": body.decode("utf-8", "replace")}
                for body in bodies
            ],
        )


async def relay_batch(queue: aio_pika.abc.AbstractQueue, engine: Engine, batch_size: int) -> int:
    """Move up to batch_size messages from the queue to the table; how many moved."""
    messages: list[AbstractIncomingMessage] = []
    while len(messages) < batch_size:
        message = await queue.get(no_ack=False, fail=False)
        if message is None:
            break
        messages.append(message)
    if not messages:
        return 0
    await asyncio.to_thread(store, engine, [m.body for m in messages])
    await messages[-1].ack(multiple=True)
    return len(messages)


async def relay_forever(
    url: str, queue_name: str, engine: Engine, poll_seconds: float, batch_size: int
) -> None:
    """Keep relaying; reconnect after any failure of the broker or the table."""
    broker_events.metadata.create_all(engine)  # Rasa's table, as its SQL broker makes it
    failures = 0
    while True:
        try:
            connection = await aio_pika.connect(url, timeout=10)
            async with connection:
                channel = await connection.channel()
                queue = await channel.declare_queue(queue_name, durable=True)
                if failures:
                    logger.warning("analytics.rabbit.reconnected")
                failures = 0
                while True:
                    moved = await relay_batch(queue, engine, batch_size)
                    if moved < batch_size:
                        await asyncio.sleep(poll_seconds)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the broker or the table down: retried, never fatal
            delay = RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
            failures += 1
            logger.error(
                "analytics.rabbit.failed error=%s retry_in=%.1fs", type(error).__name__, delay
            )
            await asyncio.sleep(delay)
