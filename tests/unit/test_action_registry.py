"""The action server registers every custom action the domain names, and nothing
else: a base class of its own (actions/journey.py's JourneyForm) registered as an
action stops the whole server at start."""

import yaml
from rasa_sdk.executor import ActionExecutor

from stack.processes import ROOT

RASA_ACTIONS = ("utter_", "action_listen", "action_restart", "action_default_")


def test_every_custom_action_of_the_domain_is_registered_and_the_server_starts() -> None:
    executor = ActionExecutor()
    executor.register_package("actions")  # raises on an action without a name
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    forms = [f"validate_{form}" for form in domain.get("forms") or {}]
    named = {a for a in domain["actions"] if not a.startswith(RASA_ACTIONS)}
    assert named | set(forms) <= set(executor.actions)
