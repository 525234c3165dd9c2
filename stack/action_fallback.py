"""A customer gets an apology, not silence, while the action server is away.

Rasa 3.6 logs a custom action that cannot reach the action server (down, or
restarting under the stack's supervisor) and carries on with no events: the
customer's message is answered with nothing at all, and the next prediction may
call the action server again. Here such a failure becomes the domain's
APOLOGY response on the customer's channel, and the assistant listens again; the
customer's message stays in the tracker, and the next one is served normally once
the action server is back. A rejection (the action server's own 400) is Rasa's
business as before.
"""

import logging
from typing import Any, List

from rasa.core.actions.action import (
    ActionExecutionRejection, RemoteAction, create_bot_utterance,
)
from rasa.shared.core.events import Event, FollowupAction
from rasa.shared.exceptions import RasaException

logger = logging.getLogger(__name__)

APOLOGY = "utter_backend_down"
LISTEN = "action_listen"
_rasa_run = RemoteAction.run


async def run_or_apologise(action: RemoteAction, output_channel: Any, nlg: Any,
                           tracker: Any, domain: Any) -> List[Event]:
    """RemoteAction.run; when the action server cannot be used, the apology."""
    try:
        return await _rasa_run(action, output_channel, nlg, tracker, domain)
    except ActionExecutionRejection:
        raise
    except RasaException:
        logger.error("custom action %s failed: the customer gets %s", action.name(), APOLOGY)
    message = await nlg.generate(APOLOGY, tracker, output_channel.name())
    events: List[Event] = [create_bot_utterance(message)] if message else []
    return events + [FollowupAction(LISTEN)]


def install() -> None:
    RemoteAction.run = run_or_apologise  # type: ignore[assignment]
