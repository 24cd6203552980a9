"""Conversations turn by turn through the service, with the shipped demo models and catalog: each turn's picks are
checked against the catalog's own metadata."""

import statistics

import numpy as np
import pytest
from PIL import Image

from fashion_ai.conversation import Wish
from fashion_ai.retrieval.rules import suits_occasion, suits_weather
from fashion_ai.service import FashionService

pytestmark = pytest.mark.slow  # the demo models and the catalog index


@pytest.fixture(scope="module")
def service(live_app) -> FashionService:
    return live_app.demo.service


@pytest.fixture(scope="module")
def items(service):
    return {item.id: item for item in service.store().all_items()}


def talk(service, *messages, state=None):
    results = []
    for message in messages:
        text, photo = message if isinstance(message, tuple) else (message, None)
        results.append(service.chat(text, photo, state))
        state = results[-1].wish.to_json()
    return results


def test_a_conversation_refines_and_remembers(service, items):
    opening, cheaper, no_stripes = talk(service, "an outfit for a summer wedding", "under $60 each", "no stripes")
    assert len(opening.picks) >= 4 and len({p.slot for p in opening.picks}) == len(opening.picks)  # a piece a slot
    assert cheaper.picks and no_stripes.picks  # the loops below check every pick: with none they check nothing
    for result in (opening, cheaper, no_stripes):
        for pick in result.picks:
            item = items[pick.id]
            assert suits_occasion(item, "wedding") and suits_weather(item, "warm"), item.title
            assert pick.image.endswith(".png") and pick.reason
    assert all(items[p.id].price <= 60 for p in cheaper.picks + no_stripes.picks)
    assert not any(items[p.id].pattern == "striped" for p in no_stripes.picks)
    assert no_stripes.understood == "wedding · summer · no striped · under $60 each"  # nothing said before is lost
    assert "Got it: no striped." in no_stripes.reply


def test_a_session_survives_a_restart_of_the_worker(service, live_app, items):
    first, = talk(service, "a dress for a date night under $150 each")
    restarted = FashionService(live_app.config)  # a new worker: only the stored state carries the conversation
    second, = talk(restarted, "in black", state=first.wish.to_json())
    assert second.wish.max_price == 150 and second.wish.wanted["category"] == ["dress"]
    assert second.picks and all(items[p.id].category == "dress" and items[p.id].price <= 150 and
                                "black" in items[p.id].colors for p in second.picks)


def test_liking_a_pick_brings_its_neighbours_and_rejecting_one_removes_it(service):
    listing, liked = talk(service, "a skirt for a party", "like number 2")
    target = listing.picks[1].id
    store = service.store()
    vectors = store.embeddings([target] + [p.id for p in listing.picks + liked.picks])

    def closeness(picks):
        return statistics.mean(float(vectors[p.id] @ vectors[target]) for p in picks if p.id != target)

    assert target not in [p.id for p in liked.picks]  # a list shows more like it, not it again
    assert closeness(liked.picks) > closeness(listing.picks)
    rejected, = talk(service, "not number 1", state=liked.wish.to_json())
    assert liked.picks[0].id not in [p.id for p in rejected.picks] and rejected.picks


def test_more_casual_moves_the_picks_down_the_dress_code(service, items):
    from fashion_ai.retrieval.rules import formality

    formal, casual = talk(service, "an outfit for a wedding", "more casual")

    def level(result):
        return statistics.mean(sum(formality(items[p.id])) / 2 for p in result.picks)

    assert casual.wish.levels == [2, 3] and level(casual) < level(formal)


def test_a_swap_changes_that_piece_only(service):
    outfit, swapped = talk(service, "an outfit for the office", "swap the shoes")
    before = {p.slot: p.id for p in outfit.picks}
    after = {p.slot: p.id for p in swapped.picks}
    assert "shoes" in before and after.get("shoes") != before["shoes"]
    assert {s: i for s, i in after.items() if s != "shoes"} == {s: i for s, i in before.items() if s != "shoes"}


def test_a_photo_is_styled_and_an_outfit_photo_judged(service, items):
    dress = next(item for item in items.values() if item.category == "dress")
    shorts = next(item for item in items.values() if item.category == "shorts")
    styled, judged = talk(service, ("what goes with this for a summer wedding?", dress.image_path),
                          ("is this right for a wedding?", shorts.image_path))
    assert styled.wish.garment["category"] == "dress"
    assert styled.picks and not any(p.slot in ("one-piece", "top", "bottom") for p in styled.picks)
    assert [v["fits"] for v in judged.verdict] == [False] and "too casual for wedding" in judged.verdict[0]["why"]
    assert judged.picks and all(p.slot == "bottom" and suits_occasion(items[p.id], "wedding") for p in judged.picks)
    assert "Not quite" in judged.reply


def test_bad_input_gets_a_plain_answer_and_keeps_the_wish(service):
    opening, empty, long, zero, bikini = talk(service, "an outfit for the office under $120 each", "", "please " * 1500,
                                              "under $0", "a red wool bikini")
    assert "Tell me what you are shopping for" in empty.reply and empty.picks
    assert "10,499 characters" in long.reply and long.picks
    assert "cheapest piece" in zero.reply and "under $120 each" in zero.reply
    for result in (empty, long, zero):
        assert result.wish.max_price == 120 and result.wish.wanted["occasion"] == ["work"]
    assert "This catalog has no bikini" in bikini.reply and bikini.picks
    assert bikini.wish.max_price == 120


def test_an_unreadable_photo_or_state_is_said_and_the_conversation_goes_on(service):
    photo, = talk(service, ("what goes with this?", b"not a picture"))
    assert "not a photo we can read" in photo.reply and "What are you shopping for?" in photo.reply
    fresh, = talk(service, "a bag", state="{broken")
    assert "could not read the earlier conversation" in fresh.reply and fresh.wish.wanted["category"] == ["bag"]


def test_unticking_a_chip_removes_that_part_and_refreshes_the_picks(service, items):
    capped, = talk(service, "a shirt under $40 each")
    assert all(items[p.id].price <= 40 for p in capped.picks)
    freed = service.chat_keep([key for key, _ in capped.wish.chips() if key != "max_price"], capped.wish.to_json())
    assert freed.wish.max_price is None and "without under $40 each" in freed.reply
    assert freed.picks and all(items[p.id].category == "shirt" for p in freed.picks)


def test_a_photo_without_a_garment_is_said(service):
    noise = Image.fromarray((np.random.default_rng(0).random((224, 224, 3)) * 255).astype("uint8"))
    result, = talk(service, ("what goes with this?", noise))
    assert "could not make out a garment" in result.reply
    assert Wish.from_json(result.wish.to_json()).garment is None


def test_a_colour_the_catalog_lacks_or_only_shows_as_an_accent_is_said_once(service, items):
    # The shipped catalog has no pink coat, and black only as a dress's accent.
    pink_coat, = talk(service, "a pink coat")
    assert pink_coat.picks and all(items[p.id].category == "coat" for p in pink_coat.picks)
    assert pink_coat.reply.count("nothing in pink fits everything else you asked; these are the closest") == 1
    black_dress, = talk(service, "a black dress")
    assert black_dress.picks and all(items[p.id].category == "dress" and "black" in items[p.id].colors
                                     for p in black_dress.picks)
    assert "none of these is mainly black; those with black accents come first" in black_dress.reply


def test_a_kind_narrows_the_picks_and_refusing_one_keeps_the_other_shoes(service, items):
    # "not sneakers" once refused every shoe; the shipped catalog sells ankle boots, sneakers and loafers.
    shoes, no_sneakers, boots = talk(service, "shoes", "not sneakers", "boots")
    assert any("sneakers" in items[p.id].title.lower() for p in shoes.picks)
    assert no_sneakers.picks and all(items[p.id].category == "shoe" and "sneakers" not in items[p.id].title.lower()
                                     for p in no_sneakers.picks)
    assert no_sneakers.understood == "shoe · no sneakers" and "no sneakers" in no_sneakers.reply
    assert boots.understood == "shoe · boots · no sneakers" and "6 boots for you:" in boots.reply
    called_boots = ["boots" in items[p.id].title.lower() for p in boots.picks]
    assert called_boots[0] and called_boots == sorted(called_boots, reverse=True)  # the boots first
    loafers, = talk(service, "loafers", state=boots.wish.to_json())  # a new kind replaces the old
    assert loafers.understood == "shoe · loafers · no sneakers"
    assert "loafers" in items[loafers.picks[0].id].title.lower()
    outfit, = talk(service, "an outfit for the weekend, no sneakers")
    assert any(items[p.id].category == "shoe" for p in outfit.picks)  # its shoes are there, and no sneakers
    assert not any("sneakers" in items[p.id].title.lower() for p in outfit.picks)
