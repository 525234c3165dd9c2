"""Each message's NLU parse off Rasa's event loop.

Rasa 3.6 parses a message (tokenizer, regexes, emotion, MiniLM encoder, classifier)
on its one event loop, so while a long message is parsed every other conversation
waits. The parse is a function of the message and the model only, and its heaviest
part (the ONNX encoder) releases the GIL, so it runs on a small pool of threads and
the loop serves other conversations meanwhile (`make bench-hostile` measures it).
Every component of config.yml's pipeline only reads its model while parsing.
"""

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.trackers import DialogueStateTracker

_rasa_parse_message = MessageProcessor.parse_message
_pool = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2), thread_name_prefix="nlu")


async def parse_message(processor: MessageProcessor, message: UserMessage,
                        tracker: Optional[DialogueStateTracker] = None,
                        only_output_properties: bool = True) -> Dict[Text, Any]:
    """MessageProcessor.parse_message with the model's parse run on the pool."""
    if processor.http_interpreter:
        return await _rasa_parse_message(processor, message, tracker, only_output_properties)
    if tracker is None:
        tracker = DialogueStateTracker.from_events(message.sender_id, [])
    parse_data = await asyncio.get_running_loop().run_in_executor(
        _pool, processor._parse_message_with_graph, message, tracker, only_output_properties)
    processor._update_full_retrieval_intent(parse_data)
    processor._check_for_unseen_features(parse_data)
    return parse_data


def install() -> None:
    MessageProcessor.parse_message = parse_message
