"""The web chat page as customers see it, in headless Chromium at a phone's and a
desktop's size over socket.io to the real Rasa: the conversation fills the
viewport, the header, the newest message and the input stay in view after every
turn, a screen reader hears each reply and finds the input and the send button by
name, and an agent's message shows who wrote it.

Set WEBCHAT_SCREENSHOT_DIR to keep a screenshot of each width after the conversation
(docs/webchat-390.png, docs/webchat-1280.png and docs/webchat-agent-390.png
come from that)."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Locator, Page, expect

from connectors.webchat.sessions import SessionTokens
from tests.support.browser import browser
from tests.support.crm import customer, first_with
from tests.support.stack import API_TOKEN, Stack

WAIT_MS = 30_000
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
REPLIES = ".rw-messages-container .rw-message:not(.rw-typing-indication) .rw-response"
MESSAGES = ".rw-messages-container .rw-message:not(.rw-typing-indication)"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with browser() as launched:
        yield launched


def open_chat(chromium: Browser, stack: Stack, viewport: dict[str, int]) -> Page:
    page = chromium.new_context(viewport=viewport).new_page()  # type: ignore[arg-type]
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.csp_refusals = refused  # type: ignore[attr-defined]
    page.goto(f"{stack.config.rasa_url}/webhooks/socketio/chat")
    expect(page.locator(REPLIES).first).to_contain_text("Brightwave", timeout=WAIT_MS)
    settled(page)
    return page


def settled(page: Page) -> None:
    """Wait until the widget shows no 'typing' bubble (the turn's replies are all out)."""
    expect(page.locator(".rw-typing-indication")).to_have_count(0, timeout=WAIT_MS)


def message_box(page: Page) -> Locator:
    return page.get_by_role("textbox", name="Your message")


def send(page: Page, text: str, with_button: bool = False) -> None:
    """Type a message, send it with Enter or the send button, wait for the replies."""
    before = page.locator(REPLIES).count()
    message_box(page).fill(text)
    if with_button:
        page.get_by_role("button", name="Send message").click()
    else:
        message_box(page).press("Enter")
    page.wait_for_function(
        "([selector, n]) => document.querySelectorAll(selector).length > n",
        arg=[REPLIES, before],
        timeout=WAIT_MS,
    )
    settled(page)


def inside_viewport(page: Page, element: Locator) -> bool:
    box = element.bounding_box()
    size = page.viewport_size
    assert box is not None and size is not None
    return (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"]
        and box["y"] + box["height"] <= size["height"]
    )


def assert_usable(page: Page) -> None:
    """What must hold after every turn, at any width."""
    header = page.get_by_role("banner")
    expect(header).to_be_visible()
    assert inside_viewport(page, header)
    assert inside_viewport(page, message_box(page)), "the input is out of view"
    assert inside_viewport(page, page.locator(MESSAGES).last), "the newest message is out of view"
    send_button = page.get_by_role("button", name="Send message")
    expect(send_button).to_have_count(1)
    assert inside_viewport(page, send_button)
    last_reply = page.locator(REPLIES).last.locator(".rw-message-text").inner_text().strip()
    live = page.locator("[aria-live=polite]")
    expect(live).to_have_count(1)
    expect(live).to_contain_text(last_reply.split("\n")[0])
    expect(message_box(page)).to_be_focused()
    assert (
        page.evaluate("() => document.documentElement.scrollHeight") <= page.viewport_size["height"]
    ), "the page itself scrolls"  # type: ignore[index]


def screenshot(page: Page, name: str) -> None:
    """Keep a screenshot for the docs when WEBCHAT_SCREENSHOT_DIR is set."""
    keep = os.environ.get("WEBCHAT_SCREENSHOT_DIR")
    if keep:
        page.screenshot(path=str(Path(keep) / name))


def conversation(stack: Stack, page: Page) -> str:
    token = page.evaluate(
        "() => JSON.parse(window.localStorage.getItem('chat_session')).session_id"
    )
    return SessionTokens(stack.config.webchat_secret).conversation(token)


def agent_says(stack: Stack, conversation_id: str, agent: str, text: str) -> None:
    """The desk's message as it reaches Rasa: a bot event carrying the agent's name,
    sent on the customer's latest channel."""
    response = requests.post(
        f"{stack.config.rasa_internal_url}/conversations/{conversation_id}/tracker/events",
        params={"token": API_TOKEN, "execute_side_effects": "true", "output_channel": "latest"},
        json=[{"event": "bot", "text": text, "metadata": {"agent": agent}}],
        timeout=60,
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1280px"])
def test_the_conversation_header_and_input_stay_in_view_after_every_turn(
    chromium: Browser, channel_stack: Stack, viewport: dict[str, int]
) -> None:
    order = first_with("orders", status="delayed")
    owner = customer(order["customer_id"])
    page = open_chat(chromium, channel_stack, viewport)
    assert_usable(page)  # the greeting is in view and the input is ready to type in
    send(page, f"where is my order {order['id']}")
    assert_usable(page)
    send(page, owner["postcode"], with_button=True)  # focus goes back to the input
    expect(page.locator(REPLIES).last).to_contain_text(order["id"])
    assert_usable(page)
    send(page, "order, claim, invoice, whatever")
    assert_usable(page)
    option = page.locator(".rw-reply").first
    before = page.locator(REPLIES).count()
    option.click()
    page.wait_for_function(
        "([selector, n]) => document.querySelectorAll(selector).length > n",
        arg=[REPLIES, before],
        timeout=WAIT_MS,
    )
    settled(page)
    assert_usable(page)
    overflows, at_end = page.evaluate("""() => {
        const list = document.querySelector('.rw-messages-container');
        return [list.scrollHeight > list.clientHeight,
                list.scrollTop + list.clientHeight >= list.scrollHeight - 2]; }""")
    assert at_end, "the message list is not scrolled to the newest message"
    if viewport == PHONE:  # on a phone this conversation is longer than the screen
        assert overflows
    assert page.csp_refusals == [] or all(  # type: ignore[attr-defined]
        "fonts.googleapis.com" in refusal for refusal in page.csp_refusals
    )  # type: ignore
    screenshot(page, f"webchat-{viewport['width']}.png")
    page.context.close()


def test_an_agents_message_shows_the_agents_name_also_after_a_reload(
    chromium: Browser, channel_stack: Stack
) -> None:
    page = open_chat(chromium, channel_stack, PHONE)
    send(page, "I want to talk to a person")
    expect(page.locator(".rw-agent")).to_have_count(0)  # the assistant is not a person
    text = "Hi, I'm Dana from the Brightwave team. I'm looking at your order now."
    agent_says(channel_stack, conversation(channel_stack, page), "Dana", text)
    bubble = page.locator(".rw-response.rw-agent")
    expect(bubble).to_have_count(1, timeout=WAIT_MS)
    expect(bubble.locator(".rw-agent-name")).to_have_text("Dana, Brightwave team")
    expect(bubble.locator(".rw-message-text")).to_have_text(text)
    settled(page)
    assert inside_viewport(page, bubble)
    expect(page.locator("[aria-live=polite]")).to_contain_text(f"Dana, Brightwave team: {text}")
    screenshot(page, "webchat-agent-390.png")
    page.reload()
    expect(page.locator(".rw-response.rw-agent .rw-agent-name")).to_have_text(
        "Dana, Brightwave team", timeout=WAIT_MS
    )
    page.context.close()


def test_the_page_has_no_inline_code_and_its_stylesheet_comes_with_the_policy(
    channel_stack: Stack,
) -> None:
    base = f"{channel_stack.config.rasa_url}/webhooks/socketio"
    html = requests.get(f"{base}/chat", timeout=10).text
    assert "<style" not in html and " style=" not in html
    assert html.count("<script") == html.count("<script src=")
    sheet = requests.get(f"{base}/chat.css", timeout=10)
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/css")
    assert "default-src 'self'" in sheet.headers["Content-Security-Policy"]
    assert sheet.headers["X-Content-Type-Options"] == "nosniff"


def test_an_agents_reply_written_after_the_tab_closed_is_there_when_the_customer_returns(
    chromium: Browser, channel_stack: Stack
) -> None:
    page = open_chat(chromium, channel_stack, PHONE)
    send(page, "I want to talk to a person")
    conversation_id = conversation(channel_stack, page)
    kept = page.context.storage_state()  # the browser's localStorage: token and messages
    page.context.close()  # the customer closes the tab
    text = "Hi, it's Sam from the Brightwave team: your refund went out this morning."
    agent_says(channel_stack, conversation_id, "Sam", text)

    returned = chromium.new_context(viewport=PHONE, storage_state=kept).new_page()  # type: ignore
    returned.goto(f"{channel_stack.config.rasa_url}/webhooks/socketio/chat")
    bubble = returned.locator(".rw-response.rw-agent")
    expect(bubble.locator(".rw-message-text")).to_have_text(text, timeout=WAIT_MS)
    expect(bubble.locator(".rw-agent-name")).to_have_text("Sam, Brightwave team")
    expect(returned.locator(".rw-client").filter(has_text="talk to a person")).to_have_count(1)
    settled(returned)
    assert inside_viewport(returned, bubble)
    returned.reload()  # confirmed: shown once, not sent again
    expect(returned.locator(".rw-response.rw-agent")).to_have_count(1, timeout=WAIT_MS)
    returned.wait_for_timeout(3000)
    expect(returned.locator(".rw-response.rw-agent")).to_have_count(1)
    returned.context.close()
