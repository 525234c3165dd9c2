"""The action-response check Switchboard's Rasa uses accepts and refuses exactly
what Rasa's own check does."""

from typing import Any, Dict

import pytest
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction

from stack.rasa_server import validate_action_result

RESPONSES = [
    {"events": [{"event": "slot", "name": "order_id", "value": "BW-100002"}],
     "responses": [{"text": "hi"}]},
    {"events": [], "responses": []},
    {"events": [{"event": "pause"}, {"event": "active_loop", "name": None}]},
    {"events": [{"event": "slot"}]},  # a slot event without a name
    {"events": "not a list"},
    {"responses": [1, 2]},
    {"events": [{"event": "no_such_event"}]},
]


def rasa_accepts(result: Dict[str, Any]) -> bool:
    try:
        validate(result, RemoteAction.action_response_format_spec())
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("result", RESPONSES)
def test_the_cached_check_agrees_with_rasas(result: Dict[str, Any]) -> None:
    if rasa_accepts(result):
        assert validate_action_result(None, result) is True
    else:
        with pytest.raises(ValidationError, match="Failed to validate Action server response"):
            validate_action_result(None, result)


def test_the_examples_include_both_verdicts() -> None:
    verdicts = {rasa_accepts(result) for result in RESPONSES}
    assert verdicts == {True, False}
