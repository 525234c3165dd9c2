"""`rasa` as Switchboard starts it: Rasa's own command line, with two serving fixes.

Rasa 3.6 validates every action-server response with `jsonschema.validate`, which
checks the (large) events schema against its meta-schema on every call before
validating the response: about 20 ms of the event loop per turn, the largest single
cost in the load profile (bench/README.md). Here the validator is built once; the
response is checked against the same schema and fails with the same error. A valid
response is recognised first by checking each event against its own event type's
part of the schema only (Rasa's check tries all 24 types for every event).

Rasa finds the class of every event it deserialises (each tracker read from the
store, each action-server response) by walking all subclasses of Event, recursively,
and comparing names: about 80 µs an event, several milliseconds a turn. Here each
name's class is remembered once Rasa's own lookup has found it.

Besides, Rasa's app gets Switchboard's serving set-up before it starts: the second,
internal listener for its HTTP API (`--internal-interface`, `--internal-port`;
stack/rasa_listeners.py), the desk's thin conversation endpoint
(stack/desk_endpoint.py), an apology when the action server is away
(stack/action_fallback.py), an acknowledgement of a message a person will answer
(stack/handoff_ack.py), long messages taking turns (stack/long_messages.py), and
each message's NLU parse on a pool of threads
instead of the event loop (stack/nlu_pool.py), and a tracker's past states computed
once per step of a turn for all the policies (stack/shared_states.py).
"""

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import rasa.core.run
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event
from sanic import Sanic

from common.minimise import minimise_logs
from common.schemas import schema_validator
from stack import (
    action_fallback,
    conversation_retention,
    desk_endpoint,
    handoff_ack,
    long_messages,
    nlu_pool,
    rasa_errors,
    rasa_listeners,
    shared_states,
)
from stack.rasa_listeners import InternalListener

DOCS = "https://rasa.com/docs/rasa/custom-actions"


@lru_cache(maxsize=1)
def _response_validator() -> Any:
    return schema_validator(RemoteAction.action_response_format_spec(), formats=False)


@dataclass(frozen=True)
class EventChecks:
    """The response schema split so that an event is checked against its own
    type's branch only: the schema says every event has an `event` name and is
    exactly one of the branches, each of which fixes that name to a different
    constant, so an event named N is valid exactly when it satisfies the common
    part and N's branch. Rasa's validator tries every branch of every event."""

    response: Any  # the response with the events' item schema left out
    by_name: dict[str, Any]  # an event's whole item schema, with only its branch


@lru_cache(maxsize=1)
def _event_checks() -> EventChecks | None:
    """None when the schema is not of that shape (then only Rasa's check runs)."""
    schema = RemoteAction.action_response_format_spec()
    try:
        item = schema["properties"]["events"]["items"]
        branches = item["oneOf"]
        names = [branch["properties"]["event"]["const"] for branch in branches]
    except (KeyError, TypeError):
        return None
    if "event" not in item.get("required", ()) or len(set(names)) != len(names):
        return None
    draft = {"$schema": schema["$schema"]} if "$schema" in schema else {}
    common = {key: value for key, value in item.items() if key != "oneOf"}
    events = {**schema["properties"]["events"], "items": {}}
    response = {**schema, "properties": {**schema["properties"], "events": events}}
    return EventChecks(
        schema_validator(response, formats=False),
        {
            name: schema_validator({**draft, **common, "allOf": [branch]}, formats=False)
            for name, branch in zip(names, branches, strict=True)
        },
    )


def _valid_by_event_type(result: Any) -> bool:
    """True only when Rasa's check would pass; False means "ask Rasa's check"."""
    checks = _event_checks()
    if checks is None or not checks.response.is_valid(result):
        return False
    events = result.get("events") if isinstance(result, dict) else None
    if not isinstance(events, list):
        return True  # no events, or not a list, which the response check judged
    for event in events:
        name = event.get("event") if isinstance(event, dict) else None
        check = checks.by_name.get(name) if isinstance(name, str) else None
        if check is None or not check.is_valid(event):
            return False
    return True


def validate_action_result(_: RemoteAction, result: dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result with the validator built once; a valid
    response is recognised by its events' own branches, an invalid one gets Rasa's
    check and error."""
    if _valid_by_event_type(result):
        return True
    try:
        _response_validator().validate(result)
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, make sure "
            f"your response from the Action endpoint is valid. See {DOCS}"
        )
        raise
    return True


_rasa_resolve_by_type = Event.resolve_by_type
_event_classes: dict[str, type[Event]] = {}


def resolve_event_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    """Event.resolve_by_type, remembering the classes it finds (not the defaults)."""
    found = _event_classes.get(type_name)
    if found is None:
        found = _rasa_resolve_by_type(type_name, default)
        if found is None or found.type_name != type_name:
            return found
        _event_classes[type_name] = found
    return found


def internal_listener(argv: list[str]) -> tuple[InternalListener | None, list[str]]:
    """Our own options taken out of argv; the rest is Rasa's. Without them, Rasa
    serves as it would on its own (one listener)."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--internal-interface")
    parser.add_argument("--internal-port", type=int)
    ours, rest = parser.parse_known_args(argv)
    if ours.internal_port is None:
        return None, rest
    return InternalListener(ours.internal_interface or "127.0.0.1", ours.internal_port), rest


def with_switchboard_serving(listener: InternalListener | None) -> Callable[..., Sanic]:
    """rasa.core.run.configure_app, followed by Switchboard's set-up of the app."""
    rasa_configure_app = rasa.core.run.configure_app

    def configure_app(*args: Any, **kwargs: Any) -> Sanic:
        app = rasa_configure_app(*args, **kwargs)
        rasa_errors.install(app)
        rasa_listeners.trust_proxies(app, os.environ)
        long_messages.install(app, os.environ)
        if listener is not None:
            rasa_listeners.install(app, listener)
        app.blueprint(desk_endpoint.blueprint())
        conversation_retention.install(app)
        return app

    return configure_app


def main() -> None:
    minimise_logs()
    RemoteAction._validate_action_result = validate_action_result
    Event.resolve_by_type = staticmethod(resolve_event_type)
    action_fallback.install()
    handoff_ack.install(os.environ)
    nlu_pool.install()
    shared_states.install()
    listener, rasa_argv = internal_listener(sys.argv[1:])
    rasa.core.run.configure_app = with_switchboard_serving(listener)
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *rasa_argv]
    rasa_main()


if __name__ == "__main__":
    main()
