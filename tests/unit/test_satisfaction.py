"""The satisfaction prompt: asked once after the goodbye on the channels metrics.yml
names, and only an answer among its options (after it was asked) is kept."""

import asyncio
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.responses import responses
from actions.satisfaction import ActionAskSatisfaction, ActionRateSatisfaction
from stack.processes import ROOT


def tracker(
    channel: str = "rest", asked: bool = False, entities: list[dict[str, Any]] | None = None
) -> Tracker:
    latest = {"intent": {"name": "rate_satisfaction"}, "entities": entities or []}
    events = [{"event": "user", "text": "x", "input_channel": channel, "parse_data": latest}]
    slots = {"satisfaction_asked": asked}
    return Tracker("customer", slots, latest, events, False, None, {}, "")


def run(action: Any, track: Tracker) -> tuple[list[str], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, track, {}))
    return [m["response"] for m in dispatcher.messages], events


def score(value: object) -> list[dict[str, Any]]:
    return [{"entity": "satisfaction_score", "value": value}]


@pytest.mark.parametrize("channel", ["rest", "socketio", "twilio"])
def test_the_prompt_is_asked_once_on_chat_and_whatsapp(channel: str) -> None:
    said, events = run(ActionAskSatisfaction(), tracker(channel))
    assert said == ["utter_ask_satisfaction"]
    assert events == [
        {"event": "slot", "name": "satisfaction_asked", "value": True, "timestamp": None}
    ]
    assert run(ActionAskSatisfaction(), tracker(channel, asked=True)) == ([], [])


@pytest.mark.parametrize("channel", ["twilio_voice", "email", None])
def test_no_prompt_on_a_call_or_an_e_mail(channel: str) -> None:
    assert run(ActionAskSatisfaction(), tracker(channel or "")) == ([], [])


def test_an_answer_among_the_options_is_kept() -> None:
    said, events = run(ActionRateSatisfaction(), tracker(asked=True, entities=score("4")))
    assert said == ["utter_satisfaction_thanks"]
    assert [(e["name"], e["value"]) for e in events] == [("satisfaction", 4)]


@pytest.mark.parametrize(
    ("asked", "entities"),
    [(False, score("4")), (True, score("6")), (True, score("x")), (True, score("0")), (True, [])],
)
def test_anything_else_is_thanked_for_and_not_kept(asked: bool, entities: list) -> None:
    said, events = run(ActionRateSatisfaction(), tracker(asked=asked, entities=entities))
    assert (said, events) == (["utter_satisfaction_thanks"], [])


def test_the_prompts_options_are_the_scores_one_to_five_on_every_variant() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    variants = domain["responses"]["utter_ask_satisfaction"]
    assert {v.get("channel") for v in variants} == {None, "twilio"}
    for variant in variants:
        payloads = [b["payload"] for b in variant["buttons"]]
        assert payloads == [
            f'/rate_satisfaction{{"satisfaction_score": "{n}"}}' for n in range(1, 6)
        ]
    assert "utter_satisfaction_thanks" in responses()
