"""Every locale file against domain.yml: a translated response keeps exactly the domain's
variations (their channels, other conditions, named variables and button payloads), so a
German caller gets the same voice variant, the same filled-in details and the same
buttons as an English one. Prints each locale's coverage; German covers every response."""

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from common.languages import languages
from stack.processes import ROOT

# The default language's locale words only values: its responses are the domain's.
LOCALES = sorted(p for p in (ROOT / "locales").glob("*.yml") if p.stem != languages().default)
# Locales that must translate every response of the domain.
COMPLETE = {"de", "es", "fr"}
VARIABLE = re.compile(r"\{(\w+)\}")


def responses(path: Path) -> dict[str, list[dict[str, Any]]]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["responses"]


DOMAIN = responses(ROOT / "domain.yml")


def shape(variation: dict[str, Any]) -> tuple[Any, ...]:
    """What a translation must keep of a variation: everything but the words."""
    conditions = sorted(
        (c["type"], c["name"], repr(c["value"])) for c in variation.get("condition") or []
    )
    return (
        variation.get("channel"),
        tuple(conditions),
        frozenset(VARIABLE.findall(variation.get("text", ""))),
        tuple(button["payload"] for button in variation.get("buttons") or []),
    )


def differences(name: str, translated: list[dict[str, Any]]) -> list[str]:
    domain, locale = Counter(map(shape, DOMAIN[name])), Counter(map(shape, translated))
    missing = [f"{name}: missing {s}" for s in (domain - locale).elements()]
    extra = [f"{name}: not in the domain {s}" for s in (locale - domain).elements()]
    return missing + extra


def test_a_variation_differing_from_the_domains_is_found() -> None:
    name = "utter_ask_request_topic"
    good = DOMAIN[name]
    assert differences(name, good) == []
    renamed = [{**good[0], "text": good[0]["text"] + " {order}"}, *good[1:]]
    assert len(differences(name, renamed)) == 2
    wrong_payload = [
        {**good[0], "buttons": [{"title": "x", "payload": "/other"}]},
        *good[1:],
    ]
    assert differences(name, wrong_payload)
    assert differences(name, good[1:])


@pytest.mark.parametrize("path", LOCALES, ids=[p.stem for p in LOCALES])
def test_each_translation_keeps_the_domains_variations(path: Path) -> None:
    translated = responses(path)
    unknown = sorted(set(translated) - set(DOMAIN))
    assert not unknown, f"{path.name}: not responses of the domain: {unknown}"
    problems = [p for name, variations in translated.items() for p in differences(name, variations)]
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", LOCALES, ids=[p.stem for p in LOCALES])
def test_coverage(path: Path) -> None:
    translated = set(responses(path)) & set(DOMAIN)
    coverage = len(translated) / len(DOMAIN)
    print(f"{path.stem}: {len(translated)} of {len(DOMAIN)} responses ({coverage:.0%})")
    if path.stem in COMPLETE:
        assert coverage == 1, f"not translated: {sorted(set(DOMAIN) - translated)}"


def test_the_complete_locales_exist() -> None:
    assert {p.stem for p in LOCALES} >= COMPLETE
