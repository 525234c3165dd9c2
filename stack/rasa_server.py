"""`rasa` as Switchboard starts it: Rasa's own command line, with two serving fixes.

Rasa 3.6 validates every action-server response with `jsonschema.validate`, which
checks the (large) events schema against its meta-schema on every call before
validating the response: about 20 ms of the event loop per turn, the largest single
cost in the load profile (bench/README.md). Here the validator is built once; the
response is checked against the same schema and fails with the same error.

Rasa finds the class of every event it deserialises (each tracker read from the
store, each action-server response) by walking all subclasses of Event, recursively,
and comparing names: about 80 µs an event, several milliseconds a turn. Here each
name's class is remembered once Rasa's own lookup has found it.
"""

import sys
from functools import lru_cache
from typing import Any, Dict, Optional, Text, Type

from jsonschema import ValidationError, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event

DOCS = "https://rasa.com/docs/rasa/custom-actions"


@lru_cache(maxsize=1)
def _response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_result(_: RemoteAction, result: Dict[Text, Any]) -> bool:
    """RemoteAction._validate_action_result with the validator built once."""
    try:
        _response_validator().validate(result)
    except ValidationError as error:
        error.message += (". Failed to validate Action server response from API, make sure "
                          f"your response from the Action endpoint is valid. See {DOCS}")
        raise
    return True


_rasa_resolve_by_type = Event.resolve_by_type
_event_classes: Dict[Text, Type[Event]] = {}


def resolve_event_type(type_name: Text,
                       default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    """Event.resolve_by_type, remembering the classes it finds (not the defaults)."""
    found = _event_classes.get(type_name)
    if found is None:
        found = _rasa_resolve_by_type(type_name, default)
        if found is None or found.type_name != type_name:
            return found
        _event_classes[type_name] = found
    return found


def main() -> None:
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[assignment]
    Event.resolve_by_type = staticmethod(resolve_event_type)  # type: ignore[assignment]
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
