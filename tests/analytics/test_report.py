"""`make report`'s file: the figures equal the analytics API's for the same days, and
opened in Chromium with every request refused, the plots are drawn (the chart library
and the plots' script are inlined)."""

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Route

from analytics.report import CANVASES, rate
from stack.processes import ROOT
from tests.analytics.dashboard_stack import END, START, scripts
from tests.analytics.test_api import Client, caught_up, serving
from tests.support.browser import browser

TZ = "Europe/Berlin"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Client, Path]]:
    home = tmp_path_factory.mktemp("report")
    for client in serving(home, scripts()):
        caught_up(client)
        yield client, home


def report(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {"ANALYTICS_DATABASE_URL": f"sqlite:///{home / 'analytics.db'}", "PATH": "/usr/bin"}
    return subprocess.run(
        [sys.executable, "-m", "analytics.report", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def written(served: tuple[Client, Path]) -> Path:
    _, home = served
    out = home / "report.html"
    done = report(home, "--out", str(out), "--start", START, "--end", END, "--tz", TZ)
    assert done.returncode == 0, done.stderr
    return out


def test_the_reports_figures_are_the_apis(served: tuple[Client, Path], written: Path) -> None:
    client, _ = served
    page = written.read_text(encoding="utf-8")
    embedded = json.loads(
        re.search(r"<script type='application/json' id='figures'>(.*?)</script>", page, re.S)[1]
    )
    api = client.get(
        "/figures/daily",
        params={"since": embedded["since"], "until": embedded["until"], "tz": TZ},
    ).json()
    assert embedded["days"] == api["days"] and embedded["period"] == api["period"]
    assert [d["day"] for d in api["days"]] == [
        "2025-11-29",
        "2025-11-30",
        "2025-12-01",
        "2025-12-02",
    ]
    # The tables show the same numbers.
    for day in api["days"]:
        row = re.search(rf"<tr data-name='{day['day']}'>(.*?)</tr>", page)[1]
        cells = re.findall(r"<td>(.*?)</td>", row)
        assert cells[1] == str(day["total"]["conversations"])
        assert cells[2] == rate(day["total"]["goal_completion_rate"])
        assert cells[3] == rate(day["total"]["first_contact_resolution_rate"])


def test_the_report_opens_with_no_network_and_draws_its_plots(written: Path) -> None:
    fetched: list[str] = []

    def refuse(route: Route) -> None:
        fetched.append(route.request.url)
        route.abort()

    with browser() as chromium:
        page = chromium.new_page()
        page.route(re.compile(r"^(?!file:).*"), refuse)
        page.goto(written.as_uri())
        for name in CANVASES:
            assert page.get_attribute(f"#chart-{name}", "data-drawn") == "true", name
    assert fetched == []


def test_a_bad_period_or_zone_stops_it_naming_the_argument(served: tuple[Client, Path]) -> None:
    _, home = served
    backwards = report(home, "--start", END, "--end", START)
    assert backwards.returncode == 2 and "--start to --end" in backwards.stderr
    zone = report(home, "--tz", "Mars/Olympus")
    assert zone.returncode == 2 and "--tz" in zone.stderr
