"""An outreach call: the plan travels in the voice webhook's URL that outreach gives
Twilio's Calls API (outreach/voice.py), and comes back when the customer answers.

Twilio signs the whole URL it calls, query included, with the auth token, so a plan
read from a signed request was put there by outreach (which holds the token): the
voice channel then runs the outreach intent in the call's conversation, as Rasa's
trigger_intent would, and says its voice wording (connectors/voice.py). Each value is
checked against its shape all the same; a bad one is a 400.
"""

import re
from collections.abc import Mapping
from urllib.parse import urlencode

PREFIX = "outreach_"
WEBHOOK_PATH = "/webhooks/twilio_voice/webhook"
# What of the plan the outreach action reads (actions/outreach_message.py), by shape.
FIELDS = {
    "plan": re.compile(r"[0-9]{1,12}"),
    "rule": re.compile(r"[a-z][a-z0-9_]{0,39}"),
    "response": re.compile(r"utter_[a-z0-9_]{1,80}"),
    "record": re.compile(r"[A-Za-z0-9-]{0,40}"),
    "customer": re.compile(r"[A-Za-z0-9-]{1,40}"),
}
# A call always opens with who is calling, how to stop these calls and reach a person.
DISCLOSE = "yes"
INTENT = "EXTERNAL_outreach"


class BadPlan(ValueError):
    """A query that names an outreach plan wrongly."""


def call_url(public_url: str, plan: Mapping[str, str]) -> str:
    """The voice webhook's URL carrying the plan (Twilio's Calls API `Url`)."""
    query = urlencode({PREFIX + key: plan[key] for key in FIELDS})
    return f"{public_url.rstrip('/')}{WEBHOOK_PATH}?{query}"


def call_plan(args: Mapping[str, str]) -> dict[str, str] | None:
    """The plan a webhook request's query carries (None: not an outreach call's first
    request); BadPlan naming the field that is missing or malformed."""
    given = {key[len(PREFIX) :]: value for key, value in args.items() if key.startswith(PREFIX)}
    if not given:
        return None
    for key in given.keys() - FIELDS.keys():
        raise BadPlan(f"'{PREFIX}{key}' is not part of an outreach call")
    for key, shape in FIELDS.items():
        if not shape.fullmatch(given.get(key, "")):
            raise BadPlan(f"'{PREFIX}{key}' is missing or malformed")
    return given


def plan_entities(plan: Mapping[str, str]) -> list[dict[str, str]]:
    """The outreach intent's entities, as outreach's trigger_intent sends them."""
    return [{"entity": PREFIX + k, "value": v} for k, v in {**plan, "disclose": DISCLOSE}.items()]
