"""WhatsApp's background turns run one conversation's messages in the order they
arrived, whatever order their claims finish in (connectors/whatsapp.py)."""

import asyncio

from connectors.whatsapp import InOrder


def test_a_conversations_turns_run_in_arrival_order_and_others_do_not_wait() -> None:
    ran: list[str] = []

    async def scenario() -> None:
        line = InOrder()
        first, passed, second = line.queue("a"), line.queue("a"), line.queue("a")
        other = line.queue("b")
        gate = asyncio.Event()

        async def turn(name: str) -> None:
            if name == "a1":
                await gate.wait()  # a slow first turn
            ran.append(name)

        second.set_result(lambda: turn("a2"))  # claimed first, arrived last
        other.set_result(lambda: turn("b1"))
        passed.set_result(None)  # a duplicate: its place passes
        first.set_result(lambda: turn("a1"))
        await asyncio.sleep(0.05)
        assert ran == ["b1"]  # another conversation does not wait for a slow one
        gate.set()
        while line.tasks:
            await asyncio.sleep(0.01)
        assert not line.locks and not line.queued

    asyncio.run(scenario())
    assert ran == ["b1", "a1", "a2"]


def test_a_failing_turn_does_not_stop_the_line() -> None:
    ran: list[str] = []

    async def scenario() -> None:
        line = InOrder()

        async def fail() -> None:
            raise RuntimeError("backend down")

        async def succeed() -> None:
            ran.append("next")

        line.queue("a").set_result(fail)
        line.queue("a").set_result(succeed)
        while line.tasks:
            await asyncio.sleep(0.01)

    asyncio.run(scenario())
    assert ran == ["next"]
