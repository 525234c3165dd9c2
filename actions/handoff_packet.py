"""The hand-over packet: what a person on Brightwave's team receives with a customer
the assistant hands over, so that the customer never has to repeat themselves.

Everything here except `fetch_snapshot` is a pure function of the tracker's events,
the escalation `Decision` and the backend records, so the packet is built and
tested without a Rasa server (what the customer is told is added from the desk's
receipt, actions/handoff_notice.py). The packet's contract is
`schemas/handoff_packet.v1.json`; `validate_packet` checks a packet against it.
Texts from the conversation are masked (`actions.redaction`) and nothing about the
customer or their account goes into the packet unless they proved who they are.
"""

import asyncio
import json
import logging
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from statistics import mean
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

from jsonschema import validators
from rasa_sdk import Tracker

from actions import backend_client as backend
from actions.identity import read_factors
from actions.records import TOPICS, RecordKind
from actions.redaction import mask_pii
from actions.render import POLICY_ANSWERS, join_words
from actions.slots import (
    BACKEND_ERROR, BACKEND_FAILURES, FACTOR_CONFIRMED, KNOWLEDGE_FACTOR, REQUEST_TOPIC,
    VERIFICATION_ATTEMPTS, VERIFICATION_FAILED, VERIFICATION_LOCKED, VERIFIED_CUSTOMER_ID,
)
from escalation.decision import Decision

logger = logging.getLogger(__name__)

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "handoff_packet.v1.json"
PACKET_VERSION = "1"
# The assistant's responses (domain.yml) are all in English.
ASSISTANT_LANGUAGE = "en"
SUMMARY_LIMIT = 600
QUOTE_LIMIT = 160
TREND_TOLERANCE = 0.15  # a smaller move of the latest score is "stable"

# Messages that do not state the customer's problem.
SMALL_TALK_INTENTS = frozenset({"greet", "goodbye", "thank", "affirm", "deny", "bot_challenge",
                                "ask_capabilities", "request_human"})
SMALL_TALK = re.compile(
    r"^\W*(hi|hello|hey|hiya|good (morning|afternoon|evening)|thanks|thank you|ok|okay|yes|no|"
    r"bye)( there)?\W*$", re.IGNORECASE)

# Which $defs entry of the schema describes a record of each snapshot collection.
SNAPSHOT_KINDS: Dict[str, RecordKind] = {kind.collection: kind for kind in TOPICS.values()}
RECORD_SLOTS: Dict[str, RecordKind] = {kind.slot: kind for kind in TOPICS.values()}
NOT_VERIFIED_NOTE = "Not fetched: the customer has not proven who they are."
BACKEND_DOWN_NOTE = "Not fetched: our systems did not answer at hand-over time."
SYSTEMS_DOWN = "our systems did not answer"

Json = Dict[str, Any]


class PacketInvalid(ValueError):
    """A hand-over packet that does not match its schema."""


# ------------------------------------------------------------------ facts

@dataclass(frozen=True)
class ActionTaken:
    """One thing the assistant did for the customer, and how it went."""

    action: str  # the Rasa action
    result: str  # "ok", "failed" or "refused"
    detail: str
    at: str


@dataclass
class HandoffFacts:
    """What the current session's events say, with every text masked."""

    started_at: Optional[str] = None
    channel: Optional[str] = None
    transcript: List[Dict[str, str]] = field(default_factory=list)
    customer_words: Optional[str] = None
    issue_intent: Optional[str] = None
    intents: List[str] = field(default_factory=list)
    actions: List[ActionTaken] = field(default_factory=list)
    record_ids: Dict[str, List[str]] = field(
        default_factory=lambda: {collection: [] for collection in SNAPSHOT_KINDS})
    sentiment: List[float] = field(default_factory=list)
    verified_by: Optional[str] = None


@dataclass
class _Running:
    """An action whose bot messages and slot events are still arriving: Rasa logs
    the action first, then what it returned."""

    name: str
    at: str
    before: Dict[str, Any]  # the slots when it started
    user_text: str
    intent: Optional[str]
    changes: Dict[str, Any] = field(default_factory=dict)


Outcome = Optional[Tuple[str, str]]  # (result, detail), None when there is nothing to report


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="seconds")


def _topic(slots: Mapping[str, Any]) -> Optional[RecordKind]:
    """The kind of record a request is about: the topic slot, else the id given."""
    topic = slots.get(REQUEST_TOPIC)
    if topic in TOPICS:
        return TOPICS[topic]
    return next((kind for kind in TOPICS.values() if slots.get(kind.slot)), None)


def _subject(slots: Mapping[str, Any]) -> str:
    """'Order BW-100002', 'Open orders' or 'Request' (nothing known)."""
    kind = _topic(slots)
    if kind is None:
        return "Request"
    record_id = kind.normalize(slots.get(kind.slot))
    return f"{kind.label.capitalize()} {record_id}" if record_id else f"Open {kind.collection}"


def _failures_rose(run: _Running) -> bool:
    before = float(run.before.get(BACKEND_FAILURES) or 0)
    return float(run.changes.get(BACKEND_FAILURES, before) or 0) > before


def _factor_named(text: str) -> str:
    """Which knowledge factor a message offered, for the record of how it was checked."""
    answer = read_factors(text)
    if answer.emails:
        return "e-mail address"
    if answer.birthdates:
        return "date of birth"
    return "postcode" if answer.postcodes else "knowledge factor"


def _verification_method(run: _Running) -> str:
    """How this run of the form verified the customer."""
    if run.changes.get(KNOWLEDGE_FACTOR) == FACTOR_CONFIRMED:
        return _factor_named(run.user_text)
    return "signed-in channel"


def _form_outcome(run: _Running) -> Outcome:
    if run.changes.get(VERIFIED_CUSTOMER_ID) and not run.before.get(VERIFIED_CUSTOMER_ID):
        return "ok", f"Identity: verified by {_verification_method(run)}"
    if run.changes.get(VERIFICATION_LOCKED):
        return "failed", ("Identity: not confirmed, the record is locked after too many "
                          "failed attempts; account details withheld")
    if run.changes.get(VERIFICATION_FAILED):
        attempts = int(run.changes.get(VERIFICATION_ATTEMPTS) or 0)
        return "failed", (f"Identity: not confirmed after {attempts} attempts, "
                          f"account details withheld")
    if run.changes.get(BACKEND_ERROR):
        return "failed", f"{_subject(run.before)}: lookup failed, {SYSTEMS_DOWN}"
    return None


def _answer_outcome(run: _Running) -> Outcome:
    subject = _subject(run.before)
    if run.before.get(VERIFICATION_LOCKED):
        return "refused", f"{subject}: not answered, the record is locked"
    if run.before.get(VERIFICATION_FAILED):
        return "refused", f"{subject}: not answered, identity not confirmed"
    if run.before.get(BACKEND_ERROR) or _failures_rose(run):
        return "failed", f"{subject}: not answered, {SYSTEMS_DOWN}"
    if run.changes.get(VERIFIED_CUSTOMER_ID):  # set again only with an answer
        return "ok", f"{subject}: status given"
    if _topic(run.before) is None:
        return "failed", "Request: not answered, the record meant was unclear"
    return "refused", f"{subject}: not answered, not on the customer's account"


def _policy_outcome(run: _Running) -> Outcome:
    if run.intent not in POLICY_ANSWERS:
        return "failed", "Policy question: not recognised"
    subject = run.intent.removeprefix("ask_").replace("_", " ").capitalize()
    if _failures_rose(run):
        return "failed", f"{subject}: not answered, {SYSTEMS_DOWN}"
    return "ok", f"{subject}: answered"


# The actions worth reporting, and how to read their outcome.
OUTCOMES: Dict[str, Callable[[_Running], Outcome]] = {
    "verification_form": _form_outcome,
    "action_answer_request": _answer_outcome,
    "action_answer_policy": _policy_outcome,
    "action_decline_human": lambda run: ("ok", "Person: offer declined, carried on"),
}
# Actions whose success settles something the customer asked.
RESOLVING_ACTIONS = frozenset({"action_answer_request", "action_answer_policy"})


def _states_issue(text: str, intent: Optional[str]) -> bool:
    """False for greetings, small talk and button payloads ("/check_order_status")."""
    return bool(text.strip()) and not text.startswith("/") and \
        intent not in SMALL_TALK_INTENTS and not SMALL_TALK.match(text)


class _Walk:
    """One pass over a session's events, keeping the slots as they were at each step."""

    def __init__(self) -> None:
        self.facts = HandoffFacts()
        self.slots: Dict[str, Any] = {}
        self.running: Optional[_Running] = None
        self.user_text = ""
        self.intent: Optional[str] = None
        self.handlers: Dict[str, Callable[[Mapping[str, Any]], None]] = {
            "user": self._user, "bot": self._bot, "action": self._action, "slot": self._slot}

    def feed(self, event: Mapping[str, Any]) -> None:
        kind = str(event.get("event"))
        if kind in ("user", "action"):
            self._finish_running()
        handler = self.handlers.get(kind)
        if handler is not None:
            handler(event)
        if self.facts.started_at is None and "timestamp" in event:
            self.facts.started_at = _iso(event["timestamp"])

    def _user(self, event: Mapping[str, Any]) -> None:
        text = str(event.get("text") or "")
        parse_data = event.get("parse_data") or {}
        self.intent = (parse_data.get("intent") or {}).get("name")
        self.user_text = text
        self.facts.channel = event.get("input_channel") or self.facts.channel
        if self.intent:
            self.facts.intents.append(self.intent)
        score = (parse_data.get("sentiment") or {}).get("score")
        if isinstance(score, (int, float)):
            self.facts.sentiment.append(max(-1.0, min(1.0, float(score))))
        if self.facts.customer_words is None and _states_issue(text, self.intent):
            self.facts.customer_words, self.facts.issue_intent = mask_pii(text), self.intent
        for kind in TOPICS.values():
            for match in kind.pattern.finditer(text):
                self._touch(kind, f"{kind.prefix}-{match.group(1)}")
        self._say("customer", text, event)

    def _bot(self, event: Mapping[str, Any]) -> None:
        self._say("assistant", str(event.get("text") or ""), event)

    def _say(self, speaker: str, text: str, event: Mapping[str, Any]) -> None:
        if text:
            self.facts.transcript.append(
                {"from": speaker, "text": mask_pii(text), "at": _iso(event["timestamp"])})

    def _action(self, event: Mapping[str, Any]) -> None:
        name = str(event.get("name"))
        if name in OUTCOMES:
            self.running = _Running(name, _iso(event["timestamp"]), dict(self.slots),
                                    self.user_text, self.intent)

    def _slot(self, event: Mapping[str, Any]) -> None:
        name, value = str(event.get("name")), event.get("value")
        self.slots[name] = value
        if self.running is not None:
            self.running.changes[name] = value
        kind = RECORD_SLOTS.get(name)
        record_id = kind.normalize(value) if kind else None
        if kind and record_id:
            self._touch(kind, record_id)

    def _touch(self, kind: RecordKind, record_id: str) -> None:
        touched = self.facts.record_ids[kind.collection]
        if record_id not in touched:
            touched.append(record_id)

    def _finish_running(self) -> None:
        run, self.running = self.running, None
        outcome = OUTCOMES[run.name](run) if run is not None else None
        if run is None or outcome is None:
            return
        result, detail = outcome
        self.facts.actions.append(ActionTaken(run.name, result, detail, run.at))
        if run.name == "verification_form" and result == "ok":
            self.facts.verified_by = _verification_method(run)

    def finish(self) -> HandoffFacts:
        self._finish_running()
        return self.facts


def current_session(events: List[Mapping[str, Any]]) -> List[Mapping[str, Any]]:
    """The events from the last `session_started` on (all of them if there is none)."""
    starts = [i for i, event in enumerate(events) if event.get("event") == "session_started"]
    return events[starts[-1]:] if starts else events


def conversation_facts(events: List[Mapping[str, Any]]) -> HandoffFacts:
    """Transcript, stated issue, intents, actions and their outcomes, touched record
    ids and sentiment scores of the current session, from a tracker's events."""
    walk = _Walk()
    for event in current_session(events):
        walk.feed(event)
    return walk.finish()


# ------------------------------------------------------------------ account snapshot

def empty_snapshot(note: Optional[str]) -> Json:
    return {**{collection: [] for collection in SNAPSHOT_KINDS}, "note": note}


async def _owned_record(collection: str, record_id: str, customer_id: str) -> Optional[Json]:
    """The record if it exists and is the customer's, else None."""
    try:
        record = await backend.call(backend.client().record, collection, record_id)
    except backend.RecordNotFound:
        return None
    return record if record.get("customer_id") == customer_id else None


async def fetch_snapshot(record_ids: Dict[str, List[str]], customer_id: Optional[str]) -> Json:
    """The touched records of a verified customer, read from the backend now.

    Records that do not exist or are someone else's are left out and named in the
    note. A backend failure gives empty lists and a note, never an exception: the
    hand-over must go ahead without them."""
    if not customer_id:
        return empty_snapshot(NOT_VERIFIED_NOTE)
    wanted = [(collection, record_id) for collection in SNAPSHOT_KINDS
              for record_id in record_ids.get(collection, [])]
    try:
        found = await asyncio.gather(*(_owned_record(collection, record_id, customer_id)
                                       for collection, record_id in wanted))
    except backend.BackendError as error:
        logger.warning("hand-over snapshot without records: %s", error)
        return empty_snapshot(BACKEND_DOWN_NOTE)
    snapshot = empty_snapshot(None)
    for (collection, record_id), record in zip(wanted, found):
        if record is not None:
            snapshot[collection].append(record)
    left_out = [record_id for (_, record_id), record in zip(wanted, found) if record is None]
    if left_out:
        snapshot["note"] = (f"Left out, not found or not on this customer's account: "
                            f"{', '.join(left_out)}.")
    return snapshot


def _project(value: Any, definition: Mapping[str, Any]) -> Any:
    """The value with only the fields the schema defines, so the packet carries what the
    contract promises whatever else the backend adds."""
    if isinstance(value, dict) and "properties" in definition:
        return {key: _project(value[key], spec)
                for key, spec in definition["properties"].items() if key in value}
    if isinstance(value, list) and isinstance(definition.get("items"), dict):
        return [_project(item, definition["items"]) for item in value]
    return value


def _account(snapshot: Mapping[str, Any], verified: bool) -> Json:
    if not verified:
        return empty_snapshot(NOT_VERIFIED_NOTE)
    definitions = packet_schema()["$defs"]
    account = empty_snapshot(snapshot.get("note"))
    for collection, kind in SNAPSHOT_KINDS.items():
        account[collection] = [_project(record, definitions[kind.topic])
                               for record in snapshot.get(collection) or []]
    return account


# ------------------------------------------------------------------ the packet

REASON_WORDS = {"negative_emotion": "negative emotion",
                "human_requested": "the customer asked for a person",
                "system_trouble": "system trouble",
                "turn_limit": "no progress after many messages",
                "low_confidence": "the assistant did not understand, repeatedly"}
# The first value of the decision worth quoting, and how.
EVIDENCE: Tuple[Tuple[str, str], ...] = (
    ("score", "score {:.2f}"), ("trend", "trend {:.2f}"), ("phrase", '"{}"'),
    ("backend_failures", "{} backend failures"), ("user_turns", "{} customer messages"),
    ("confidence", "confidence {:.2f}"),
)


def escalation_words(decision: Decision) -> str:
    """'negative emotion (score -0.72)', 'sensitive topic: fraud ("didn't make")'."""
    code = decision.reason_code
    words = REASON_WORDS.get(code) or code.replace("sensitive_topic:", "sensitive topic: ")
    evidence = next((template.format(decision.values[key]) for key, template in EVIDENCE
                     if decision.values.get(key) is not None), None)
    return f"{words} ({mask_pii(evidence)})" if evidence else words


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def sentiment_trend(scores: List[float]) -> str:
    """The latest score against the mean of the earlier ones."""
    if len(scores) < 2:
        return "stable"
    change = scores[-1] - mean(scores[:-1])
    if change > TREND_TOLERANCE:
        return "improving"
    return "worsening" if change < -TREND_TOLERANCE else "stable"


def resolved_items(facts: HandoffFacts) -> List[str]:
    return [action.detail for action in facts.actions
            if action.result == "ok" and action.action in RESOLVING_ACTIONS]


def open_items(facts: HandoffFacts, decision: Decision) -> List[str]:
    """The escalation, what failed or was refused, and the issue if nothing was settled."""
    items = [f"Escalation: {escalation_words(decision)}"]
    items += [action.detail for action in facts.actions if action.result != "ok"]
    if facts.customer_words and not resolved_items(facts):
        items.append(f'Issue not addressed yet: "{_clip(facts.customer_words, QUOTE_LIMIT)}"')
    return items


def _record_mention(kind: RecordKind, record_id: str, account: Mapping[str, Any]) -> str:
    """'order BW-100002 (delayed)': the status now, when the record was fetched."""
    record = next((r for r in account[kind.collection] if r.get("id") == record_id), None)
    status = f" ({str(record['status']).replace('_', ' ')})" if record else ""
    return f"{kind.label} {record_id}{status}"


def _issue_sentence(facts: HandoffFacts, account: Mapping[str, Any], verified: bool) -> str:
    mentioned = [_record_mention(SNAPSHOT_KINDS[collection], record_id, account)
                 for collection, ids in facts.record_ids.items() for record_id in ids]
    if mentioned:
        issue = f"Customer asked about {join_words(mentioned)}"
    elif facts.customer_words:
        issue = f'Customer wrote: "{_clip(facts.customer_words, QUOTE_LIMIT)}"'
    else:
        issue = "Customer did not describe an issue"
    if not verified:
        return f"{issue}. Identity not verified."
    return f"{issue}. Identity verified by {facts.verified_by or 'a trusted channel'}."


def summary(facts: HandoffFacts, decision: Decision, account: Mapping[str, Any],
            verified: bool) -> str:
    """A few sentences a person reads before the transcript."""
    parts = [_issue_sentence(facts, account, verified)]
    resolved = resolved_items(facts)
    if resolved:
        parts.append(f"Done: {'; '.join(resolved)}.")
    not_done = [action.detail for action in facts.actions if action.result != "ok"]
    if not_done:
        parts.append(f"Not done: {'; '.join(not_done)}.")
    parts.append(f"Escalated: {escalation_words(decision)}.")
    return _clip(" ".join(parts), SUMMARY_LIMIT)


def _customer(verified_id: Optional[str], record: Optional[Mapping[str, Any]]) -> Json:
    """Who the customer is, only when proven; a record of anyone else is ignored."""
    if not verified_id:
        return {"verified": False, "customer_id": None, "name": None, "tier": None}
    known = record if record and record.get("id") == verified_id else {}
    name = " ".join(str(known[part]) for part in ("first_name", "last_name") if known.get(part))
    return {"verified": True, "customer_id": verified_id, "name": name or None,
            "tier": known.get("tier")}


def _stated_issue(facts: HandoffFacts, decision: Decision) -> Json:
    """The first statement of the problem; for a sensitive topic said in passing
    ("I'm 84, can someone help me"), the message that raised it."""
    words, intent = facts.customer_words, facts.issue_intent
    if words is None and decision.reason_code.startswith("sensitive_topic:"):
        raised = [m["text"] for m in facts.transcript if m["from"] == "customer"]
        words = raised[-1] if raised else None
        intent = facts.intents[-1] if facts.intents else None
    return {"customer_words": words, "intent": intent}


def tracker_state(tracker: Union[Tracker, Mapping[str, Any]]) -> Mapping[str, Any]:
    """The tracker as the dict Rasa sends to the action server."""
    return tracker.current_state() if isinstance(tracker, Tracker) else tracker


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError(f"now must be timezone-aware, got {now.isoformat()}")
    return now


def build_packet(tracker: Union[Tracker, Mapping[str, Any]], decision: Decision,
                 snapshot: Mapping[str, Any], customer: Optional[Mapping[str, Any]],
                 now: datetime) -> Json:
    """The hand-over packet for a conversation the decision hands to a person.

    `snapshot` is what `fetch_snapshot` returned, `customer` the verified customer's
    record (or None); neither is used unless the tracker shows a verified customer."""
    now = _aware(now)
    state = tracker_state(tracker)
    facts = conversation_facts(list(state.get("events") or []))
    verified_id = (state.get("slots") or {}).get(VERIFIED_CUSTOMER_ID)
    account = _account(snapshot, bool(verified_id))
    created_at = now.isoformat(timespec="seconds")
    channel = facts.channel or state.get("latest_input_channel") or "unknown"
    return {
        "packet_version": PACKET_VERSION,
        "conversation_id": str(state.get("sender_id")),
        "channel": channel,
        "language": ASSISTANT_LANGUAGE,
        "created_at": created_at,
        "conversation_started_at": facts.started_at or created_at,
        "escalation": {"reason_code": decision.reason_code, "rule": decision.rule,
                       # tuples and other sequences as JSON lists
                       "values": json.loads(json.dumps(dict(decision.values)))},
        "customer": _customer(verified_id, customer),
        "stated_issue": _stated_issue(facts, decision),
        "summary": summary(facts, decision, account, bool(verified_id)),
        "actions_taken": [asdict(action) for action in facts.actions],
        "resolved": resolved_items(facts),
        "open_items": open_items(facts, decision),
        "account_snapshot": account,
        "sentiment": {"current": facts.sentiment[-1] if facts.sentiment else 0.0,
                      "trajectory": facts.sentiment, "trend": sentiment_trend(facts.sentiment)},
        "transcript": facts.transcript,
    }


def enrichment(verified_id: str, customer: Optional[Mapping[str, Any]],
               snapshot: Mapping[str, Any]) -> Json:
    """The parts of a verified customer's packet that need the backend, built as
    `build_packet` builds them: sent to the desk when they were read late."""
    return {"customer": _customer(verified_id, customer),
            "account_snapshot": _account(snapshot, True)}


# ------------------------------------------------------------------ the schema

@lru_cache(maxsize=1)
def packet_schema() -> Json:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator() -> Any:
    """The validator of the draft the schema names in $schema, built once."""
    schema = packet_schema()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


def validate_packet(packet: Mapping[str, Any]) -> None:
    """Raise PacketInvalid naming every place where the packet breaks the schema."""
    errors = sorted(_validator().iter_errors(packet), key=lambda error: error.json_path)
    if errors:
        problems = "; ".join(f"{error.json_path}: {error.message}" for error in errors)
        raise PacketInvalid(f"hand-over packet does not match {SCHEMA_PATH.name}: {problems}")
