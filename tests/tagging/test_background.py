"""The app tags a feed by itself once the index serves: the banner says how far it has got, searches say results may
be incomplete until it is done, and then find the feed's items by what their photos show."""

import threading

from fashion_ai.catalog import save_catalog
from fashion_ai.catalog.tags import TagsFile
from fashion_ai.config import AppConfig
from fashion_ai.demo_world import write_catalog
from fashion_ai.demo_world.feed import shop_feed
from fashion_ai.models.registry import ModelRegistry, load_paligemma_extractor
from fashion_ai.service import FashionService
from fashion_ai.tagging.background import TaggingState

ITEMS = 16


class Held:
    """The demo extractor, holding its first read until the test lets it go (so "while tagging" is a moment the
    test can look at, on a machine of any speed)."""

    def __init__(self, inner, gate: threading.Event):
        self.inner, self.gate, self.name, self.model = inner, gate, inner.name, inner.model

    def extract(self, image):
        self.gate.wait(120)
        return self.inner.extract(image)

    def extract_batch(self, images):
        self.gate.wait(120)
        return self.inner.extract_batch(images)


def test_the_app_tags_a_feed_in_the_background_and_search_follows(tmp_path):
    folder = tmp_path / "shop"
    truth = write_catalog(folder, ITEMS, seed=6161)
    save_catalog(folder, shop_feed(truth))
    config = AppConfig(profile="demo", catalog_dir=str(folder), data_dir=str(tmp_path / "data"), model_worker="inline")
    gate = threading.Event()
    service = FashionService(config, ModelRegistry(config, extractor_loader=lambda c, source: Held(
        load_paligemma_extractor(c, source), gate)))
    try:
        service.store()
        assert any(line.startswith(f"Tagging the catalog: 0 of {ITEMS:,}") for line in service.describe())
        early = service.search("a dress")
        assert any("still being tagged" in note for note in early.notes)
        gate.set()
        assert service.tagger.wait(timeout=300) and not service.tagger.state.error
        assert len(TagsFile(folder).read()) == ITEMS
        assert not any(line.startswith("Tagging") for line in service.describe())
        category = truth[0].category
        result = service.search(category)
        assert not any("still being tagged" in note for note in result.notes)
        assert result.hits and all(hit.item.category == category for hit in result.hits)  # a filter tags pass
        assert truth[0].id in {hit.item.id for hit in result.hits}
        assert category in service.facets().categories  # the filters offer what the tags found
    finally:
        service.models.close()


def test_a_catalog_with_its_attributes_is_not_tagged(tmp_path):
    folder = tmp_path / "shop"
    write_catalog(folder, 4, seed=6162)
    service = FashionService(AppConfig(profile="demo", catalog_dir=str(folder), data_dir=str(tmp_path / "data")))
    service.store()
    assert not service.tagger.state.running and not (folder / "tags.jsonl").exists()


def test_on_zerogpu_the_app_leaves_tagging_to_the_cli(tmp_path, monkeypatch):
    # A GPU there is lent only to a shopper's own call: a background pass could not use it.
    monkeypatch.setenv("SPACES_ZERO_GPU", "true")
    folder = tmp_path / "shop"
    save_catalog(folder, shop_feed(write_catalog(folder, 4, seed=6163)))
    service = FashionService(AppConfig(profile="demo", catalog_dir=str(folder), data_dir=str(tmp_path / "data"),
                                       model_worker="inline"))
    service.store()
    assert not service.tagger.state.running and not (folder / "tags.jsonl").exists()


def test_the_banner_line_and_the_note_only_while_tagging():
    state = TaggingState(340, 2000, running=True)
    assert state.line().startswith("Tagging the catalog: 340 of 2,000") and "340 of 2,000" in state.note()
    state.running = False
    assert state.line() == state.note() == ""
