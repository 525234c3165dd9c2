"""Long messages are parsed on threads of their own at the lowest CPU priority."""

import os
import threading

from stack import nlu_pool


def test_a_long_message_goes_to_the_low_priority_thread() -> None:
    assert nlu_pool.pool_for("x" * (nlu_pool.LONG_MESSAGE_CHARS + 1)) is nlu_pool._long_pool
    for text in ("where is my order BW-100002", "x" * nlu_pool.LONG_MESSAGE_CHARS, None, ""):
        assert nlu_pool.pool_for(text) is nlu_pool._pool


def test_the_low_priority_thread_is_niced_and_the_others_are_not() -> None:
    def nice() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    base = nice()
    assert nlu_pool._long_pool.submit(nice).result() == nlu_pool.LOW_PRIORITY
    assert nlu_pool._pool.submit(nice).result() == base
    assert nice() == base  # the caller's thread (Rasa's event loop) keeps its priority
