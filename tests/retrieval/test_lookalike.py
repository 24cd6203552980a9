"""A photo searched alone finds its own item first, whatever the extractor read (issue 33 point 4)."""

import random

import numpy as np
import pytest
from PIL import Image

from bench.bench_photo_search import shopper_copy  # the bench's own copy: the test judges what it measures
from fashion_ai.catalog.store import CatalogStore
from fashion_ai.config import AppConfig
from fashion_ai.retrieval.lookalike import CLOSEST_PHOTO, SAME_PHOTO, nearest_photo_first
from fashion_ai.retrieval.query import ShopperQuery
from fashion_ai.retrieval.search import SearchFilters, SearchHit, SearchResult
from fashion_ai.service import FashionService
from tests.retrieval.helpers import at_cosine, make_item

TARGET = np.eye(128, dtype=np.float32)[0]


@pytest.fixture
def shop(tmp_path) -> CatalogStore:
    store = CatalogStore(tmp_path / "chroma", embedder_name="tiny-test")
    items = [make_item("own", "dress", ("red",)), make_item("twin", "dress", ("red",)),
             make_item("skirt", "skirt", ("red",)), make_item("shoe", "shoe", ("black",))]
    store.upsert(items, at_cosine(TARGET, [0.995, 0.9, 0.8, 0.5]))
    return store


def result_of(store: CatalogStore, ids: list[str]) -> SearchResult:
    items = {item.id: item for item in store.get_items(ids)}
    return SearchResult([SearchHit(items[i], 1.0 - 0.1 * k, "red") for k, i in enumerate(ids)], ShopperQuery(text=""),
                        ["a note"])


def test_the_nearest_photo_goes_first_even_when_the_ranking_left_it_out(shop):
    ranked = result_of(shop, ["twin", "skirt"])  # the extractor's reading filtered the photo's own item out
    found = nearest_photo_first(ranked, shop, TARGET, None, n=2)
    assert [hit.item.id for hit in found.hits] == ["own", "twin"]  # still n hits: the last one gives way
    assert found.hits[0].reason == SAME_PHOTO and found.hits[0].score >= found.hits[1].score
    assert found.notes == ["a note"] and found.query is ranked.query


def test_an_item_already_found_moves_up_once_and_keeps_its_reason(shop):
    ranked = result_of(shop, ["twin", "skirt", "own"])
    found = nearest_photo_first(ranked, shop, at_cosine(TARGET, [0.9], seed=5)[0], None, n=12)
    assert [hit.item.id for hit in found.hits] == ["own", "twin", "skirt"]
    assert found.hits[0].reason == f"{CLOSEST_PHOTO} · red"


def test_the_shoppers_own_filters_still_hold(shop):
    found = nearest_photo_first(result_of(shop, ["shoe"]), shop, TARGET, SearchFilters(category="shoe"), n=12)
    assert [hit.item.id for hit in found.hits] == ["shoe"]
    nothing = nearest_photo_first(result_of(shop, []), shop, TARGET, SearchFilters(category="bag"), n=12)
    assert nothing.hits == []


@pytest.mark.slow  # the shipped demo models
def test_a_catalog_photo_and_a_shoppers_copy_find_their_own_item_first(tmp_path):
    service = FashionService(AppConfig(profile="demo", data_dir=str(tmp_path)))
    items = sorted(service.store().all_items(), key=lambda item: item.id)
    picked = [items[k] for k in range(0, len(items), len(items) // 12)][:12]
    rng = random.Random(33)
    exact = [service.search_photo(service.read_photo(item.image_path)).result.hits[0].item.id for item in picked]
    assert exact == [item.id for item in picked]
    copies = [service.search_photo(shopper_copy(Image.open(item.image_path), rng)).result.hits[0].item.id for item in picked]
    assert sum(a == item.id for a, item in zip(copies, picked)) >= 11, copies
    # Words change the photo's garment ("like this but in blue"): the words rank, nothing is forced first.
    red = next(item for item in items if "red" in item.colors and item.category == "dress")
    blue = service.search_photo(service.read_photo(red.image_path), "like this but in blue").result.hits
    assert blue and "blue" in blue[0].item.colors and blue[0].item.id != red.id
    assert not any(said in hit.reason for hit in blue for said in (SAME_PHOTO, CLOSEST_PHOTO))
