"""A shopper's steps in the app, driven in Debian's Chromium through Playwright, each waiting for its result to show.

Shared by the browser test (tests/test_browser.py), which adds its own checks, and by the screenshot command
(bench/screenshots.py), so the pictures in docs/images are of the very pages the test checks. Chromium is
/usr/bin/chromium through Playwright's `executable_path`; `playwright install` is never needed.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, Playwright, expect

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1280, "height": 1000}
TIMEOUT_MS = 60_000  # the first model call on a busy CI runner
INDEX_READY = "catalog items"  # the banner's last words once the catalog index is open
UNDERSTOOD = "Understood:"  # the line that ends each of the chat's replies


def launch_chromium(playwright: Playwright) -> Browser:
    """Headless Debian Chromium with the flags a container needs (no sandbox, no GPU, no background traffic)."""
    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


@contextmanager
def app_page(browser: Browser, url: str, banner: str) -> Iterator[tuple[Page, list[str]]]:
    """The app's page at `url`, once its banner says `banner` and the catalog index is open; with the page's
    JavaScript errors, collected while it is used."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(url)
        expect(page.locator("#banner")).to_contain_text(banner, timeout=TIMEOUT_MS)
        expect(page.locator("#banner")).to_contain_text(INDEX_READY, timeout=TIMEOUT_MS)
        yield page, errors
    finally:
        context.close()


def read_attributes(page: Page, photo: str) -> None:
    """Attributes tab: upload a garment photo (uploading runs the model) and wait for its garment cards."""
    page.locator("#attr-photo input[type=file]").set_input_files(photo)
    expect(page.locator("#attr-note")).to_contain_text(re.compile(r"Found \d+ garment"), timeout=TIMEOUT_MS)
    expect(page.locator("#attr-cards .fa-chip").first).to_be_visible()


def search(page: Page, query: str) -> None:
    """Search tab: type a query, search, and wait for the results and the outfit that completes them."""
    page.get_by_role("tab", name="Search").click()
    page.locator("#query-box textarea").fill(query)
    page.locator("#search-btn").click()
    expect(page.locator("#results-list")).to_contain_text("items for", timeout=TIMEOUT_MS)
    expect(page.locator("#results-gallery img").first).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.locator("#outfit-list")).to_contain_text("Complete the outfit", timeout=TIMEOUT_MS)
    expect(page.locator("#outfit-list li")).not_to_have_count(0)
    expect(page.locator("#outfit-gallery img").first).to_be_visible()


def style(page: Page, photo: str, prompt: str) -> None:
    """AI stylist tab: a garment photo and a wish in; wait for the picks and their pictures."""
    page.get_by_role("tab", name="AI stylist").click()
    page.locator("#style-photo input[type=file]").set_input_files(photo)
    page.locator("#style-prompt textarea").fill(prompt)
    page.locator("#style-btn").click()
    picks = page.locator("#picks-list")
    expect(picks).to_contain_text("Picks for your", timeout=TIMEOUT_MS)
    expect(picks.locator("li").first).to_contain_text(" — ")  # title — price · category — reason
    expect(page.locator("#picks-gallery img").first).to_be_visible()


def open_chat(page: Page) -> None:
    """Stylist chat tab, as a new visitor finds it."""
    page.get_by_role("tab", name="Stylist chat").click()
    expect(page.locator("#chat-bot")).to_contain_text("an outfit for a summer wedding")  # an example opener


def say(page: Page, text: str, turn: int) -> None:
    """Send one chat message and wait for the stylist's reply, the `turn`-th of the conversation."""
    box = page.locator("#chat-box textarea")
    box.fill(text)
    box.press("Enter")
    bot = page.locator("#chat-bot")
    expect(bot.get_by_text(UNDERSTOOD)).to_have_count(turn, timeout=TIMEOUT_MS)
    expect(bot.locator(".message-wrap img").first).to_be_visible()  # the picks as pictures
