"""Tagging a shop's feed: the demo extractor reads its photos, the reader its titles; resumable, never fatal, and the
index and search follow the tags."""

import json
from dataclasses import replace

import pytest
from PIL import Image

from fashion_ai.catalog import load_catalog, save_catalog
from fashion_ai.catalog.tags import NO_GARMENT, TAGS_FILE, TagsFile, load_tagged_catalog
from fashion_ai.demo_world import write_catalog
from fashion_ai.demo_world.empty import generate_empty_scene
from fashion_ai.demo_world.feed import shop_feed
from fashion_ai.models.extraction import Extraction, FieldGuess
from fashion_ai.retrieval.reading import QueryReader
from fashion_ai.schema import Garment, ParseResult
from fashion_ai.tagging.run import tag_catalog

SEED = 4141  # a demo seed nothing else uses
ITEMS = 16


@pytest.fixture(scope="module")
def extractor():
    from fashion_ai.config import AppConfig
    from fashion_ai.models.registry import load_paligemma_extractor

    return load_paligemma_extractor(AppConfig(profile="demo"), "demo")  # in this process, as the app configures it


@pytest.fixture(scope="module")
def reader():
    from fashion_ai.models.text import load_text_model

    return QueryReader(load_text_model())


class Counting:
    """The extractor, counting the photos it reads."""

    def __init__(self, extractor, stop_after: int | None = None):
        self.inner, self.name, self.model = extractor, extractor.name, extractor.model
        self.read, self.stop_after = 0, stop_after

    def extract(self, image):
        if self.stop_after is not None and self.read >= self.stop_after:
            raise KeyboardInterrupt  # the run is killed here
        self.read += 1
        return self.inner.extract(image)


@pytest.fixture
def feed(tmp_path):
    """A demo catalog stripped to a feed (titles kept), with an unreadable photo, a photo with no garment, two items
    sharing one photo and an empty title."""
    truth = write_catalog(tmp_path, ITEMS, seed=SEED)
    items = shop_feed(truth, titles=True)
    (tmp_path / "images" / "broken.png").write_bytes(b"\x89PNG not really")
    generate_empty_scene(0, SEED)[0].save(tmp_path / "images" / "empty.png")
    items += [replace(items[0], id="broken", image_path="images/broken.png"),
              replace(items[0], id="empty", image_path="images/empty.png", title="Item E"),
              replace(items[1], id="twin", title="")]  # the second item's photo, and no title
    save_catalog(tmp_path, items)
    return tmp_path, {item.id: item for item in truth}


def test_a_feed_without_attributes_gets_them_from_its_photos_and_titles(feed, extractor, reader):
    folder, truth = feed
    report = tag_catalog(load_catalog(folder), folder, extractor, reader, batch_size=8)
    assert report.tagged == ITEMS + 3 and report.skipped == 0
    assert report.unreadable == ["broken"] and report.shared_photo == ["twin"] and report.empty_title == ["twin"]
    assert report.no_garment == ["empty"]
    tagged = {item.id: item for item in load_tagged_catalog(folder)}
    right = {name: sum(getattr(tagged[i], name) == getattr(truth[i], name) for i in truth) for name in ("category",
                                                                                                      "pattern")}
    # The shipped extractor reads demo photos' category 0.97, pattern 0.97 (issue 35, 300 photos): most of 16.
    assert right["category"] >= ITEMS - 2 and right["pattern"] >= ITEMS - 3, right
    assert sum(tagged[i].colors[:1] == truth[i].colors[:1] for i in truth) >= ITEMS - 3
    first = tagged[next(iter(truth))]
    assert first.tagged["category"]["from"] == "photo" and 0.5 < first.tagged["category"]["p"] <= 1.0
    # The twin reads as the item whose photo it shares; nothing is invented for what no model could read.
    second = list(truth)[1]
    assert (tagged["twin"].category, tagged["twin"].colors) == (tagged[second].category, tagged[second].colors)
    assert (tagged["broken"].category, tagged["empty"].category) == ("", "")
    assert TagsFile(folder).read()["empty"].status == NO_GARMENT
    # Titles name materials ("... knit sweater"): read from the words, with no probability.
    by_title = [i for i in truth if "material" in tagged[i].tagged]
    assert by_title and all(tagged[i].material == truth[i].material for i in by_title)
    assert {tagged[i].tagged["material"]["from"] for i in by_title} == {"title"}


def test_a_killed_run_resumes_with_nothing_read_twice(feed, extractor, reader):
    folder, _ = feed
    items = load_catalog(folder)[:ITEMS]
    with pytest.raises(KeyboardInterrupt):
        tag_catalog(items, folder, Counting(extractor, stop_after=10), reader, batch_size=4)
    assert len(TagsFile(folder).read()) == 8  # two whole batches were written before the kill
    again = Counting(extractor)
    report = tag_catalog(items, folder, again, reader, batch_size=4)
    assert (report.skipped, report.tagged, again.read) == (8, ITEMS - 8, ITEMS - 8)
    lines = [json.loads(line)["id"] for line in (folder / TAGS_FILE).read_text().splitlines()]
    assert sorted(lines) == sorted(item.id for item in items)  # one line per item: nothing done twice


class Unsure:
    """An extractor whose pattern is a coin toss between two values: the field must stay unknown."""

    name, model = "unsure", None

    def extract(self, image):
        guesses = {"category": FieldGuess("category", "dress", 0.9, "skirt", 0.05),
                   "pattern": FieldGuess("pattern", "floral", 0.45, "striped", 0.40)}
        return Extraction("", ParseResult([Garment(category="dress")], valid_json=True), [guesses])


def test_a_value_the_model_is_not_sure_of_stays_unknown(feed, reader):
    folder, _ = feed
    items = load_catalog(folder)[:2]
    report = tag_catalog(items, folder, Unsure(), reader)
    tagged = load_tagged_catalog(folder)[:2]
    assert [item.category for item in tagged] == ["dress", "dress"]
    assert [item.pattern for item in tagged] == ["", ""] and report.unknown["pattern"] == 2


def test_the_index_follows_the_tags_and_search_says_where_a_value_came_from(feed, extractor, reader, tmp_path):
    from fashion_ai.catalog.index import build_index, build_text_index
    from fashion_ai.catalog.store import CatalogStore
    from fashion_ai.models.clip.embeddings import Embedder
    from fashion_ai.models.clip.tiny import build_tiny_clip
    from fashion_ai.retrieval.search import search_catalog

    folder, truth = feed
    embedder = Embedder(*build_tiny_clip(image_size=32), name="tiny")
    store = CatalogStore(path=tmp_path / "db", collection="feed", embedder_name="tiny")
    text_store = CatalogStore(path=tmp_path / "db", collection="feed-text", embedder_name="text")
    build_index(load_tagged_catalog(folder), embedder, store)  # indexed before tagging: nothing to filter by
    build_text_index(load_tagged_catalog(folder), reader.text_model, text_store)
    some = next(iter(truth))
    assert store.get_items([some])[0].category == ""
    tag_catalog(load_catalog(folder), folder, extractor, reader)
    report = build_index(load_tagged_catalog(folder), embedder, store)
    assert report.added == 0  # no photo embedded again: the records follow with their stored vectors
    build_text_index(load_tagged_catalog(folder), reader.text_model, text_store)
    stored, = store.get_items([some])
    assert stored.category == truth[some].category and stored.tagged["category"]["from"] == "photo"
    assert text_store.get_items([some]) == [stored]  # the text index too: its text now says the tags
    category, colour = truth[some].category, stored.colors[0]
    hits = search_catalog(f"{colour} {category}", embedder, store, n=5)
    assert hits and all(hit.item.category == category for hit in hits)  # a named category: a filter tags now pass
    assert f"{colour}, read from the photo, " in hits[0].reason, hits[0].reason


def test_an_empty_photo_and_title_never_stop_the_run(tmp_path, extractor, reader):
    Image.new("RGB", (8, 8), "white").save(tmp_path / "white.png")
    (tmp_path / "gone.png").unlink(missing_ok=True)
    base = shop_feed(write_catalog(tmp_path, 1, seed=SEED))[0]
    items = [replace(base, id="gone", image_path=str(tmp_path / "gone.png"), title=""),
             replace(base, id="white", image_path=str(tmp_path / "white.png"))]
    report = tag_catalog(items, tmp_path, extractor, reader)
    assert report.tagged == 2 and report.unreadable == ["gone"] and report.empty_title == ["gone"]
