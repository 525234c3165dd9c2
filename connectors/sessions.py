"""Session length per channel.

Rasa 3.6 reads one `session_expiration_time` from domain.yml for every
conversation, and its MessageProcessor offers no hook to vary it. Messaging
channels need days (a customer writes on Saturday and answers on Monday), live
chat and calls minutes. So a channel registers its length here, and the check
Rasa runs before each message (`MessageProcessor._has_session_expired`, pinned
Rasa 3.6.21) uses the length of the channel the conversation's last message came
in on. Channels that register nothing keep domain.yml's length.
"""

import time
from collections.abc import Callable
from typing import Any

from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

_MINUTES: dict[str, float] = {}
_domain_check: Callable[[MessageProcessor, DialogueStateTracker], bool] = (
    MessageProcessor._has_session_expired
)


def set_session_length(channel: str, minutes: float) -> None:
    """Sessions of conversations on this channel end after so many idle minutes."""
    if minutes <= 0:
        raise ValueError(f"the session length of {channel} must be positive")
    _MINUTES[channel] = minutes
    MessageProcessor._has_session_expired = _has_session_expired


def configure_session(channel: str, credentials: dict[str, Any], default_minutes: float) -> None:
    """The channel's `session_expiration_minutes` from credentials.yml, or the default."""
    set_session_length(
        channel, float(credentials.get("session_expiration_minutes", default_minutes))
    )


def _has_session_expired(processor: MessageProcessor, tracker: DialogueStateTracker) -> bool:
    last = tracker.get_last_event_for(UserUttered)
    minutes = _MINUTES.get(last.input_channel) if last else None
    if minutes is None or not processor.domain.session_config.are_sessions_enabled():
        return _domain_check(processor, tracker)
    return (time.time() - last.timestamp) / 60 > minutes
