from collections import Counter

import numpy as np

from fashion_ai.catalog import load_catalog
from fashion_ai.demo_world import DEMO_CATEGORIES, DEMO_COLORS, DEMO_PATTERNS, generate_item
from fashion_ai.demo_world.__main__ import main
from fashion_ai.schema import CATEGORIES, COLORS, PATTERNS, garments_to_json, parse_garments


def test_generator_is_deterministic_per_seed():
    item_a, image_a = generate_item(5, seed=3)
    item_b, image_b = generate_item(5, seed=3)
    item_c, image_c = generate_item(5, seed=4)
    assert item_a == item_b
    assert np.array_equal(np.asarray(image_a), np.asarray(image_b))
    assert item_a.id != item_c.id
    assert not np.array_equal(np.asarray(image_a), np.asarray(image_c))


def test_demo_world_covers_the_promised_variety():
    assert len(DEMO_CATEGORIES) >= 12 and set(DEMO_CATEGORIES) <= set(CATEGORIES)
    assert len(DEMO_COLORS) >= 12 and set(DEMO_COLORS) <= set(COLORS)
    assert len(DEMO_PATTERNS) >= 6 and set(DEMO_PATTERNS) <= set(PATTERNS)
    items = [generate_item(i, seed=11)[0] for i in range(600)]
    assert set(Counter(i.category for i in items)) == set(DEMO_CATEGORIES)
    assert set(Counter(i.colors[0] for i in items)) == set(DEMO_COLORS)
    assert set(Counter(i.pattern for i in items)) == set(DEMO_PATTERNS)
    assert {i.length for i in items if i.category == "dress"} == {"mini", "knee", "maxi"}
    assert {i.sleeve for i in items if i.category == "dress"} == {"sleeveless", "short", "long"}


def test_photos_are_product_shots_on_a_light_background():
    for index in range(30):
        item, image = generate_item(index, seed=2)
        assert image.mode == "RGB" and image.size[0] >= 256 and image.size[1] >= 256
        pixels = np.asarray(image).astype(int)
        corners = [pixels[0, 0], pixels[0, -1], pixels[-1, 0], pixels[-1, -1]]
        assert all(c.min() > 220 for c in corners), item.id
        # the garment covers a real share of the frame, in its primary colour
        primary = np.array(DEMO_COLORS[item.colors[0]])
        share = (np.abs(pixels - primary).sum(axis=2) < 30).mean()
        assert share > 0.04, (item.id, share)


def test_same_attributes_still_vary_in_placement():
    # Two items of the same category must not be pixel-identical silhouettes at the same place.
    by_category: dict = {}
    for index in range(200):
        item, image = generate_item(index, seed=5)
        by_category.setdefault(item.category, []).append(np.asarray(image.convert("L")) < 200)
    masks = by_category["pants"][:2]
    assert (masks[0] != masks[1]).mean() > 0.02


def test_items_carry_shop_metadata_and_a_shopper_caption():
    item, _ = generate_item(0, seed=9)
    for name in ("id", "title", "caption", "category", "gender", "colors", "pattern", "season", "price", "url",
                 "image_path", "style", "occasion", "material"):
        assert getattr(item, name) not in (None, "", []), name
    for word in (item.style, item.occasion, item.material, item.colors[0]):
        assert word in item.caption
    assert item.price > 0 and item.url.startswith("https://")
    # what the model is taught is valid under the schema
    assert parse_garments(garments_to_json([item.visible_garment()])).ok


def test_cli(tmp_path, capsys):
    assert main([str(tmp_path / "c"), "--count", "3", "--seed", "1"]) == 0
    assert len(load_catalog(tmp_path / "c")) == 3
    assert main([str(tmp_path / "d"), "--count", "0"]) == 1
    assert "error" in capsys.readouterr().err


def test_shipped_demo_catalog_is_the_documented_one():
    from fashion_ai.config import DEFAULT_CATALOG_DIR

    items = load_catalog(DEFAULT_CATALOG_DIR)
    assert len(items) == 320
    fresh, _ = generate_item(17, seed=7)
    assert items[17].title == fresh.title and items[17].colors == fresh.colors
