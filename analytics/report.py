"""`make report`: the supervisors' dashboard's figures and plots as one self-contained
HTML file, for a lead without access to the desk: the same per-day figures as
`GET /figures/daily` (analytics/dashboard.py over the analytics store), the numbers
as tables, and the plots drawn by the desk's charts.js with Chart.js, both inlined
(nothing is fetched when it is opened).

    python -m analytics.report [--out var/report.html] [--start 2026-11-01]
                               [--end 2026-11-30] [--tz Europe/Berlin]

It reads ANALYTICS_DATABASE_URL as the analytics service last folded it and
ANALYTICS_METRICS_FILE (their defaults as the service's); exit status 2 names a bad
argument or a missing piece.
"""

import argparse
import html
import json
import os
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.exc import SQLAlchemyError

from analytics.dashboard import daily
from analytics.metrics_config import MetricsConfigError, load_metrics_config
from analytics.outreach_figures import decisions_of
from analytics.settings import ROOT, Settings
from analytics.store import decisions_between, sessions_between
from common.database import create_db_engine

CHART_LIBRARY = ROOT / "var" / "chartjs" / "chart.umd.min.js"  # `make chartjs`
CHARTS_SCRIPT = ROOT / "desk" / "static" / "charts.js"  # the dashboard's plots
MAX_DAYS = 92
DAY = 86400.0
RATES = (
    ("goal_completion_rate", "Goal completion"),
    ("first_contact_resolution_rate", "First-contact resolution"),
    ("containment_rate", "Containment"),
    ("handover_rate", "Hand-over rate"),
    ("abandoned_rate", "Abandoned"),
)
CANVASES = ("rates", "cost", "channels", "journeys", "reasons", "funnels", "outreach", "holdout")
CAPTIONS = (
    "Per day: goal completion, first-contact resolution, containment, hand-over rate",
    "Per day: cost per resolution",
    "Per channel",
    "Per journey",
    "Why conversations were handed over",
    "Step funnels of the multi-step journeys",
    "Per day: outreach sent, suppressed and failed",
    "Per outreach rule: came back about it on their own, contacted vs held out",
)
DRAW = (
    f"const names = {json.dumps(CANVASES)};"
    """
const canvases = Object.fromEntries(names.map((n) => [n, document.getElementById(`chart-${n}`)]));
FigureCharts.draw(JSON.parse(document.getElementById("figures").textContent), canvases, () => {});
"""
)
OUTREACH_HEAD = (
    "Sent",
    "Suppressed",
    "Failed",
    "Suppressed for",
    "Contacted",
    "Came back",
    "Held out",
    "Came back",
    "Preventable contacts",
)
STYLE = """
body { font: 15px/1.4 system-ui, sans-serif; margin: 2em; color: #1d2330; }
.plots { display: grid; grid-template-columns: repeat(auto-fit, minmax(28em, 1fr)); gap: 1em; }
.plot { position: relative; height: 16em; } figure { margin: 0; }
table { border-collapse: collapse; font-size: .85em; margin: .5em 0 1.5em; }
td, th { border: 1px solid #dde; padding: .2em .4em; text-align: left; }
caption { text-align: left; font-weight: 600; }
"""


class ReportError(ValueError):
    """The report cannot be written; the message says why."""


def rate(value: float | None) -> str:
    """0.3333 -> '33.3 %'; no value -> '–' (the dashboard's wording)."""
    return "–" if value is None else f"{round(value * 1000) / 10:g} %"


def money(value: float | None, currency: str) -> str:
    return "–" if value is None else f"{value:.2f} {currency}"


def agent_time(figures: dict[str, Any], currency: str) -> str:
    """'12.5 min, 6.25 EUR' (the desk's claim-to-close times); '–' for a journey."""
    if "agent_minutes" not in figures:
        return "–"
    return f"{figures['agent_minutes']:g} min, {money(figures['agent_cost'], currency)}"


def satisfaction(figures: dict[str, Any]) -> str:
    """'4.25 of 5 (4 answers)' (the dashboard's wording); '–' without answers."""
    answers = figures.get("satisfaction_answers") or 0
    return f"{figures['satisfaction_mean']:.2f} of 5 ({answers} answers)" if answers else "–"


def _script(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        raise ReportError(f"{path} is missing (`make chartjs` fetches the chart library)") from None
    if "</script" in text.lower():
        raise ReportError(f"{path} cannot be inlined: it holds a closing script tag")
    return text


def _table(caption: str, first: str, rows: list[tuple[str, dict[str, Any]]], currency: str) -> str:
    head = [
        first,
        "Conversations",
        *(label for _, label in RATES),
        "Cost per resolution",
        "Agent time",
        "Satisfaction",
    ]
    cells = [
        [
            name,
            str(f.get("conversations", f.get("attempted"))),
            *(rate(f.get(key)) for key, _ in RATES),
            money(f.get("cost_per_resolution"), currency),
            agent_time(f, currency),
            satisfaction(f),
        ]
        for name, f in rows
    ]
    header = "".join(f"<th scope='col'>{html.escape(h)}</th>" for h in head)
    body = "".join(
        f"<tr data-name='{html.escape(row[0])}'>"
        + "".join(f"<td>{html.escape(cell)}</td>" for cell in row)
        + "</tr>"
        for row in cells
    )
    return f"<table><caption>{html.escape(caption)}</caption><tr>{header}</tr>{body}</table>"


def _funnels(funnels: dict[str, Any]) -> str:
    head = "".join(
        f"<th scope='col'>{h}</th>" for h in ("Journey", "Step", "Reached", "Of entered", "Dropped")
    )
    rows = "".join(
        f"<tr data-funnel='{html.escape(journey)}'><td>{html.escape(journey)}</td>"
        f"<td>{index + 1}. {html.escape(step['step'])}</td><td>{step['reached']}</td>"
        f"<td>{rate(step['rate'])}</td><td>{step['dropped']}</td></tr>"
        for journey, funnel in funnels.items()
        for index, step in enumerate(funnel["steps"])
    )
    return f"<table><caption>Step funnels</caption><tr>{head}</tr>{rows}</table>"


def _pairs(counts: dict[str, Any] | None) -> str:
    return ", ".join(f"{name}: {count}" for name, count in (counts or {}).items()) or "–"


def _back(figures: dict[str, Any], group: str) -> str:
    """'1 (33.3 %)': how many of the group came back, and their share."""
    return f"{figures[group + '_came_back']} ({rate(figures[group + '_came_back_rate'])})"


def _outreach(caption: str, first: str, rows: list[tuple[str, dict[str, Any]]]) -> str:
    """Outreach's figures (analytics/outreach_figures.py), a row per day or rule."""
    head = "".join(f"<th scope='col'>{html.escape(h)}</th>" for h in (first, *OUTREACH_HEAD))
    body = "".join(
        f"<tr data-outreach='{html.escape(name)}'>"
        + "".join(
            f"<td>{html.escape(str(cell))}</td>"
            for cell in (
                name,
                f["sent"],
                f["suppressed"],
                f["failed"],
                _pairs(f["suppressed_reasons"]),
                f["contacted"],
                _back(f, "contacted"),
                f["held_out"],
                _back(f, "held_out"),
                "–" if f["preventable_contacts"] is None else f["preventable_contacts"],
            )
        )
        + "</tr>"
        for name, f in rows
    )
    return f"<table><caption>{html.escape(caption)}</caption><tr>{head}</tr>{body}</table>"


def render(found: dict[str, Any], title: str) -> str:
    """The whole HTML page for a /figures/daily answer."""
    currency = str(found["currency"])
    period = found["period"]
    data = json.dumps(found, ensure_ascii=True).replace("</", "<\\/")
    plots = "".join(
        f"<figure><figcaption>{html.escape(caption)}</figcaption><div class='plot'>"
        f"<canvas id='chart-{name}' role='img' aria-label='{html.escape(caption)}'></canvas>"
        "</div></figure>"
        for name, caption in zip(CANVASES, CAPTIONS, strict=True)
    )
    reasons = period["total"].get("handover_reasons") or {}
    tables = "".join(
        [
            _table("The period", "Scope", [("all", period["total"])], currency),
            _table("Per day", "Day", [(d["day"], d["total"]) for d in found["days"]], currency),
            _table("Per channel", "Channel", list(period["by_channel"].items()), currency),
            _table("Per journey", "Journey", list(period["by_goal"].items()), currency),
            "<table><caption>Hand-over reasons</caption>"
            + "".join(
                f"<tr><td>{html.escape(code)}</td><td>{count}</td></tr>"
                for code, count in reasons.items()
            )
            + "</table>",
            _funnels(period.get("funnels") or {}),
            _outreach(
                "Outreach per day",
                "Day",
                [("all", period["outreach"]["total"])]
                + [(d["day"], d["outreach"]["total"]) for d in found["days"]],
            ),
            _outreach("Outreach per rule", "Rule", list(period["outreach"]["by_rule"].items())),
        ]
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f"<p>Days in {html.escape(found['tz'])}; a conversation counts on the day it started."
        f" Written {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.</p>"
        f"<section class='plots'>{plots}</section>{tables}"
        f"<script type='application/json' id='figures'>{data}</script>"
        f"<script>{_script(CHART_LIBRARY)}</script>"
        f"<script>{_script(CHARTS_SCRIPT)}</script><script>{DRAW}</script>"
        "</body></html>"
    )


def figures_of(database_url: str, metrics_file: Path, start: date, end: date, tz: str) -> dict:
    """The /figures/daily answer for the local days start..end of tz, from the store."""
    zone = ZoneInfo(tz)
    after = end + timedelta(days=1)
    since = datetime(start.year, start.month, start.day, tzinfo=zone).timestamp()
    until = datetime(after.year, after.month, after.day, tzinfo=zone).timestamp()
    config = load_metrics_config(metrics_file)
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            later = sessions_between(
                connection, since, until + config.first_contact_resolution_days * DAY
            )
            decisions = decisions_of(decisions_between(connection, since, until))
    except SQLAlchemyError as error:
        raise ReportError(
            f"cannot read the analytics store ({type(error).__name__}): has the analytics "
            "service (make run) run yet?"
        ) from None
    finally:
        engine.dispose()
    period = [s for s in later if s.started_at < until]
    found = daily(period, later, config, time.time(), since, until, zone, decisions)
    return {"since": since, "until": until, "tz": tz, **found}


def _default(name: str, variable: str) -> Any:
    return os.environ.get(variable) or Settings.__fields__[name].default


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analytics.report", description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "report.html")
    parser.add_argument("--start", type=date.fromisoformat, help="first day (default: a week ago)")
    parser.add_argument(
        "--end", type=date.fromisoformat, help="last day, included (default: today)"
    )
    parser.add_argument("--tz", default="UTC", help="the days' IANA time zone (default UTC)")
    args = parser.parse_args(argv)
    try:
        zone = ZoneInfo(args.tz)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        print(f"report: --tz {args.tz!r} is not an IANA time zone", file=sys.stderr)
        return 2
    end = args.end or datetime.now(zone).date()
    start = args.start or end - timedelta(days=6)
    if not start <= end < start + timedelta(days=MAX_DAYS):
        print(f"report: --start to --end: at most {MAX_DAYS} days, start first", file=sys.stderr)
        return 2
    try:
        found = figures_of(
            _default("database_url", "ANALYTICS_DATABASE_URL"),
            Path(_default("metrics_file", "ANALYTICS_METRICS_FILE")),
            start,
            end,
            args.tz,
        )
        page = render(found, f"Brightwave outcome report, {start} to {end}")
    except (ReportError, MetricsConfigError) as error:
        print(f"report: {error}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(page, encoding="utf-8")
    print(f"report: {args.out} ({start} to {end}, {len(page) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
