"""The dashboard's figures and drill-down lists as CSV for a spreadsheet. A text cell
that a spreadsheet would run as a formula (=, +, -, @, tab, CR first: a REST sender
id may start so) is prefixed with an apostrophe."""

import csv
import io
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FIGURE_COLUMNS = (
    "conversations",
    "attempted",
    "completed",
    "resolved",
    "handed_over",
    "contained",
    "abandoned",
    "open",
    "goal_completion_rate",
    "first_contact_resolution_rate",
    "containment_rate",
    "handover_rate",
    "abandoned_rate",
    "resolved_goals",
    "cost",
    "cost_per_resolution",
    "agent_minutes",
    "agent_cost",
    "satisfaction_answers",
    "satisfaction_mean",
)
CONVERSATION_COLUMNS = (
    "conversation_id",
    "channel",
    "started",
    "outcome",
    "goals",
    "completed",
    "first_contact_resolved",
    "handover_reason",
    "handoff_id",
    "customer_turns",
    "agent_minutes",
    "satisfaction",
    "cost",
)

# The outreach figures (analytics/outreach_figures.py): one row per day and scope.
OUTREACH_COLUMNS = (
    "sent",
    "suppressed",
    "failed",
    "contacted",
    "contacted_came_back",
    "contacted_came_back_rate",
    "held_out",
    "held_out_came_back",
    "held_out_came_back_rate",
    "preventable_contacts",
)
DECISION_COLUMNS = (
    "decision",
    "customer_id",
    "rule",
    "action",
    "reason",
    "channel",
    "group",
    "decided",
    "came_back",
)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


def _written(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return out.getvalue()


def _figure_rows(day: str, figures: Mapping[str, Any], currency: str) -> list[list[Any]]:
    scopes = [("total", "all", figures.get("total") or {})]
    scopes += [("channel", n, f) for n, f in (figures.get("by_channel") or {}).items()]
    scopes += [("journey", n, f) for n, f in (figures.get("by_goal") or {}).items()]
    return [
        [day, scope, name, *(f.get(c) for c in FIGURE_COLUMNS), currency]
        + [_pairs(f.get("handover_reasons")), *[None] * (len(OUTREACH_COLUMNS) + 2)]
        for scope, name, f in scopes
    ]


def _pairs(counts: Mapping[str, Any] | None) -> str:
    return "; ".join(f"{name}={count}" for name, count in (counts or {}).items())


def _outreach_rows(day: str, figures: Mapping[str, Any]) -> list[list[Any]]:
    outreach = figures.get("outreach") or {}
    scopes = [("outreach", "all", outreach.get("total") or {})]
    scopes += [("outreach_rule", n, f) for n, f in (outreach.get("by_rule") or {}).items()]
    blank = [None] * (len(FIGURE_COLUMNS) + 2)  # the conversations' columns
    return [
        [
            day,
            scope,
            name,
            *blank,
            *(f.get(c) for c in OUTREACH_COLUMNS),
            _pairs(f.get("suppressed_reasons")),
            _pairs(f.get("sent_by_channel")),
        ]
        for scope, name, f in scopes
    ]


def figures_csv(found: Mapping[str, Any]) -> str:
    """One row per day (and 'period') and scope: total, each channel, each journey,
    and outreach's in total ('outreach') and per rule ('outreach_rule'), whose numbers
    are in the columns after the conversations'."""
    currency = str(found.get("currency") or "")
    rows = []
    for day, figures in [("period", found.get("period") or {})] + [
        (str(d.get("day")), d) for d in found.get("days") or []
    ]:
        rows += _figure_rows(day, figures, currency) + _outreach_rows(day, figures)
    header = (
        "day",
        "scope",
        "name",
        *FIGURE_COLUMNS,
        "currency",
        "handover_reasons",
        *OUTREACH_COLUMNS,
        "suppressed_reasons",
        "sent_by_channel",
    )
    return _written(header, rows)


def conversations_csv(rows: Iterable[Mapping[str, Any]], zone: ZoneInfo) -> str:
    """One row per conversation, its start in the desk's local time."""

    def started(row: Mapping[str, Any]) -> str:
        at = row.get("started_at")
        if not isinstance(at, int | float):
            return ""
        return datetime.fromtimestamp(at, zone).isoformat(timespec="seconds")

    def value(row: Mapping[str, Any], column: str) -> Any:
        if column == "started":
            return started(row)
        found = row.get(column)
        return " ".join(map(str, found)) if isinstance(found, list) else found

    return _written(
        CONVERSATION_COLUMNS, ([value(row, c) for c in CONVERSATION_COLUMNS] for row in rows)
    )


def decisions_csv(rows: Iterable[Mapping[str, Any]], zone: ZoneInfo) -> str:
    """One row per outreach decision, its time in the desk's local time, the
    conversations in which the customer came back separated by spaces."""

    def value(row: Mapping[str, Any], column: str) -> Any:
        if column == "decided":
            at = row.get("at")
            return (
                datetime.fromtimestamp(at, zone).isoformat(timespec="seconds")
                if isinstance(at, int | float)
                else ""
            )
        found = row.get(column)
        return " ".join(map(str, found)) if isinstance(found, list) else found

    return _written(DECISION_COLUMNS, ([value(row, c) for c in DECISION_COLUMNS] for row in rows))
