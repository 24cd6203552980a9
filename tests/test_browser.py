"""A shopper in headless Chromium: each tab used as a person would, with retrying assertions on what shows.

Chromium is Debian's (/usr/bin/chromium), driven through Playwright's `executable_path`; a screenshot of each tab
lands in artifacts/screenshots/<tab>.png for a human to look at.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from fashion_ai.config import DEMO_BANNER, PROJECT_ROOT

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = PROJECT_ROOT / "artifacts" / "screenshots"
TIMEOUT_MS = 60_000  # the first model call on a busy CI runner
NOT_A_PHOTO = "That file is not a photo we can read."
NO_GARMENT = "could not make out a garment"

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


@pytest.fixture(scope="module")
def browser() -> Iterator:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield browser
        browser.close()


@pytest.fixture()
def page(browser, live_app) -> Iterator:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_app.url)
    expect(page.locator("#banner")).to_contain_text(DEMO_BANNER, timeout=TIMEOUT_MS)
    expect(page.locator("#banner")).to_contain_text("catalog items", timeout=TIMEOUT_MS)  # index ready
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def screenshot(page, tab: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{tab}.png"), full_page=True)


def item_of(items, category: str):
    return next(item for item in items if item.category == category)


def test_attributes_tab(page, live_app, catalog_items):
    item = item_of(catalog_items, "dress")
    page.locator("#attr-photo input[type=file]").set_input_files(item.image_path)  # uploading runs the model
    note = page.locator("#attr-note")
    expect(note).to_contain_text(re.compile(r"Found \d+ garment"), timeout=TIMEOUT_MS)
    heading = page.locator("#attr-cards h4").first
    expect(heading).to_have_text(re.compile("dress", re.I))  # the shipped model reads the catalog dress
    expect(page.locator("#attr-json")).to_contain_text('"dress"')  # the chips and the JSON agree
    expect(page.locator("#attr-cards .fa-chip").first).to_be_visible()
    screenshot(page, "attributes")


def test_attributes_tab_explains_a_bad_file(page, tmp_path):
    bad = tmp_path / "holiday.png"
    bad.write_text("not a photo at all\n" * 20)
    page.locator("#attr-photo input[type=file]").set_input_files(str(bad))
    page.locator("#attr-btn").click()
    expect(page.get_by_text(NOT_A_PHOTO).first).to_be_visible(timeout=TIMEOUT_MS)


def test_search_tab(page, catalog_items):
    page.get_by_role("tab", name="Search").click()
    page.locator("#query-box textarea").fill("a red dress for a summer wedding")
    page.locator("#search-btn").click()
    results = page.locator("#results-list")
    expect(results).to_contain_text("items for", timeout=TIMEOUT_MS)
    # Every listed item shows its title and price as the catalog has them.
    titles = {f"{item.title} — ${item.price:,.2f}" for item in catalog_items}
    first_line = results.locator("li").first
    expect(first_line).to_be_visible()
    listed = first_line.inner_text()
    assert any(t.split(" — ")[0] in listed and t.split(" — ")[1] in listed for t in titles), listed
    expect(page.locator("#results-gallery img").first).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.locator("#outfit-list")).to_contain_text("Complete the outfit", timeout=TIMEOUT_MS)
    expect(page.locator("#outfit-list li")).not_to_have_count(0)
    expect(page.locator("#outfit-gallery img").first).to_be_visible()
    screenshot(page, "search")


def test_search_tab_explains_an_empty_query(page):
    page.get_by_role("tab", name="Search").click()
    page.locator("#query-box textarea").fill("   ")
    page.locator("#search-btn").click()
    expect(page.get_by_text("Type what you are looking for").first).to_be_visible(timeout=TIMEOUT_MS)


def test_stylist_tab(page, live_app, catalog_items):
    item = item_of(catalog_items, "dress")
    page.get_by_role("tab", name="AI stylist").click()
    page.locator("#style-photo input[type=file]").set_input_files(item.image_path)
    page.locator("#style-prompt textarea").fill("what goes with this for a summer wedding?")
    page.locator("#style-btn").click()
    picks = page.locator("#picks-list")
    expect(picks).to_contain_text("Picks for your", timeout=TIMEOUT_MS)
    expect(picks.locator("li").first).to_contain_text(" — ")  # title — price · category — reason
    expect(page.locator("#style-garment h4")).to_have_text(re.compile("dress", re.I))
    expect(page.locator("#picks-gallery img").first).to_be_visible()
    screenshot(page, "stylist")


def test_stylist_chat_holds_a_three_turn_conversation(page, catalog_items):
    page.get_by_role("tab", name="Stylist chat").click()
    bot = page.locator("#chat-bot")
    expect(bot).to_contain_text("an outfit for a summer wedding")  # an example opener for a new visitor
    box = page.locator("#chat-box textarea")

    def say(text: str, turn: int) -> None:
        box.fill(text)
        box.press("Enter")
        expect(bot.get_by_text("Understood:")).to_have_count(turn, timeout=TIMEOUT_MS)

    say("an outfit for a summer wedding", 1)
    expect(bot.locator(".message-wrap img").first).to_be_visible()  # the picks as pictures
    chips = page.locator("#chat-chips")
    expect(chips).to_contain_text("wedding")
    say("under $60 each", 2)
    expect(bot).to_contain_text("under $60 each")
    say("no stripes", 3)
    expect(chips).to_contain_text("no striped")
    last = bot.get_by_text("Understood:").last
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
