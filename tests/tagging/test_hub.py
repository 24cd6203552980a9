"""The hub profile's catalog (ashraq/fashion-product-images-small, imported) gives category, colour and season but no
pattern: the hub's extractor on CPU hardware, CLIP zero-shot (FashionCLIP there; here the demo CLIP, a CLIPModel
of the same class), tags what it lacks and leaves what it gives."""

from dataclasses import replace

from fashion_ai.catalog import load_catalog
from fashion_ai.catalog.importer import import_catalog
from fashion_ai.catalog.tags import load_tagged_catalog
from fashion_ai.config import AppConfig
from fashion_ai.models.clip.zero_shot import ClipAttributeExtractor
from fashion_ai.models.registry import load_embedder
from fashion_ai.retrieval.reading import QueryReader
from fashion_ai.tagging.coverage import coverage_json
from fashion_ai.tagging.run import tag_catalog
from tests.dataset_files import demo_rows, write_products

ROWS = 12


def test_the_hub_catalog_is_tagged_by_clip_zero_shot_for_what_it_lacks(tmp_path):
    folder = tmp_path / "hub"
    # Product names as the hub's often are ("Men Shorts"): they say no pattern, so the import has none.
    rows = [(replace(item, title=f"{item.gender.capitalize()} {item.category.capitalize()}"), image)
            for item, image in demo_rows(ROWS, seed=7171)]
    imported = import_catalog(write_products(tmp_path / "source", rows), folder)
    assert len(imported) >= ROWS - 2 and all(not item.pattern for item in imported)  # a category it has no apparel for is skipped
    extractor = ClipAttributeExtractor(load_embedder(AppConfig(profile="demo"), "demo"), name="CLIP zero-shot")
    report = tag_catalog(load_catalog(folder), folder, extractor, QueryReader())
    assert report.tagged == len(imported) and not report.unreadable
    given = {item.id: item for item in load_catalog(folder)}
    tagged = load_tagged_catalog(folder)
    for item in tagged:
        assert (item.category, item.colors, item.season) == (given[item.id].category, given[item.id].colors,
                                                               given[item.id].season)  # the catalog's own, kept
    patterned = [item for item in tagged if item.pattern]
    assert len(patterned) >= len(tagged) // 2, [item.tagged for item in tagged]
    assert {item.tagged["pattern"]["model"] for item in patterned} == {"CLIP zero-shot"}
    # The zero-shot reading of the categories the catalog gives, for the shop owner to judge.
    category = coverage_json(load_catalog(folder), {})["fields"]["category"]
    assert category["given"] == len(imported)
