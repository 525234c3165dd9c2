"""The outcome record and the escalation decision in an agent's words: the packet's
actions taken, what is resolved and open, and the summary."""

from collections.abc import Mapping, Sequence
from statistics import mean
from typing import Any

from actions import outcomes as o
from actions.packet.account import SNAPSHOT_KINDS
from actions.packet.conversation import Conversation, iso
from actions.records import TOPICS
from actions.redaction import mask_pii
from actions.render import join_words
from escalation.decision import Decision

SUMMARY_LIMIT = 600
QUOTE_LIMIT = 160
TREND_TOLERANCE = 0.15  # a smaller move of the latest score is "stable"
SYSTEMS_DOWN = "our systems did not answer"
# How the packet's schema grades an outcome's result.
PACKET_RESULTS = {
    o.ANSWERED: "ok",
    o.DONE: "ok",
    o.VERIFIED: "ok",
    o.CLARIFIED: "ok",
    o.DECLINED: "ok",
    o.HANDED_OVER: "ok",
    o.REFUSED: "refused",
    o.NOT_FOUND: "refused",
    o.FAILED: "failed",
    o.UNAVAILABLE: "failed",
}
# The results that settle something the customer asked.
RESOLVING = frozenset({o.ANSWERED, o.DONE})
GOAL_KINDS = {goal: TOPICS[topic] for topic, goal in o.TOPIC_GOALS.items()}
REASON_WORDS = {
    "negative_emotion": "negative emotion",
    "human_requested": "the customer asked for a person",
    "system_trouble": "system trouble",
    "turn_limit": "no progress after many messages",
    "low_confidence": "the assistant did not understand, repeatedly",
}
# The first value of the decision worth quoting, and how.
EVIDENCE: tuple[tuple[str, str], ...] = (
    ("score", "score {:.2f}"),
    ("trend", "trend {:.2f}"),
    ("phrase", '"{}"'),
    ("backend_failures", "{} backend failures"),
    ("user_turns", "{} customer messages"),
    ("confidence", "confidence {:.2f}"),
)
Outcome = Mapping[str, Any]


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _subject(outcome: Outcome) -> str:
    """'Order BW-100002', 'Open orders', 'Return policy' or 'Request'."""
    goal, record_id = str(outcome.get("goal")), outcome.get("record")
    kind = GOAL_KINDS.get(goal)
    if kind is not None:
        return f"{kind.label.capitalize()} {record_id}" if record_id else f"Open {kind.collection}"
    if goal.startswith("ask_"):
        return goal.removeprefix("ask_").replace("_", " ").capitalize()
    return "Request"


def _identity_words(outcome: Outcome) -> str:
    result, detail = outcome["result"], outcome.get("detail") or {}
    if result == o.VERIFIED:
        return f"Identity: verified by {detail.get('method', 'a trusted channel')}"
    if result == o.REFUSED:
        return (
            "Identity: not confirmed, the record is locked after too many failed "
            "attempts; account details withheld"
        )
    if detail.get("attempts_left"):
        return f"Identity: answer {detail.get('attempts')} did not match"
    return (
        f"Identity: not confirmed after {detail.get('attempts')} attempts, account details withheld"
    )


def _request_words(outcome: Outcome) -> str:
    result, detail = outcome["result"], outcome.get("detail") or {}
    subject = _subject(outcome)
    if result == o.ANSWERED:
        return (
            f"{subject}: answered"
            if outcome["goal"].startswith("ask_")
            else f"{subject}: status given"
        )
    if result == o.UNAVAILABLE:
        return f"{subject}: not answered, {SYSTEMS_DOWN}"
    if result == o.NOT_FOUND:
        return f"{subject}: not answered, not on the customer's account"
    if result == o.REFUSED:
        reason = (
            "the record is locked" if detail.get("reason") == "locked" else "identity not confirmed"
        )
        return f"{subject}: not answered, {reason}"
    if outcome["action"] == "action_answer_policy":
        return "Policy question: not recognised"
    return "Request: not answered, the record meant was unclear"


def _words(outcome: Outcome) -> str:
    """One outcome in a sentence an agent reads."""
    goal, result = outcome["goal"], outcome["result"]
    if goal == o.VERIFY_IDENTITY:
        return _identity_words(outcome)
    if result == o.CLARIFIED:
        offered = (outcome.get("detail") or {}).get("options") or []
        return (
            f"Asked which of {len(offered)} goals was meant"
            if offered
            else "Asked the customer to rephrase"
        )
    if goal == o.HAND_OVER:
        return {
            o.DECLINED: "Person: offer declined, carried on",
            o.HANDED_OVER: "Hand-over: queued for a person",
        }.get(result, "Hand-over: the desk could not be reached")
    return _request_words(outcome)


def _superseded(index: int, outcome: Outcome, record: Sequence[Outcome]) -> bool:
    """A wrong answer that a later word on the customer's identity replaces."""
    return (
        outcome["goal"] == o.VERIFY_IDENTITY
        and bool((outcome.get("detail") or {}).get("attempts_left"))
        and any(later["goal"] == o.VERIFY_IDENTITY for later in record[index + 1 :])
    )


def actions_taken(record: Sequence[Outcome]) -> list[dict[str, Any]]:
    """The packet's actions taken: each outcome graded and in words."""
    return [
        {
            "action": outcome["action"],
            "result": PACKET_RESULTS[outcome["result"]],
            "detail": _words(outcome),
            "at": iso(float(outcome["at"])),
        }
        for index, outcome in enumerate(record)
        if not _superseded(index, outcome, record)
    ]


def verified_by(record: Sequence[Outcome]) -> str | None:
    """How the customer proved who they are, when the record says so."""
    methods = [
        (outcome.get("detail") or {}).get("method")
        for outcome in record
        if outcome["result"] == o.VERIFIED
    ]
    return methods[-1] if methods else None


def resolved_items(record: Sequence[Outcome]) -> list[str]:
    return [_words(outcome) for outcome in record if outcome["result"] in RESOLVING]


def not_done(record: Sequence[Outcome]) -> list[str]:
    return [taken["detail"] for taken in actions_taken(record) if taken["result"] != "ok"]


def escalation_words(decision: Decision) -> str:
    """'negative emotion (score -0.72)', 'sensitive topic: fraud ("didn't make")'."""
    code = decision.reason_code
    words = REASON_WORDS.get(code) or code.replace("sensitive_topic:", "sensitive topic: ")
    evidence = next(
        (
            template.format(decision.values[key])
            for key, template in EVIDENCE
            if decision.values.get(key) is not None
        ),
        None,
    )
    return f"{words} ({mask_pii(evidence)})" if evidence else words


def open_items(record: Sequence[Outcome], said: Conversation, decision: Decision) -> list[str]:
    """The escalation, what failed or was refused, and the issue if nothing was settled."""
    items = [f"Escalation: {escalation_words(decision)}", *not_done(record)]
    if said.customer_words and not resolved_items(record):
        items.append(f'Issue not addressed yet: "{clip(said.customer_words, QUOTE_LIMIT)}"')
    return items


def sentiment_trend(scores: list[float]) -> str:
    """The latest score against the mean of the earlier ones."""
    if len(scores) < 2:
        return "stable"
    change = scores[-1] - mean(scores[:-1])
    if change > TREND_TOLERANCE:
        return "improving"
    return "worsening" if change < -TREND_TOLERANCE else "stable"


def _mention(collection: str, record_id: str, account: Mapping[str, Any]) -> str:
    """'order BW-100002 (delayed)': the status now, when the record was fetched."""
    found = next((r for r in account[collection] if r.get("id") == record_id), None)
    status = f" ({str(found['status']).replace('_', ' ')})" if found else ""
    return f"{SNAPSHOT_KINDS[collection].label} {record_id}{status}"


def summary(
    record: Sequence[Outcome],
    said: Conversation,
    touched: Mapping[str, list[str]],
    decision: Decision,
    account: Mapping[str, Any],
    verified: bool,
) -> str:
    """A few sentences a person reads before the transcript."""
    mentioned = [
        _mention(collection, record_id, account)
        for collection, ids in touched.items()
        for record_id in ids
    ]
    if mentioned:
        issue = f"Customer asked about {join_words(mentioned)}"
    elif said.customer_words:
        issue = f'Customer wrote: "{clip(said.customer_words, QUOTE_LIMIT)}"'
    else:
        issue = "Customer did not describe an issue"
    identity = (
        f"Identity verified by {verified_by(record) or 'a trusted channel'}."
        if verified
        else "Identity not verified."
    )
    parts = [f"{issue}. {identity}"]
    resolved, failed = resolved_items(record), not_done(record)
    if resolved:
        parts.append(f"Done: {'; '.join(resolved)}.")
    if failed:
        parts.append(f"Not done: {'; '.join(failed)}.")
    parts.append(f"Escalated: {escalation_words(decision)}.")
    return clip(" ".join(parts), SUMMARY_LIMIT)
