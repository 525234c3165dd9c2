"""How Switchboard starts Rasa: the action-response check accepts and refuses
exactly what Rasa's own does, events resolve to the classes Rasa's lookup gives,
and the arguments reach Rasa as meant."""

import argparse
import dataclasses
from pathlib import Path
from typing import Any

import pytest
from jsonschema import ValidationError, validate
from rasa.cli.arguments.run import set_run_arguments
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import BotUttered, Event, UserUttered, deserialise_events
from rasa.shared.utils.common import all_subclasses

from stack.config import isolated_config
from stack.rasa_listeners import InternalListener
from stack.rasa_server import (
    _valid_by_event_type,
    internal_listener,
    resolve_event_type,
    validate_action_result,
)

RESPONSES = [
    {
        "events": [{"event": "slot", "name": "order_id", "value": "BW-100002"}],
        "responses": [{"text": "hi"}],
    },
    {"events": [], "responses": []},
    {"events": [{"event": "pause"}, {"event": "active_loop", "name": None}]},
    {"events": [{"event": "slot"}]},  # a slot event without a name
    {"events": "not a list"},
    {"responses": [1, 2]},
    {"events": [{"event": "no_such_event"}]},
    {
        "events": [
            {
                "event": "user",
                "text": "hi",
                "parse_data": {
                    "intent": {"name": "greet", "confidence": 0.9},
                    "entities": [{"entity": "order_id", "value": "BW-1", "start": 0, "end": 4}],
                },
            },
            {"event": "bot", "text": "hello", "data": {}},
            {"event": "action", "name": "action_listen", "confidence": None},
        ]
    },
    {"events": [{"event": "user", "parse_data": {"intent": "greet"}}]},  # intent not an object
    {"events": [{"event": "user", "parse_data": {"entities": [{"entity": "x"}]}}]},  # no value
    {"events": [{"event": "slot", "name": 3, "value": 1}]},
    {"events": [{"event": "slot", "name": "x", "value": 1, "timestamp": "now"}]},
    {"events": [{"event": 5}]},
    {"events": [{"name": "x", "value": 1}]},  # no event name
    {"events": ["slot"]},
    {"events": [{"event": "slot", "name": "x", "value": 1}, {"event": "pause", "metadata": 1}]},
    {
        "events": [{"event": "active_loop", "name": "order_form"}, {"event": "restart"}],
        "responses": [{"text": "x"}, "not an object"],
    },
    ["not an object"],
]


def rasa_accepts(result: dict[str, Any]) -> bool:
    try:
        validate(result, RemoteAction.action_response_format_spec())
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("result", RESPONSES)
def test_the_cached_check_agrees_with_rasas(result: dict[str, Any]) -> None:
    if rasa_accepts(result):
        assert validate_action_result(None, result) is True
    else:
        with pytest.raises(ValidationError, match="Failed to validate Action server response"):
            validate_action_result(None, result)


def test_the_examples_include_both_verdicts() -> None:
    verdicts = {rasa_accepts(result) for result in RESPONSES}
    assert verdicts == {True, False}


@pytest.mark.parametrize("result", RESPONSES)
def test_a_response_is_passed_by_its_event_types_only_when_rasa_passes_it(result: Any) -> None:
    assert _valid_by_event_type(result) == rasa_accepts(result)


def test_a_token_that_looks_like_an_option_reaches_rasa_whole(tmp_path: Path) -> None:
    config = dataclasses.replace(isolated_config(tmp_path), rasa_api_token="-starts-with-a-dash")
    parser = argparse.ArgumentParser()
    set_run_arguments(parser)
    argv = config.rasa_argv()
    listener, rasa_argv = internal_listener(argv[argv.index("run") + 1 :])
    assert listener == InternalListener(config.host, config.rasa_internal_port)
    parsed = parser.parse_args(rasa_argv)
    assert parsed.auth_token == "-starts-with-a-dash" and parsed.enable_api


EVENT_NAMES = sorted({cls.type_name for cls in all_subclasses(Event)})


@pytest.mark.parametrize("name", EVENT_NAMES)
def test_the_remembered_event_class_is_rasas(name: str) -> None:
    for _ in range(2):  # found, then remembered
        assert resolve_event_type(name) is Event.resolve_by_type(name)


def test_an_unknown_event_name_is_resolved_as_rasa_does() -> None:
    assert resolve_event_type("no_such_event", UserUttered) is UserUttered
    assert resolve_event_type("no_such_event", BotUttered) is BotUttered  # not remembered
    assert resolve_event_type("topic") is None
    with pytest.raises(ValueError, match="Unknown event name"):
        resolve_event_type("no_such_event")


def test_events_deserialise_alike_with_the_remembered_classes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dumped = [
        {"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet"}}},
        {"event": "slot", "name": "order_id", "value": "BW-1"},
        {"event": "action", "name": "action_listen"},
    ]
    stock = deserialise_events(dumped)
    monkeypatch.setattr(Event, "resolve_by_type", staticmethod(resolve_event_type))
    assert deserialise_events(dumped) == stock
