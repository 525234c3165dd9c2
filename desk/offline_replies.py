"""An agent's messages marked for the channels that reach a customer who is not in a
live chat (e-mail, a text message to a caller who has hung up), from the desk's
offline_replies settings: whether the move sends anything at all, and the agent's
e-mail signature. Those channels read the mark (metadata `offline`); a live chat
ignores it."""

from desk.rasa_client import Event
from desk.settings import OfflineReplySettings

MARK = "offline"


def offline_marked(
    events: list[Event], move: str, agent: str, settings: OfflineReplySettings
) -> list[Event]:
    """The move's events, each of the agent's messages carrying the mark."""
    mark = {
        "send": move in settings.sent_moves,
        "signature": settings.signature.format(agent=agent),
    }
    return [
        {**event, "metadata": {**event["metadata"], MARK: mark}}
        if event.get("event") == "bot" and isinstance(event.get("metadata"), dict)
        else event
        for event in events
    ]
