"""The acceptance test of the agent desk, in headless Chromium against the whole
stack: a verified customer asks for a person over REST, an agent signs in to the
desk page, claims the hand-over, reads the packet and replies; the customer gets
the reply on their channel; the agent hands back and the assistant answers the
customer's next question in context, without asking them to verify again."""

import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import browser
from tests.support.crm import customer, first_with
from tests.support.stack import Conversation, Stack, desk_password

ORDER = first_with("orders", status="delayed")
POSTCODE = customer(ORDER["customer_id"])["postcode"]
AGENT = "Dana"
REPLY = "Hi, I'm Dana. I can see your order is delayed; let me chase the carrier."
WAIT_MS = 15_000


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    with browser() as chromium:
        opened = chromium.new_page()
        opened.set_default_timeout(WAIT_MS)
        yield opened


def handoff_of(stack: Stack, chat: Conversation) -> dict[str, Any]:
    listed = stack.agent().get("/api/handoffs").json()
    [handoff] = [h for h in listed if h["conversation_id"] == chat.sender]
    return handoff


def sign_in(page: Page, stack: Stack) -> None:
    """Sign in as the agent in the page: a wrong password first, which the page
    explains, then the right one."""
    stack.agent(AGENT)  # the admin has created the account
    page.goto(f"{stack.config.desk_url}/")
    page.fill("#username", AGENT)
    page.fill("#password", "not-the-password")
    page.click("#signin-submit")
    expect(page.get_by_test_id("signin-error")).to_have_text("wrong username or password")
    page.fill("#password", desk_password(AGENT))
    page.click("#signin-submit")
    expect(page.get_by_test_id("who")).to_have_text(f"Signed in as {AGENT}")


def test_an_agent_takes_over_and_hands_back(stack: Stack, chat: Conversation, page: Page) -> None:
    assert "postcode" in chat.say(f"where is my order {ORDER['id']}")
    assert "delayed" in chat.say(POSTCODE)
    chat.say("I want to talk to a person")
    handoff = handoff_of(stack, chat)
    assert stack.tracker(chat.sender)["paused"] is True

    sign_in(page, stack)
    page.locator(f'[data-testid="handoff-row"][data-id="{handoff["id"]}"]').click()
    expect(page.get_by_test_id("packet-reason")).to_have_text(
        "The customer asked to speak to a person."
    )
    expect(page.get_by_test_id("packet-customer")).to_contain_text(ORDER["customer_id"])
    expect(page.get_by_test_id("packet-summary")).to_contain_text(ORDER["id"])
    expect(page.get_by_test_id("packet-snapshot")).to_contain_text("delayed")
    expect(page.get_by_test_id("packet-transcript")).to_contain_text("talk to a person")

    page.get_by_test_id("claim").click()
    expect(page.get_by_test_id("handoff-status")).to_have_text(f"claimed ({AGENT})")
    since = time.time()
    page.fill("#reply-text", REPLY)
    page.get_by_test_id("reply-send").click()
    expect(page.get_by_test_id("conversation")).to_contain_text(REPLY)
    sent = page.locator('[data-testid="message"][data-from="agent"]').filter(has_text=REPLY)
    # The REST client has not fetched it yet.
    expect(sent).to_have_attribute("data-delivery", "waiting")
    expect(sent).to_contain_text("waiting for the customer")

    # The customer's channel delivers the reply, marked as the agent's.
    [reply] = [m for m in chat.poll(since)["messages"] if m["text"] == REPLY]
    assert reply["agent"] == AGENT
    expect(sent).to_have_attribute("data-delivery", "delivered", timeout=15_000)
    # The customer answers the person; the assistant keeps quiet, the agent sees it.
    assert chat.send("thank you, please do") == []
    expect(page.get_by_test_id("conversation")).to_contain_text("thank you, please do")

    page.get_by_test_id("hand-back").click()
    expect(page.get_by_test_id("handoff-status")).to_have_text(f"handed back ({AGENT})")
    assert stack.tracker(chat.sender)["paused"] is False
    answer = chat.say(f"where is my order {ORDER['id']} now?")
    assert "delayed" in answer and ORDER["id"] in answer
    assert "postcode" not in answer

    page.check("#rating-no")
    page.fill("#rating-missing", "the carrier's tracking link")
    page.get_by_test_id("rating-send").click()
    expect(page.get_by_test_id("rating-state")).to_contain_text("the carrier's tracking link")
    rating = stack.agent().get(f"/api/handoffs/{handoff['id']}").json()["rating"]
    assert rating == {
        **rating,
        "had_what_i_needed": False,
        "rated_by": AGENT,
        "missing": "the carrier's tracking link",
    }

    # Signing out ends the session: the page asks to sign in again, even after a reload.
    page.click("#signout")
    expect(page.get_by_test_id("signin")).to_be_visible()
    page.reload()
    expect(page.get_by_test_id("signin")).to_be_visible()
    expect(page.get_by_test_id("who")).to_have_text("")
