"""Every endpoint of the live app through gradio_client: good inputs give the right shape, bad ones a plain message.

The server is the one `python app.py` would run (demo profile, real models, real Chroma index), on a free port.
"""

from __future__ import annotations

import io
import json
import os
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from fashion_ai.config import DEMO_BANNER, PROJECT_ROOT
from fashion_ai.retrieval.outfits import group_of
from fashion_ai.schema import CATEGORIES

pytestmark = pytest.mark.slow  # serves the real demo models

ENDPOINTS = ("/status", "/attributes", "/search", "/complete_outfit", "/stylist", "/search_photo", "/search_garment",
             "/chat_turn")
PHOTO_ENDPOINTS = ("/attributes", "/stylist")
QUERY_ENDPOINTS = ("/search", "/complete_outfit")
ASK_FOR_QUERY = 'Type what you are looking for, for example "a red dress for a summer wedding".'


@pytest.fixture(scope="module")
def client(live_app) -> Client:
    return Client(live_app.url, verbose=False)


@pytest.fixture(scope="module")
def by_id(catalog_items):
    return {item.id: item for item in catalog_items}


def catalog_photo(items, category: str) -> tuple[Path, object]:
    item = next(item for item in items if item.category == category)
    return Path(item.image_path), item


def items_in(gallery: list[dict], by_id) -> list:
    """The catalog items shown in a gallery (gradio keeps the photo's file name, which is the item id)."""
    return [by_id[Path(entry["image"]).stem] for entry in gallery]


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def write_bad_files(folder: Path) -> dict[str, Path]:
    """The uploads a careless or hostile visitor sends, as files on disk."""
    files: dict[str, bytes] = {}
    files["empty"] = b""
    files["text renamed png"] = b"shopping list: milk, eggs, a red dress\n" * 30
    noisy = io.BytesIO()
    Image.effect_noise((256, 256), 60).convert("RGB").save(noisy, "PNG")
    files["truncated png"] = noisy.getvalue()[: len(noisy.getvalue()) // 2]
    ihdr = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
    files["bomb header 30000x30000"] = (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
                                        + png_chunk(b"IDAT", zlib.compress(b"\0" * 64)) + png_chunk(b"IEND", b""))
    for name, size in (("real 9000x9000 solid", (9000, 9000)), ("1x1", (1, 1)), ("10x5000", (10, 5000))):
        buffer = io.BytesIO()
        Image.new("L" if name.startswith("real") else "RGB", size, 255).save(buffer, "PNG")
        files[name] = buffer.getvalue()
    paths = {}
    for name, data in files.items():
        paths[name] = folder / (re.sub(r"\W+", "-", name) + ".png")
        paths[name].write_bytes(data)
    return paths


BAD_UPLOADS = [
    ("empty", "That file is empty. Please upload a photo (JPEG, PNG or WebP)."),
    ("text renamed png", "That file is not a photo we can read. Please upload a JPEG, PNG, WebP, GIF or BMP image."),
    ("truncated png", "That image file is damaged or incomplete. Please upload it again, or try another photo."),
    ("bomb header 30000x30000", "That image has too many pixels to open safely. Please upload a photo of at most 40 "
                                "megapixels."),
    ("real 9000x9000 solid", "That image is too large (9000 x 9000 pixels). Please upload a photo of at most 40 "
                             "megapixels."),
    ("1x1", "That image is too small (1 x 1 pixels). Please upload a photo at least 16 pixels on each side."),
    ("10x5000", "That image is too long and thin (10 x 5000 pixels) to show a garment. Please upload an ordinary photo "
                "of it."),
]


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory) -> dict[str, Path]:
    return write_bad_files(tmp_path_factory.mktemp("bad-uploads"))


# --------------------------------------------------------------------------------------------- good inputs
def test_every_endpoint_is_published(client):
    api = client.view_api(print_info=False, return_format="dict")
    assert set(ENDPOINTS) <= set(api["named_endpoints"]), sorted(api["named_endpoints"])


def test_photo_inputs_reach_the_frontend_as_images_with_their_settings(live_app):
    # The photo inputs are gr.Image with their own preprocessing; the frontend must get them as ordinary images.
    config = httpx.get(live_app.url.rstrip("/") + "/config").json()
    photos = {c["props"].get("elem_id"): c for c in config["components"] if c["type"] == "image"}
    assert set(photos) == {"attr-photo", "search-photo", "style-photo", "chat-api-photo"}
    assert photos["attr-photo"]["props"]["label"] == "Garment photo"
    assert config["max_file_size"] == live_app.config.max_upload_mb * 2**20


def run_app_py(*args: str, env: dict[str, str] | None = None, code: str | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", code] if code else [sys.executable, "app.py", *args]
    return subprocess.run(command, cwd=PROJECT_ROOT, env={**os.environ, "FASHION_AI_PROFILE": "demo", **(env or {})},
                          capture_output=True, text=True, timeout=120)


def test_importing_the_app_loads_no_model():
    done = run_app_py(code="import sys, app; print(type(app.demo).__name__, 'torch' in sys.modules)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["Blocks", "False"]


def test_python_app_py_help_lists_every_setting():
    done = run_app_py("--help")
    assert done.returncode == 0, done.stderr
    for flag in ("--profile", "--port", "--max-upload-mb", "--catalog-dir", "FASHION_AI_DATA_DIR"):
        assert flag in done.stdout


def test_python_app_py_with_a_bad_setting_says_so_in_one_line():
    done = run_app_py(env={"FASHION_AI_PROFILE": "bogus"})
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "profile must be one of auto, demo, hub" in done.stderr


def test_status_says_which_models_serve(client, catalog_items):
    status = client.predict(api_name="/status")
    assert DEMO_BANNER in status
    assert f"{len(catalog_items)} catalog items" in status


def test_attributes_answer_has_every_part(client, catalog_items):
    photo, _ = catalog_photo(catalog_items, "dress")
    cards, garments, note, raw = client.predict(handle_file(str(photo)), api_name="/attributes")
    assert isinstance(cards, str) and isinstance(garments, list) and isinstance(raw, str)
    assert note.strip(), "the note on the model's answer is always there"
    assert "Traceback" not in cards + note


def test_attributes_of_catalog_photos_name_their_category(client, catalog_items):
    """Two catalog photos of every category through the API: the shipped model names the category."""
    by_category: dict[str, list] = {}
    for item in catalog_items:
        by_category.setdefault(item.category, []).append(item)
    photos = [item for items in by_category.values() for item in items[:2]]
    right, refused = 0, []
    for item in photos:
        cards, garments, note, raw = client.predict(handle_file(item.image_path), api_name="/attributes")
        if not garments:  # a wrong answer, but one the shopper is told plainly
            assert "No garment." in note and "No garment recognised" in cards, (item.id, note)
            refused.append(item.id)
            continue
        assert all(g["category"] in CATEGORIES for g in garments), (item.id, raw)
        assert f"<h4>{garments[0]['category']}<" in cards  # the card shows what the JSON says
        right += garments[0]["category"] == item.category
    # Measured 25 of 26 (2026-11-24, the extractor whose warm-up smooths its labels: a white ankle boot said to be no
    # garment, the only refusal; the same with the mirror, 2026-11-25; without smoothing, 25, a sweater read as a
    # shoe, none refused; at warm-up share 0.62, and the float32 one before it, 24; the one of 2026-11-23, 20 of 26;
    # on demo items alone, 25 of 26: README, Training); chance is 1 in 13.
    assert len(refused) <= 2, f"catalog photos said to hold no garment: {refused}"
    assert right >= 0.75 * len(photos), f"{right} of {len(photos)} catalog photos read as their category"


def test_attributes_of_real_product_photos_name_their_category(client):
    """The Attributes tab's real examples (Fashion-MNIST test photos, one per class) through the API."""
    from fashion_ai.examples import load_example_photos

    photos = load_example_photos()
    assert len(photos) == 10
    right = []
    for photo in photos:
        cards, garments, note, raw = client.predict(handle_file(str(photo.path)), api_name="/attributes")
        assert garments and f"<h4>{garments[0]['category']}<" in cards, (photo.name, raw)
        right += [photo.name] if garments[0]["category"] == photo.category else []
    # Measured 10 of 10 (2026-11-25, the shipped extractor with the mirror, the app's default: 0.904 on the whole test
    # split; on the photo alone also 10 of 10, 0.8998; the one before it, 0.8986 there, 10 of 10; the float32 one
    # before that, 0.883, 9 of 10, the coat read as a sweater; the one of 2026-11-23, 0.854, 10 of 10); chance is 1
    # in 13.
    assert len(right) >= 8, f"only {right} read as their category"


def test_attributes_of_shop_style_photos_are_answered_plainly(client):
    """The Attributes tab's shop-style examples (test-split photos coloured and framed as shops take them, issue 33)
    through the API: each gets garment cards that match the JSON, or the plain "no garment" note, never an error."""
    from fashion_ai.examples import SHOP_EXAMPLES_MANIFEST, load_example_photos

    photos = load_example_photos(manifest=SHOP_EXAMPLES_MANIFEST)
    assert len(photos) == 6 and len({photo.category for photo in photos}) == 6 and all(photo.colour for photo in photos)
    right, colours = [], []
    for photo in photos:
        cards, garments, note, raw = client.predict(handle_file(str(photo.path)), api_name="/attributes")
        if garments:
            assert f"<h4>{garments[0]['category']}<" in cards, (photo.name, raw)
            right += [photo.name] if garments[0]["category"] == photo.category else []
            colours += [photo.name] if garments[0].get("colors", [None])[:1] == [photo.colour] else []
        else:
            assert "No garment." in note and "plain background" in note, (photo.name, note)
    # Measured (2026-12-07) with the extractor trained on shop-style rows (--shop_share 0.25): category 5 of 6 (the
    # orange coat read as a sweater), main colour 6 of 6; the one before it, 2 and 1 of 6 (four read as no garment).
    # Chance is 1 in 13 for each.
    assert len(right) >= 4, f"only {right} read as their category"
    assert len(colours) >= 5, f"only {colours} read in their colour"


class ScriptedExtractor:
    """Stands in for the model with a fixed raw answer, so the parser's repair path is reached on purpose."""

    def __init__(self, raw: str):
        self.raw = raw

    def extract(self, image):
        from fashion_ai.models.extraction import Extraction
        from fashion_ai.schema import parse_garments

        return Extraction(self.raw, parse_garments(self.raw))


RED_DRESS = [{"category": "dress", "colors": ["red"]}]


@pytest.mark.parametrize("raw, note, shown_garments", [
    # Truncated mid-object with an unknown value: repaired, and the note says what was dropped.
    ('[{"category": "dress", "colors": ["red"], "pattern": "tartanish"}, {"category": "sho',
     "The model's answer needed repair (it was not strict JSON): item 0: unknown pattern value 'tartanish'", RED_DRESS),
    ('[{"category": "dress", "colors": ["red"]}]', "Found 1 garment. The model answered in valid JSON.", RED_DRESS),
    ("I think it is a nice dress!", "No garment.", []),
])
def test_attributes_note_says_when_the_answer_needed_repair(client, live_app, catalog_items, monkeypatch, raw, note,
                                                            shown_garments):
    monkeypatch.setattr(live_app.demo.service.models, "extractor", lambda: ScriptedExtractor(raw))
    photo, _ = catalog_photo(catalog_items, "dress")
    cards, garments, shown, raw_back = client.predict(handle_file(str(photo)), api_name="/attributes")
    assert note in shown.replace("\\", "").replace("**", "")  # the Markdown as read
    assert raw_back == raw
    assert garments == shown_garments
    assert ("<h4>dress</h4>" in cards) == bool(shown_garments)


def test_search_filters_hold_for_every_result(client, by_id):
    gallery, listing = client.predict(query="a dress for a party", color="red", api_name="/search")
    found = items_in(gallery, by_id)
    assert found, listing
    assert all("red" in item.colors for item in found), [(item.id, item.colors) for item in found]
    gallery, _ = client.predict(query="something comfortable", category="shoe", gender="women", max_price=100,
                                api_name="/search")
    found = items_in(gallery, by_id)
    assert found
    assert all(item.category == "shoe" and item.price <= 100 and item.gender in ("women", "unisex") for item in found)


def test_search_lists_titles_with_price_and_link(client, by_id, live_app):
    gallery, listing = client.predict(query="a striped shirt", api_name="/search")
    found = items_in(gallery, by_id)
    assert 0 < len(found) <= live_app.config.results
    first = found[0]
    assert gallery[0]["caption"] == f"{first.title} — ${first.price:,.2f}"
    assert f"({first.url})" in listing and f"${first.price:,.2f}" in listing


def test_search_with_no_match_says_so(client):
    gallery, listing = client.predict(query="a coat", category="coat", max_price=5, api_name="/search")
    assert gallery == [] and "No items match" in listing


@pytest.mark.parametrize("query, understood, check", [
    # Only a refusal: everything else, and the line says what was refused.
    ("not red", "colour not red", lambda items: items and all("red" not in item.colors for item in items)),
    # Contradicting itself: either colour.
    ("a black white dress", "dress · colour black or white",
     lambda items: items and all(item.category == "dress" for item in items) and items[0].colors[0] in ("black", "white")),
    # Below anything in stock: nothing, and what the cheapest is.
    ("a coat under $5", "coat · under $5", lambda items: items == []),
    # Nothing the schema names: searched by meaning, and said so.
    ("something nice", "nothing the catalog's attributes name; searching by meaning", lambda items: len(items) > 0),
    ("a dress that is not black under $80", "dress · colour not black · under $80",
     lambda items: items and all(i.category == "dress" and "black" not in i.colors and i.price <= 80 for i in items)),
])
def test_what_was_understood_is_said_and_honoured(client, by_id, query, understood, check):
    gallery, listing = client.predict(query=query, api_name="/search")
    assert f"Understood: {understood}" in listing.replace("\\", "").replace("_", " ").replace("  ", " ")
    assert check(items_in(gallery, by_id)), listing
    if "$5" in query:
        assert "the cheapest match is $" in listing


def test_search_with_a_photo_and_words(client, by_id, catalog_items):
    photo, item = catalog_photo(catalog_items, "dress")
    gallery, listing = client.predict(handle_file(str(photo)), "", api_name="/search_photo")
    found = items_in(gallery, by_id)
    assert found and all(i.category == "dress" for i in found) and "Your photo: dress" in listing
    gallery, listing = client.predict(handle_file(str(photo)), "like this but in blue", api_name="/search_photo")
    assert items_in(gallery, by_id)[0].colors[0] == "blue" and "colour blue" in listing


def test_an_edited_garment_is_shopped(client, by_id):
    gallery, listing = client.predict(category="skirt", colors=["pink"], pattern="striped", api_name="/search_garment")
    found = items_in(gallery, by_id)
    assert found and all(i.category == "skirt" for i in found)
    assert found[0].colors[0] == "pink" and found[0].pattern == "striped"
    with pytest.raises(AppError, match="Pick a category first"):
        client.predict(category=None, colors=["pink"], api_name="/search_garment")
    with pytest.raises(AppError, match="not in the list of choices"):  # the dropdowns refuse it first
        client.predict(category="skirt", colors=["ultraviolet"], api_name="/search_garment")


def test_complete_outfit_has_one_piece_per_part(client, by_id):
    gallery, listing = client.predict(query="a red dress for a summer wedding", api_name="/complete_outfit")
    found = items_in(gallery, by_id)
    assert len(found) >= 3, listing
    categories = [item.category for item in found]
    assert len(set(categories)) == len(categories), categories
    groups = [group_of(c) for c in categories]
    assert len(set(groups)) == len(groups), groups
    assert "dress" in categories and not {"top", "pants", "skirt", "shorts"} & set(categories)  # a dress replaces them


def test_stylist_picks_other_categories_with_reasons(client, live_app, catalog_items, by_id):
    photo, item = catalog_photo(catalog_items, "dress")
    garment_html, gallery, listing = client.predict(handle_file(str(photo)), "what goes with this for a summer wedding?",
                                                    api_name="/stylist")
    worn = re.search(r"<h4>([a-z ]+)", garment_html).group(1)
    assert worn == "dress"  # the shipped model reads the catalog's dress
    picks = items_in(gallery, by_id)
    assert picks, listing
    assert all(pick.category != worn for pick in picks), [(p.id, p.category) for p in picks]
    assert len({pick.category for pick in picks}) >= 2
    assert listing.count(" — ") >= 2 * len(picks)  # each line: title — price · category — reason


def test_concurrent_requests_each_get_their_own_answer(client, by_id, catalog_items):
    """Five shoppers at once: every answer is the one for its own request, none mixed up or dropped."""
    wanted = {"a red dress": "dress", "a navy coat": "coat", "sneakers": "shoe", "a sun hat": "hat"}
    searches = {query: client.submit(query=query, api_name="/search") for query in wanted}
    photo, item = catalog_photo(catalog_items, "bag")
    attributes = client.submit(handle_file(str(photo)), api_name="/attributes")
    for query, job in searches.items():
        gallery, listing = job.result(timeout=120)
        assert query in listing
        assert [i.category for i in items_in(gallery, by_id)[:3]] == [wanted[query]] * 3, query
    cards, garments, note, raw = attributes.result(timeout=120)
    assert garments[0]["category"] == "bag"


def test_searches_have_their_own_queue_and_photo_work_keeps_one(live_app):
    import app as app_module

    queues = {fn.api_name: (fn.concurrency_id, fn.concurrency_limit) for fn in live_app.demo.fns.values() if fn.api_name}
    light = (app_module.SEARCH_QUEUE, app_module.SEARCH_CONCURRENCY)
    model = (app_module.MODEL_QUEUE, app_module.MODEL_CONCURRENCY)
    assert {name: queues[name.lstrip("/")] for name in ENDPOINTS} == {
        "/search": light, "/complete_outfit": light, "/search_garment": light, "/status": model, "/attributes": model,
        "/search_photo": model, "/stylist": model, "/chat_turn": model}
    assert app_module.SEARCH_CONCURRENCY > 1 and app_module.MODEL_CONCURRENCY == 1


def test_searches_are_answered_while_photo_work_is_stuck(client, live_app, catalog_items, monkeypatch, by_id):
    """A photo that takes forever holds the model queue, not the searches: they are answered meanwhile."""
    import threading

    release, started = threading.Event(), threading.Event()
    service = live_app.demo.service
    extract = service.extract

    def stuck(image):
        started.set()
        assert release.wait(120)
        return extract(image)

    monkeypatch.setattr(service, "extract", stuck)
    photo, _ = catalog_photo(catalog_items, "shoe")
    job = client.submit(handle_file(str(photo)), api_name="/attributes")
    try:
        assert started.wait(60)
        searches = [client.submit(query=q, api_name=f) for q in ("a red dress", "sneakers", "a navy coat")
                    for f in QUERY_ENDPOINTS]
        for search in searches:
            gallery, _ = search.result(timeout=60)  # would wait for `release`, that is forever, in a shared queue
            assert items_in(gallery, by_id)
        assert not job.done()
    finally:
        release.set()
    assert job.result(timeout=120)[1][0]["category"] == "shoe"


# --------------------------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize("endpoint", PHOTO_ENDPOINTS)
@pytest.mark.parametrize("name, message", BAD_UPLOADS, ids=[case[0] for case in BAD_UPLOADS])
def test_bad_upload_gets_a_plain_message(client, bad_files, endpoint, name, message):
    args = (handle_file(str(bad_files[name])),) + (("an outfit",) if endpoint == "/stylist" else ())
    with pytest.raises(AppError) as info:
        client.predict(*args, api_name=endpoint)
    assert str(info.value) == message


@pytest.mark.parametrize("endpoint", PHOTO_ENDPOINTS)
def test_no_upload_asks_for_a_photo(client, endpoint):
    args = (None,) + (("an outfit",) if endpoint == "/stylist" else ())
    with pytest.raises(AppError, match="Please upload a photo first."):
        client.predict(*args, api_name=endpoint)


BAD_QUERIES = [
    ("empty", "", ASK_FOR_QUERY),
    # Whitespace, a NUL, a bell and zero-width characters: nothing a shopper typed.
    ("whitespace and control characters", " \t\n\x00\x07\u200b  \r\n", ASK_FOR_QUERY),
    # Counted as sent, before any cleaning: the component refuses it before the library walks the text.
    ("10000 characters", "red dress " * 1000, "That query is 10000 characters long; please keep it under 300."),
]


@pytest.mark.parametrize("endpoint", QUERY_ENDPOINTS)
@pytest.mark.parametrize("name, query, message", BAD_QUERIES, ids=[case[0] for case in BAD_QUERIES])
def test_bad_query_gets_a_plain_message(client, endpoint, name, query, message):
    with pytest.raises(AppError) as info:
        client.predict(query=query, api_name=endpoint)
    assert str(info.value) == message


def test_stylist_refuses_a_10000_character_prompt_before_reading_the_photo(client, catalog_items):
    photo, _ = catalog_photo(catalog_items, "top")
    with pytest.raises(AppError, match="please keep it under 300"):
        client.predict(handle_file(str(photo)), "x" * 10000, api_name="/stylist")


def test_a_filter_value_outside_the_choices_is_refused(client):
    with pytest.raises(AppError, match="not in the list of choices"):
        client.predict(query="a dress", color="ultraviolet", api_name="/search")


def test_uploads_over_the_size_limit_are_refused(client, live_app, tmp_path):
    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(live_app.config.max_upload_mb * 2**20 + 1))
    with pytest.raises(ValueError, match="exceeds the maximum file size"):  # gradio_client checks before sending
        client.predict(handle_file(str(big)), api_name="/attributes")
    with big.open("rb") as fp:  # and the server refuses a raw upload that skips the client's check
        response = httpx.post(live_app.url.rstrip("/") + "/gradio_api/upload", files={"files": ("big.png", fp)})
    assert response.status_code == 413


def test_an_unexpected_failure_is_logged_and_answered_politely(client, live_app, monkeypatch, caplog):
    def broken_store(progress=None):
        raise RuntimeError("chroma exploded: /secret/path")

    monkeypatch.setattr(live_app.demo.service, "store", broken_store)
    with pytest.raises(AppError) as info:
        client.predict(query="a red dress", api_name="/search")
    assert str(info.value).startswith("Something went wrong while searching the catalog.")
    assert "secret" not in str(info.value) and "RuntimeError" not in str(info.value)
    assert "chroma exploded" in caplog.text  # the operator still sees what happened


def test_server_still_serves_after_bad_inputs(client, bad_files, by_id, catalog_items):
    for path in bad_files.values():
        with pytest.raises(AppError):
            client.predict(handle_file(str(path)), api_name="/attributes")
    with pytest.raises(AppError):
        client.predict(query="\x00" * 50, api_name="/search")
    gallery, _ = client.predict(query="a blue shirt", api_name="/search")
    assert items_in(gallery, by_id)
    photo, _ = catalog_photo(catalog_items, "shoe")
    cards, garments, note, raw = client.predict(handle_file(str(photo)), api_name="/attributes")
    assert note
    assert DEMO_BANNER in client.predict(api_name="/status")


def test_an_api_client_holds_a_conversation_with_chat_turn(client, by_id, live_app):
    first = client.predict("an outfit for a summer wedding", None, "", api_name="/chat_turn")
    assert first["understood"] == "wedding · summer" and first["picks"]
    second = client.predict("under $60 each", None, json.dumps(first["state"]), api_name="/chat_turn")
    assert second["understood"] == "wedding · summer · under $60 each"
    for pick in second["picks"]:
        assert set(pick) >= {"title", "price", "url", "image", "reason"}
        assert by_id[pick["id"]].price == pick["price"] <= 60 and pick["url"].startswith("https://")
    photo = httpx.get(live_app.url.rstrip("/") + second["picks"][0]["image"], timeout=30)
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/png"
    assert [chip["label"] for chip in second["chips"]] == ["wedding", "summer", "under $60 each"]
    # The state sent back as it came (an object, not JSON text) carries the conversation on too.
    third = client.predict("no sneakers", None, second["state"], api_name="/chat_turn")
    assert third["understood"] == "wedding · summer · no sneakers · under $60 each"
    # A state object of the wrong shape loses only its broken part: the turn is answered, not an error.
    odd = client.predict("under $40 each", None, {"wanted": "x", "levels": [9, 1], "max_price": "abc"},
                         api_name="/chat_turn")
    assert odd["understood"] == "under $40 each" and odd["picks"]


def test_chat_turn_with_a_photo_and_a_broken_state(client, catalog_items):
    photo, _ = catalog_photo(catalog_items, "shorts")
    judged = client.predict("is this right for a wedding?", handle_file(str(photo)), "{not json",
                            api_name="/chat_turn")
    assert "could not read the earlier conversation" in judged["reply"]
    assert [v["fits"] for v in judged["verdict"]] == [False] and judged["verdict"][0]["fixes"]
