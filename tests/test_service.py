"""The service a front end talks to, driven without Gradio: what serves, the catalog's facets, and each pipeline."""

import dataclasses
import json
import time
from pathlib import Path

import pytest

from fashion_ai.catalog import CATALOG_FILE, load_catalog
from fashion_ai.config import DEMO_BANNER, AppConfig
from fashion_ai.demo_world import write_catalog
from fashion_ai.errors import BadImageError, BadQueryError
from fashion_ai.models.extraction import Extraction
from fashion_ai.models.registry import ModelRegistry
from fashion_ai.schema import parse_garments
from fashion_ai.service import FashionService, NoGarmentError

pytestmark = pytest.mark.slow  # loads the shipped demo models


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> FashionService:
    data = tmp_path_factory.mktemp("data")
    return FashionService(AppConfig(profile="demo", data_dir=str(data)))


def test_a_new_service_loads_nothing_and_refuses_a_bad_query_before_loading(tmp_path):
    service = FashionService(AppConfig(profile="demo", data_dir=str(tmp_path)))
    with pytest.raises(BadQueryError, match="Type what you are looking for"):
        service.search("   \x00 ")
    with pytest.raises(BadImageError, match="not a photo"):
        service.read_photo(b"shopping list")
    assert service.models._models == {} and service._store is None
    assert service.describe() == [f"{DEMO_BANNER} · Search: offline demo model · Words: sentence-transformers/all-MiniLM-L6-v2 · "
                                  "Attributes: offline demo model"]


@pytest.mark.parametrize("size", [10**6, 10**7])
def test_every_text_entrance_refuses_a_huge_text_before_any_work(tmp_path, size):
    service = FashionService(AppConfig(profile="demo", data_dir=str(tmp_path)))
    huge = "red dress " * (size // 10)
    entrances = {"search": lambda: service.search(huge), "outfit": lambda: service.complete_outfit(huge),
                 "stylist": lambda: service.stylist_prompt(huge), "style": lambda: service.style(None, huge),
                 "photo words": lambda: service.search_photo(None, huge)}
    for name, entrance in entrances.items():
        started = time.perf_counter()
        with pytest.raises(BadQueryError, match=r"\d+ characters long; please keep it under 300"):
            entrance()
        assert time.perf_counter() - started < 0.1, name  # unread: cleaning it all takes 0.3 s a million
    with pytest.raises(BadQueryError, match="chip keys"):
        service.chat_keep(["words"] * 100_000, None)
    with pytest.raises(BadQueryError, match="chip keys"):
        service.chat_keep(["x" * 10**6], None)
    assert service.models._models == {} and service._store is None  # nothing loaded for any of it


def test_facets_and_the_price_ceiling_rule(service):
    facets = service.facets()
    items = load_catalog(service.catalog_folder())
    top = max(item.price for item in items)
    assert facets.categories == sorted({item.category for item in items}) and len(facets.categories) == 13
    assert facets.top_price == top and facets.price_ceiling % 50 == 0 and top <= facets.price_ceiling < top + 50
    assert facets.unpriced == 0 and facets.genders == ("women", "men", "unisex")
    # A photo per category, each its first item's that has one (the page's example photos come from these).
    assert set(facets.photos) == set(facets.categories)
    assert all(facets.photos[c] == next(i.image_path for i in items if i.category == c) for c in facets.categories)
    assert service.filters(max_price=facets.price_ceiling).max_price is None  # the slider's top: any price
    assert service.filters(max_price=facets.price_ceiling + 100).max_price is None
    assert service.filters(max_price=80).max_price == 80.0


def test_search_outfit_and_stylist_pipelines(service):
    store = service.store()  # opening the index starts filling both stores' mirrors (filters against the query
    assert store.mirror.vectors._started and service._text_store.mirror.vectors._started  # wait for them)
    result = service.search("a red dress that is not floral", service.filters(max_price=150))
    assert service._store.fill_mirror(timeout=30) and service._text_store.fill_mirror(timeout=30)
    assert len(service._store.mirror.vectors) == service._store.count() > 0
    hits = result.hits
    assert hits and all(hit.item.price <= 150 and hit.item.pattern != "floral" for hit in hits)
    assert {hit.item.category for hit in hits} == {"dress"} and hits[0].item.colors[0] == "red"
    assert result.query.understood() == "dress · colour red · pattern not floral"
    outfit = service.complete_outfit("an outfit for the office", service.filters(gender="men")).hits
    assert outfit and all(hit.item.gender in ("men", "unisex") for hit in outfit)
    dress = next(item for item in load_catalog(service.catalog_folder()) if item.category == "dress")
    result = service.style(service.read_photo(dress.image_path), "  ")
    assert result.garment.category == "dress" and result.prompt == "an outfit"  # an empty wish: "an outfit"
    marked = service.style(service.read_photo(dress.image_path), "<b>a party</b> [look](javascript:alert(1))")
    assert marked.prompt == "a party look" and marked.picks  # the words echoed back carry no markup
    assert result.picks and "dress" not in {pick.item.category for pick in result.picks}
    assert all(service.photo_of(pick.item) == Path(pick.item.image_path) for pick in result.picks)


def test_the_stylist_takes_a_wish_as_long_as_the_config_allows(service, monkeypatch):
    monkeypatch.setattr(service, "config", dataclasses.replace(service.config, max_query_chars=600))
    wish = "an outfit for a summer wedding, " + "light and airy, nothing too heavy please, " * 10
    assert 300 < len(wish) < 600  # over the stylist's own default cap, under the app's configured one
    dress = next(item for item in load_catalog(service.catalog_folder()) if item.category == "dress")
    result = service.style(service.read_photo(dress.image_path), wish)
    assert result.picks and result.prompt.startswith("an outfit for a summer wedding")


def test_undo_through_the_chat_restores_the_wish_and_brings_back_a_removed_chip(service):
    opening = service.chat("an outfit for a summer wedding")
    capped = service.chat("under $40 each", state=opening.wish.to_json())
    undone = service.chat("undo that", state=capped.wish.to_json())
    assert capped.wish.max_price == 40 and undone.wish.max_price is None and undone.picks
    assert undone.wish.wanted == opening.wish.wanted and "back to your wish before the last change" in undone.reply
    assert "nothing to undo" in service.chat("go back", state=undone.wish.to_json()).reply
    freed = service.chat_keep([key for key, _ in capped.wish.chips() if key != "max_price"], capped.wish.to_json())
    assert freed.wish.max_price is None
    assert service.chat("undo", state=freed.wish.to_json()).wish.max_price == 40  # the chip comes back


def test_a_photo_without_a_garment_is_a_plain_error(tmp_path):
    class Blind:
        name = "blind"

        def extract(self, image):
            return Extraction("no idea", parse_garments("no idea"))

    config = AppConfig(profile="demo", data_dir=str(tmp_path))
    service = FashionService(config, ModelRegistry(config, extractor_loader=lambda config, profile: Blind()))
    photo = next(iter(load_catalog(service.catalog_folder()))).image_path
    with pytest.raises(NoGarmentError, match="could not make out a garment"):
        service.style(service.read_photo(photo), "an outfit")


@pytest.fixture(scope="module")
def half_priced(tmp_path_factory):
    """A catalog where every other item has no listed price, as imported shop feeds often have."""
    folder = tmp_path_factory.mktemp("half-priced")
    write_catalog(folder, count=60, seed=5, size=64)
    rows = [json.loads(line) for line in (folder / CATALOG_FILE).read_text().splitlines()]
    for row in rows[::2]:
        row["price"] = None
    (folder / CATALOG_FILE).write_text("".join(json.dumps(row) + "\n" for row in rows))
    config = AppConfig(profile="demo", catalog_dir=str(folder), data_dir=str(tmp_path_factory.mktemp("data")),
                       results=60)
    return FashionService(config)


def test_a_price_cap_leaves_out_unpriced_items_and_says_so(half_priced):
    facets = half_priced.facets()
    assert facets.unpriced == 30
    capped = half_priced.filters(max_price=facets.price_ceiling - 5)
    hits = half_priced.search("something blue", capped).hits
    assert hits and all(hit.item.price is not None and hit.item.price <= capped.max_price for hit in hits)
    assert half_priced.leaves_out_unpriced(capped)
    # No cap (the slider at its top): unpriced items are found as well, and nothing needs saying.
    uncapped = half_priced.filters(max_price=facets.price_ceiling)
    found = half_priced.search("something blue", uncapped).hits
    assert any(hit.item.price is None for hit in found) and not half_priced.leaves_out_unpriced(uncapped)


def test_search_with_a_photo_and_with_an_edited_garment(service):
    from fashion_ai.schema import Garment

    items = load_catalog(service.catalog_folder())
    # The pipeline is under test, not the model (tests/test_app.py measures that): a dress it reads as one.
    dress = next(item for item in items if item.category == "dress"
                 and service.extract(service.read_photo(item.image_path)).result.garments[0].category == "dress")
    found = service.search_photo(service.read_photo(dress.image_path))
    assert found.garment.category == "dress" and {hit.item.category for hit in found.result.hits} == {"dress"}
    assert dress.id in {hit.item.id for hit in found.result.hits[:3]}  # itself, among the first
    blue = service.search_photo(service.read_photo(dress.image_path), "like this but in blue")
    assert blue.result.hits[0].item.colors[0] == "blue" and blue.result.hits[0].item.category == "dress"
    assert "colour blue" in blue.result.query.understood()
    # The shopper changed the garment to a pink striped skirt: the catalog's one pink striped skirt comes first.
    edited = service.search_garment(Garment(category="skirt", colors=["pink"], pattern="striped"))
    assert {hit.item.category for hit in edited.hits} == {"skirt"}
    assert edited.hits[0].item.colors[0] == "pink" and edited.hits[0].item.pattern == "striped"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_index_server_leaves_photos_working(tmp_path):
    from fashion_ai.errors import StoreUnavailableError

    url = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    service = FashionService(AppConfig(profile="demo", data_dir=str(tmp_path), chroma_url=url))
    for search in (service.search, service.complete_outfit):
        with pytest.raises(StoreUnavailableError, match=f"server at {url} cannot be reached"):
            search("a red dress")
    dress = next(item for item in load_catalog(service.catalog_folder()) if item.category == "dress")
    assert service.extract(service.read_photo(dress.image_path)).result.garments[0].category == "dress"


def test_an_index_another_process_holds_leaves_photos_working(tmp_path):
    import subprocess
    import sys

    from fashion_ai.config import PROJECT_ROOT
    from fashion_ai.errors import IndexLockedError

    holder = subprocess.Popen([sys.executable, "-c", "import sys; from fashion_ai.catalog.locking import lock_folder; "
                               "from pathlib import Path; p = Path(sys.argv[1]); p.mkdir(parents=True); lock_folder(p); "
                               "print('held', flush=True); sys.stdin.readline()", str(tmp_path / "chroma")],
                              cwd=PROJECT_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        service = FashionService(AppConfig(profile="demo", data_dir=str(tmp_path)))
        with pytest.raises(IndexLockedError, match=rf"in use by another process \(pid {holder.pid}\)"):
            service.search("a red dress")
        dress = next(item for item in load_catalog(service.catalog_folder()) if item.category == "dress")
        assert service.extract(service.read_photo(dress.image_path)).result.garments
    finally:
        holder.communicate("\n", timeout=60)
    assert service.search("a red dress")  # the other process is gone: the index opens and is built


def test_an_edited_garment_takes_the_schemas_values_only(tmp_path):
    service = FashionService(AppConfig(profile="demo", data_dir=str(tmp_path)))
    garment = service.edited_garment({"category": "dress", "colors": ["red", "navy"], "pattern": None, "sleeve": ""})
    assert garment.category == "dress" and garment.colors == ["red", "navy"] and garment.pattern is None
    for bad in ({"category": "spaceship"}, {"category": "dress", "colors": ["red", "ultraviolet"]},
                {"category": "dress", "material": "red"}, {"category": "dress", "colors": "red"}):
        with pytest.raises(BadQueryError, match="not in the schema"):
            service.edited_garment(bad)
    assert service.models._models == {}  # a check of values, no model


def test_saved_chips_read_a_wish_and_drop_an_unreadable_one():
    from fashion_ai.conversation import Wish

    wish = Wish.from_state({"wanted": {"colors": ["red"]}, "occasion": "wedding"})[0]
    saved = wish.to_json()
    assert FashionService.saved_chips(saved) == (saved, wish.chips()) and wish.chips()
    assert FashionService.saved_chips("") == ("", [])
    assert FashionService.saved_chips("{not json") == ("", [])


def test_catalog_items_follow_the_catalog_file(tmp_path):
    folder = tmp_path / "catalog"
    write_catalog(folder, count=6, seed=3, size=32)
    service = FashionService(AppConfig(profile="demo", catalog_dir=str(folder), data_dir=str(tmp_path / "data")))
    items = service.catalog_items()
    assert list(items) == [item.id for item in load_catalog(folder)] and len(items) == 6
    rows = (folder / CATALOG_FILE).read_text().splitlines()
    (folder / CATALOG_FILE).write_text("\n".join(rows[:2]) + "\n")
    assert list(service.catalog_items()) == list(items)[:2]  # read again: the file changed
    (folder / CATALOG_FILE).unlink()
    assert service.catalog_items() == {}
