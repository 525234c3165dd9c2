"""The one way a JSON-schema validator is built: the draft the schema names in
`$schema` (jsonschema's latest when it names none), the schema itself checked first,
and formats (date-time, email, ...) checked when asked for."""

from collections.abc import Mapping
from typing import Any

from jsonschema import validators


def schema_validator(schema: Mapping[str, Any], formats: bool = True) -> Any:
    """A validator for schema; jsonschema.SchemaError when the schema is not valid."""
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    if formats:
        return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    return validator_class(schema)
