"""The supervisors' dashboard in headless Chromium: a supervisor signs in on the desk,
opens the dashboard and sees the plots drawn (Chart.js on every canvas, nothing
blocked by the page's content security policy), drills from a number to its
conversations and from a hand-over to the desk's view of it; a plain agent is
refused and the page says so. `DASHBOARD_SCREENSHOT=<path>` keeps a screenshot."""

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.analytics.dashboard_stack import END, START, Dashboard, dashboard
from tests.support.browser import browser
from tests.support.stack import desk_password

WAIT_MS = 15_000
CANVASES = (
    "chart-rates",
    "chart-cost",
    "chart-channels",
    "chart-journeys",
    "chart-reasons",
    "chart-funnels",
    "chart-outreach",  # no outreach here: its axes (tests/analytics/test_outreach_figures.py)
    "chart-holdout",
)


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    with dashboard(tmp_path_factory.mktemp("dashboard-browser")) as running:
        yield running


@pytest.fixture
def page() -> Iterator[Page]:
    with browser() as chromium:
        opened = chromium.new_page(viewport={"width": 1280, "height": 1000})
        opened.set_default_timeout(WAIT_MS)
        yield opened


def sign_in(page: Page, board: Dashboard, name: str, role: str) -> list[str]:
    """Signed in on the desk's page; the script errors and refusals (a CSP refusal
    shows in the console) from then on; a refused request (401 before signing in)
    is the page's own business."""
    board.account(name, role)
    errors: list[str] = []
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{board.desk.url}/")
    page.fill("#username", name)
    page.fill("#password", desk_password(name))
    page.click("#signin-submit")
    expect(page.get_by_test_id("who")).to_have_text(f"Signed in as {name}")
    return errors


def painted(page: Page, testid: str) -> bool:
    """Whether the canvas holds drawn pixels (not only a blank bitmap)."""
    return page.get_by_test_id(testid).evaluate(
        """canvas => {
            const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
            return false;
        }"""
    )


def test_a_supervisor_sees_the_plots_and_drills_down(page: Page, board: Dashboard) -> None:
    errors = sign_in(page, board, "Sofia", "supervisor")
    page.get_by_test_id("dashboard-link").click()
    expect(page.get_by_test_id("dashboard")).to_be_visible()
    page.fill("#start", START)
    page.fill("#end", END)
    page.click("#period button[type=submit]")
    expect(page.locator('[data-testid="by-day"] [data-testid="figure-row"]')).to_have_count(4)
    for canvas in CANVASES:
        expect(page.get_by_test_id(canvas)).to_have_attribute("data-drawn", "true")
        assert painted(page, canvas), canvas
    assert page.evaluate("typeof window.Chart") == "function"
    assert not errors, errors
    if os.environ.get("DASHBOARD_SCREENSHOT"):
        page.screenshot(path=os.environ["DASHBOARD_SCREENSHOT"], full_page=True)

    # The hand-over rate on WhatsApp lists the fraud hand-over, linked to the desk's view.
    whatsapp = page.locator('[data-testid="by-channel"] [data-name="WhatsApp"]')
    whatsapp.locator('[data-rate="handover_rate"] button').click()
    expect(page.get_by_test_id("drill-title")).to_contain_text("handed over, on WhatsApp")
    rows = page.get_by_test_id("drill-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-conversation", "erin")
    expect(rows.first.get_by_test_id("drill-handoff")).to_have_attribute(
        "href", "/#handoff=H-fraud-1"
    )
    expect(page.get_by_test_id("drill-count")).to_have_text("1 of 1")

    # A step of a journey's funnel lists those who reached it.
    answered = page.locator(
        '[data-testid="funnel-row"][data-journey="check_order_status"][data-step="answered"]'
    )
    answered.get_by_role("button").click()
    expect(page.get_by_test_id("drill-title")).to_contain_text("reached answered")
    expect(rows).to_have_count(2)


def test_a_plain_agent_is_refused_and_the_page_says_so(page: Page, board: Dashboard) -> None:
    sign_in(page, board, "Dana", "agent")
    expect(page.get_by_test_id("dashboard-link")).to_be_hidden()
    with page.expect_response(lambda r: "/api/dashboard/figures" in r.url) as answer:
        page.goto(f"{board.desk.url}/dashboard")
    assert answer.value.status == 403
    expect(page.get_by_test_id("refused")).to_have_text(
        "Only supervisors see the dashboard: this needs the supervisor role; you are agent."
    )
    expect(page.get_by_test_id("dashboard")).to_be_hidden()
    assert page.evaluate("document.querySelectorAll('[data-drawn]').length") == 0
