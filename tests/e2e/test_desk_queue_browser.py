"""The desk an agent can work from (issue #19 point 4), in headless Chromium against
the whole stack: a verified customer asks about an order, is unsure, taps one of
the assistant's options and asks for a person; a WhatsApp hand-over waits beside
it. The agent filters the queue by channel, finds the conversation by search,
opens it and reads the reason in words, the transcript as the customer saw it (the
option's title, never its `/intent` payload), the channel's name and local times.

`DESK_SCREENSHOT=docs/desk-packet-view.png` keeps the packet view's screenshot
there (the README shows it); otherwise it goes to the test's temporary directory.
"""

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Page, expect

from desk.plain import DOMAIN_FILE, clarify_labels
from tests.desk.support import packet
from tests.support.browser import browser
from tests.support.crm import customer, first_with
from tests.support.stack import Conversation, DeskClient, Stack, desk_password

ORDER = first_with("orders", status="delayed")
POSTCODE = customer(ORDER["customer_id"])["postcode"]
UNSURE = "order, claim, invoice, whatever"  # the NLU is unsure: the assistant offers options
SUPERVISOR = "Sofia"
WAIT_MS = 15_000


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    with browser() as chromium:
        opened = chromium.new_page(viewport={"width": 1280, "height": 1000})
        opened.set_default_timeout(WAIT_MS)
        yield opened


def rows(page: Page) -> object:
    return page.get_by_test_id("handoff-row")


def test_the_queue_and_the_packet_in_plain_words(
    stack: Stack, chat: Conversation, page: Page, tmp_path: Path
) -> None:
    assert "postcode" in chat.say(f"where is my order {ORDER['id']}")
    assert "delayed" in chat.say(POSTCODE)
    buttons = chat.send(UNSURE)[0].get("buttons") or []
    payloads = [button["payload"] for button in buttons]
    assert payloads, "the assistant offered no options"
    tapped = "/check_claim_status" if "/check_claim_status" in payloads else payloads[0]
    title = clarify_labels(yaml.safe_load(DOMAIN_FILE.read_text()))[tapped[1:]]
    chat.say(tapped)
    chat.say("I want to talk to a person")
    robot = DeskClient(stack.config.desk_url, stack.config.desk_integration_token)
    whatsapp = {**packet(), "channel": "twilio"}
    assert robot.post("/api/handoffs", json=whatsapp).status_code == 201

    stack.agent(SUPERVISOR, "supervisor")
    page.goto(f"{stack.config.desk_url}/")
    page.fill("#username", SUPERVISOR)
    page.fill("#password", desk_password(SUPERVISOR))
    page.click("#signin-submit")
    expect(page.get_by_test_id("who")).to_have_text(f"Signed in as {SUPERVISOR}")

    # Every row says its channel, its age and why, in words.
    mine = page.locator(f'[data-testid="handoff-row"][data-conversation="{chat.sender}"]')
    expect(mine.get_by_test_id("row-channel")).to_have_text("API")
    expect(mine.get_by_test_id("row-age")).to_have_text(re.compile(r"just now|\d+ min ago"))
    expect(mine.get_by_test_id("row-why")).to_have_text("The customer asked to speak to a person.")
    theirs = page.locator(
        f'[data-testid="handoff-row"][data-conversation="{whatsapp["conversation_id"]}"]'
    )
    expect(theirs.get_by_test_id("row-channel")).to_have_text("WhatsApp")

    # The channel filter is applied by the desk: only WhatsApp rows, then only API rows.
    page.select_option("#channel-filter", "twilio")
    expect(mine).to_have_count(0)
    expect(theirs).to_have_count(1)
    expect(
        page.locator('[data-testid="handoff-row"]:not([data-channel="WhatsApp"])')
    ).to_have_count(0)
    page.select_option("#channel-filter", "rest")
    expect(theirs).to_have_count(0)
    expect(page.locator('[data-testid="handoff-row"]:not([data-channel="API"])')).to_have_count(0)
    page.fill("#search", chat.sender)
    expect(rows(page)).to_have_count(1)
    expect(mine).to_have_count(1)

    mine.click()
    expect(page.get_by_test_id("packet-reason")).to_have_text(
        "The customer asked to speak to a person."
    )
    expect(page.get_by_test_id("handoff-channel")).to_have_text("API")
    expect(page.get_by_test_id("handoff-received")).to_have_text(re.compile(r"\d\d:\d\d CES?T$"))
    expect(page.get_by_test_id("handoff-age")).to_have_text(re.compile(r"just now|\d+ min ago"))
    transcript = page.get_by_test_id("packet-transcript")
    expect(transcript).to_contain_text(title)
    expect(transcript).to_contain_text("tapped a button")
    expect(transcript).to_contain_text("I want to talk to a person")
    expect(transcript).not_to_contain_text("/check")
    expect(transcript).not_to_contain_text(tapped)
    expect(transcript.locator(".meta").first).to_have_text(re.compile(r"Customer · .* CES?T"))
    expect(page.get_by_test_id("packet-customer")).to_contain_text(ORDER["customer_id"])
    expect(page.get_by_test_id("packet-snapshot")).to_contain_text(ORDER["id"])
    expect(page.get_by_test_id("packet")).not_to_contain_text("+00:00")

    shot = Path(os.environ.get("DESK_SCREENSHOT") or tmp_path / "desk-packet-view.png")
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000

    # A supervisor closes it from the queue with a reason: closed, and the assistant
    # answers the customer again.
    mine.get_by_test_id("select").check()
    page.fill("#bulk-reason", "test conversation")
    page.get_by_test_id("bulk-close").click()
    expect(page.get_by_test_id("bulk-state")).to_have_text("Closed 1.")
    expect(mine.locator(".status")).to_have_text("closed")
    assert stack.tracker(chat.sender)["paused"] is False
