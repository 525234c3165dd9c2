"""Headless Chromium for page tests: Debian's `chromium` driven by Playwright.

Playwright cannot download its own browser build here, so it drives the system
one (`make browser` installs it). Use `browser()` as a session fixture's body and
open one page per test with `browser.new_page()`.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
# Chromium as root (the CI machine) refuses to start without --no-sandbox.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"]


@contextmanager
def browser() -> Iterator[Browser]:
    """A headless Chromium, closed afterwards; fails the test if it is not installed."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()
