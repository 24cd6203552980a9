"""A shopper in headless Chromium: each tab used as a person would, with retrying assertions on what shows.

The steps live in tests/browser_pages.py, shared with `python bench/screenshots.py` (the pictures in docs/images);
a screenshot of each tab lands in artifacts/screenshots/<tab>.png for a human to look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from fashion_ai.config import DEMO_BANNER, PROJECT_ROOT
from tests.conftest import need, need_module

pytestmark = pytest.mark.browser

sync_api = need_module("playwright.sync_api", "Playwright is not installed (pip install -r requirements-dev.txt)")
expect = sync_api.expect

from tests import browser_pages as pages  # noqa: E402  (it imports playwright, checked just above)

SCREENSHOTS = PROJECT_ROOT / "artifacts" / "screenshots"
TIMEOUT_MS = pages.TIMEOUT_MS
NOT_A_PHOTO = "That file is not a photo we can read."
NO_GARMENT = "could not make out a garment"


@pytest.fixture(scope="module")
def browser() -> Iterator:
    need(Path(pages.CHROMIUM).exists(), f"no Chromium at {pages.CHROMIUM} (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        browser = pages.launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture()
def page(browser, live_app) -> Iterator:
    with pages.app_page(browser, live_app.url, DEMO_BANNER) as (page, errors):
        yield page
    assert not errors, f"JavaScript errors on the page: {errors}"


def screenshot(page, tab: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{tab}.png"), full_page=True)


def item_of(items, category: str):
    return next(item for item in items if item.category == category)


def test_attributes_tab(page, live_app, catalog_items):
    item = item_of(catalog_items, "dress")
    pages.read_attributes(page, str(item.image_path))
    heading = page.locator("#attr-cards h4").first
    expect(heading).to_have_text(re.compile("dress", re.I))  # the shipped model reads the catalog dress
    expect(page.locator("#attr-json")).to_contain_text('"dress"')  # the chips and the JSON agree
    screenshot(page, "attributes")


def test_attributes_tab_explains_a_bad_file(page, tmp_path):
    bad = tmp_path / "holiday.png"
    bad.write_text("not a photo at all\n" * 20)
    page.locator("#attr-photo input[type=file]").set_input_files(str(bad))
    page.locator("#attr-btn").click()
    expect(page.get_by_text(NOT_A_PHOTO).first).to_be_visible(timeout=TIMEOUT_MS)


def test_search_tab(page, catalog_items):
    pages.search(page, "a red dress for a summer wedding")
    # Every listed item shows its title and price as the catalog has them.
    titles = {f"{item.title} — ${item.price:,.2f}" for item in catalog_items}
    first_line = page.locator("#results-list li").first
    expect(first_line).to_be_visible()
    listed = first_line.inner_text()
    assert any(t.split(" — ")[0] in listed and t.split(" — ")[1] in listed for t in titles), listed
    screenshot(page, "search")


def test_search_tab_explains_an_empty_query(page):
    page.get_by_role("tab", name="Search").click()
    page.locator("#query-box textarea").fill("   ")
    page.locator("#search-btn").click()
    expect(page.get_by_text("Type what you are looking for").first).to_be_visible(timeout=TIMEOUT_MS)


def test_stylist_tab(page, live_app, catalog_items):
    item = item_of(catalog_items, "dress")
    pages.style(page, str(item.image_path), "what goes with this for a summer wedding?")
    expect(page.locator("#style-garment h4")).to_have_text(re.compile("dress", re.I))
    screenshot(page, "stylist")


def test_stylist_chat_holds_a_three_turn_conversation(page, catalog_items):
    pages.open_chat(page)
    bot = page.locator("#chat-bot")
    pages.say(page, "an outfit for a summer wedding", 1)  # each reply shows its picks as pictures
    chips = page.locator("#chat-chips")
    expect(chips).to_contain_text("wedding")
    pages.say(page, "under $60 each", 2)
    expect(bot).to_contain_text("under $60 each")
    pages.say(page, "no stripes", 3)
    expect(chips).to_contain_text("no striped")
    last = bot.get_by_text(pages.UNDERSTOOD).last
    expect(last).to_contain_text("wedding · summer")  # the first turn's wish is still there
    last_reply = bot.inner_text().split("no stripes")[-1]  # after the third message
    prices = [float(p.replace(",", "")) for p in re.findall(r"— \$([\d,.]+) —", last_reply)]
    assert prices and all(p <= 60 for p in prices), prices
    screenshot(page, "chat")
    page.get_by_role("button", name="Undo").click()  # takes "no stripes" back, in the wish too
    expect(chips).not_to_contain_text("no striped")
    expect(chips).to_contain_text("under $60 each")
    page.get_by_role("button", name="Clear").click()
    expect(chips).to_be_hidden()
