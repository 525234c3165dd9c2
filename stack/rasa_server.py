"""`rasa` as Switchboard starts it: Rasa's own command line, with one serving fix.

Rasa 3.6 validates every action-server response with `jsonschema.validate`, which
checks the (large) events schema against its meta-schema on every call before
validating the response: about 20 ms of the event loop per turn, the largest single
cost in the load profile (bench/README.md). Here the validator is built once; the
response is checked against the same schema and fails with the same error.
"""

import sys
from functools import lru_cache
from typing import Any, Dict, Text

from jsonschema import ValidationError, validators
from rasa.core.actions.action import RemoteAction

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


def main() -> None:
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[assignment]
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
