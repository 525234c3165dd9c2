"""A customer gets an apology, not silence, while the action server is away.

Rasa 3.6 logs a predicted custom action that cannot reach the action server (down,
or restarting under the stack's supervisor) and carries on with no events: the
customer's message is answered with nothing at all, and the next prediction may
call the action server again. Here such a failure of an action the assistant chose
to run becomes the domain's APOLOGY response on the customer's channel, and the
assistant listens again; the customer's message stays in the tracker, and the next
one is served normally once the action server is back. A rejection (the action
server's own 400), a paused conversation (a person is handling it) and the calls
Rasa makes outside a prediction (slot-mapping validation) keep Rasa's behaviour.
"""

import contextvars
import logging
from typing import Any

from rasa.core.actions.action import (
    ActionExecutionRejection,
    RemoteAction,
    create_bot_utterance,
)
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import Event, FollowupAction
from rasa.shared.exceptions import RasaException

logger = logging.getLogger(__name__)

APOLOGY = "utter_backend_down"
LISTEN = "action_listen"
_rasa_run = RemoteAction.run
_rasa_run_action = MessageProcessor._run_action
# True while the processor runs an action it predicted for a conversation a
# person is not handling.
_apologise = contextvars.ContextVar("apologise_for_unreachable_actions", default=False)


async def run_predicted(
    processor: MessageProcessor, action: Any, tracker: Any, *args: Any, **kwargs: Any
) -> bool:
    """MessageProcessor._run_action, with apologies allowed for its remote calls."""
    token = _apologise.set(not tracker.is_paused())
    try:
        return await _rasa_run_action(processor, action, tracker, *args, **kwargs)
    finally:
        _apologise.reset(token)


async def run_or_apologise(
    action: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any
) -> list[Event]:
    """RemoteAction.run; when a predicted action cannot reach the action server,
    the apology."""
    try:
        return await _rasa_run(action, output_channel, nlg, tracker, domain)
    except ActionExecutionRejection:
        raise
    except RasaException:
        if not _apologise.get():
            raise
        logger.error("custom action %s failed: the customer gets %s", action.name(), APOLOGY)
    _apologise.set(False)  # one apology per turn's action, even from a form's validation
    message = await nlg.generate(APOLOGY, tracker, output_channel.name())
    events: list[Event] = [create_bot_utterance(message)] if message else []
    return events + [FollowupAction(LISTEN)]


def install() -> None:
    MessageProcessor._run_action = run_predicted
    RemoteAction.run = run_or_apologise
