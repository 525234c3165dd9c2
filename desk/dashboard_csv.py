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


def _reasons(figures: Mapping[str, Any]) -> str:
    reasons = figures.get("handover_reasons") or {}
    return "; ".join(f"{code}={count}" for code, count in reasons.items())


def _figure_rows(day: str, figures: Mapping[str, Any], currency: str) -> list[list[Any]]:
    scopes = [("total", "all", figures.get("total") or {})]
    scopes += [("channel", n, f) for n, f in (figures.get("by_channel") or {}).items()]
    scopes += [("journey", n, f) for n, f in (figures.get("by_goal") or {}).items()]
    return [
        [day, scope, name, *(f.get(c) for c in FIGURE_COLUMNS), currency, _reasons(f)]
        for scope, name, f in scopes
    ]


def figures_csv(found: Mapping[str, Any]) -> str:
    """One row per day (and 'period') and scope: total, each channel, each journey."""
    currency = str(found.get("currency") or "")
    rows = _figure_rows("period", found.get("period") or {}, currency)
    for day in found.get("days") or []:
        rows += _figure_rows(str(day.get("day")), day, currency)
    header = ("day", "scope", "name", *FIGURE_COLUMNS, "currency", "handover_reasons")
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
