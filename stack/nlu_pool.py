"""Each message's NLU parse off Rasa's event loop, long messages at low priority.

Rasa 3.6 parses a message (tokenizer, regexes, emotion, MiniLM encoder, classifier)
on its one event loop, so while a long message is parsed every other conversation
waits. The parse is a function of the message and the model only, and its heaviest
part (the ONNX encoder) releases the GIL, so it runs on a small pool of threads and
the loop serves other conversations meanwhile. Every component of config.yml's
pipeline only reads its model while parsing.

Only the part of a message the assistant reads is parsed (common/reading.py); the
parse data and the conversation keep the whole text. Within that part, a long
message still costs many times a short one (the encoder reads up to 256 tokens),
and on a small machine a stream of them would take the CPU from everyone else. So
messages over LONG_MESSAGE_CHARS are parsed on threads of their own, which run at
the lowest CPU priority (Linux nices threads one by one): they still get every idle
cycle, but a customer's ordinary message goes first (`make bench-hostile`
measures it). Two of them, so one legitimate long e-mail does not wait behind
another customer's.
"""

import asyncio
import copy
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import TEXT

from common.reading import head

logger = logging.getLogger(__name__)

LONG_MESSAGE_CHARS = 500
LOW_PRIORITY = 19  # the nice value of the long-message thread

_rasa_parse_message = MessageProcessor.parse_message


def _lower_priority() -> None:
    """Runs in each long-message thread as it starts: nice it (only it) on Linux."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOW_PRIORITY)
    except (AttributeError, OSError) as error:  # not Linux: same priority as the rest
        logger.warning("long messages are parsed at normal priority (%s)", error)


_pool = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2), thread_name_prefix="nlu")
_long_pool = ThreadPoolExecutor(
    max_workers=2, thread_name_prefix="nlu-long", initializer=_lower_priority
)


def pool_for(text: str | None) -> ThreadPoolExecutor:
    """The low-priority threads for a long message, the shared pool otherwise."""
    return _long_pool if text and len(text) > LONG_MESSAGE_CHARS else _pool


async def parse_message(
    processor: MessageProcessor,
    message: UserMessage,
    tracker: DialogueStateTracker | None = None,
    only_output_properties: bool = True,
) -> dict[str, Any]:
    """MessageProcessor.parse_message with the model's parse run on a pool."""
    if processor.http_interpreter:
        return await _rasa_parse_message(processor, message, tracker, only_output_properties)
    if tracker is None:
        tracker = DialogueStateTracker.from_events(message.sender_id, [])
    read = message
    if message.text and len(head(message.text)) < len(message.text):
        read = copy.copy(message)
        read.text = head(message.text)
    parse_data = await asyncio.get_running_loop().run_in_executor(
        pool_for(read.text),
        processor._parse_message_with_graph,
        read,
        tracker,
        only_output_properties,
    )
    parse_data[TEXT] = message.text
    processor._update_full_retrieval_intent(parse_data)
    processor._check_for_unseen_features(parse_data)
    return parse_data


def install() -> None:
    MessageProcessor.parse_message = parse_message
