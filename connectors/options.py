"""Buttons as numbered text for channels without buttons, and a numbered reply
turned back into the chosen button's payload."""

from typing import Any, Dict, List, Optional

from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

Buttons = List[Dict[str, Any]]


def numbered(text: str, buttons: Buttons) -> str:
    """'Which one?' + buttons → 'Which one?\\n1. An order\\n2. A claim\\nReply with a number.'"""
    lines = [text] + [f"{i}. {b.get('title', '')}" for i, b in enumerate(buttons, start=1)]
    return "\n".join(lines + ["Reply with a number."])


def offered_buttons(tracker: Optional[DialogueStateTracker]) -> Buttons:
    """The buttons of the assistant's last turn (none once the customer has answered)."""
    for event in reversed(tracker.events if tracker else []):
        if isinstance(event, UserUttered):
            return []
        if isinstance(event, BotUttered) and event.data.get("buttons"):
            return list(event.data["buttons"])
    return []


def chosen_payload(reply: str, buttons: Buttons) -> Optional[str]:
    """The payload of the button whose number the reply is, if it is one."""
    choice = reply.strip().rstrip(".")
    if not choice.isdigit() or not 1 <= int(choice) <= len(buttons):
        return None
    payload = buttons[int(choice) - 1].get("payload")
    return payload if isinstance(payload, str) else None
