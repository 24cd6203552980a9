"""Search results before and after a refactor of the store and its filters: the same items, scores, reasons and notes.

The golden file (search_golden.json beside this one) was written by the code as it was before the filter and the
store were reshaped (issue 32 point 4): 40 shoppers' queries, each alone and under a pinned filter, a few outfits,
stylist picks and steered searches, on the shipped catalog (CLIP, the text model, both indexes: the app's own
context) and on a 2,000-item demo catalog (CLIP and the lexicon); on the latter also the store's own filtered
queries and look-ups, for an embedded store's records (the mirror's way) and for records with facet keys (Chroma's
own filter), so every way the store answers a filter is compared.

    python -m tests.retrieval.test_search_golden   # writes the golden file again (only for a deliberate change)
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from fashion_ai.config import PROJECT_ROOT

GOLDEN = Path(__file__).with_name("search_golden.json")
SHIPPED_CATALOG = PROJECT_ROOT / "assets" / "catalog"
DEMO_EMBEDDER = PROJECT_ROOT / "assets" / "models" / "embedder"
DEMO_SEED, DEMO_ITEMS = 3232, 2000  # a seed nothing else uses (git grep 3232)
RESULTS = 12
SCORE_TOLERANCE = 1e-4  # the models' float arithmetic may differ in the last bits with the thread count

# From bench/search_dev_set.json (kinds, colours, refusals, prices, audiences, occasions), and a few more.
QUERIES = [
    "red dress", "striped shirt", "black shoes", "floral skirt", "white bag", "grey sweater", "navy coat",
    "checked scarves", "a crimson gown", "polka dot skirt", "trainers", "a burgundy blouse", "tartan trousers",
    "a dress that is not black", "a skirt without stripes", "a sweater, no wool", "shoes but not brown",
    "a coat that isn't grey or black", "not red", "a dress under $80", "shoes less than 100 dollars",
    "a bag between $50 and $150", "a coat over $200", "a cheap t-shirt", "men's striped shirt", "a jacket for her",
    "mens jeans", "a dress for a summer wedding", "something for the beach", "a winter scarf",
    "a shirt for the office", "party shoes", "a black white dress", "men's navy wool coat under $250",
    "a red floral dress no more than $100", "blue denim jacket for men", "boots, not sneakers", "blue jeans",
    "a silk blouse in pink or purple", "luxury leather bag",
]


def _filters() -> list:
    from fashion_ai.retrieval.search import SearchFilters

    return [SearchFilters(gender="women"), SearchFilters(gender="men", max_price=120), SearchFilters(category="dress"),
            SearchFilters(color="black"), SearchFilters(category="shoe", color="white", max_price=150)]


def _where_clauses() -> list[dict]:
    """Store filters of every shape the app builds (as where dicts: the form callers outside the store pass)."""
    return [
        {"category": "dress"}, {"gender": {"$in": ["women", "unisex"]}}, {"color_red": True},
        {"price": {"$lte": 80.0}}, {"category": {"$in": ["top", "shirt", "sweater", "cardigan", "vest"]}},
        {"$and": [{"gender": {"$in": ["men", "unisex"]}}, {"price": {"$lte": 150.0}}, {"category": "shoe"},
                  {"color_black": True}]},
        {"$and": [{"category": {"$nin": ["coat"]}}, {"color_grey": {"$ne": True}}, {"color_black": {"$ne": True}}]},
        {"$and": [{"category": "dress"}, {"$or": [{"color_red": True}, {"color_blue": True}]},
                  {"pattern": {"$in": ["floral"]}}]},
        {"$and": [{"price": {"$gte": 50.0}}, {"price": {"$lte": 150.0}}, {"category": "bag"}]},
        {"$and": [{"gender": {"$in": ["women", "unisex"]}}, {"category": {"$in": ["bag"]}}, {"price": {"$lt": 40.0}}]},
        {"$and": [{"material": {"$nin": ["wool"]}}, {"season": {"$in": ["winter"]}}, {"occasion": {"$in": ["work"]}}]},
        {"$and": [{"style": {"$in": ["elegant"]}}, {"gender": "men"}]},
        {"category": "cape"},
    ]


def _hits(result) -> dict:
    hits = result.hits if hasattr(result, "hits") else result
    return {"ids": [hit.item.id for hit in hits], "scores": [round(float(hit.score), 6) for hit in hits],
            "reasons": [hit.reason for hit in hits], "notes": list(getattr(result, "notes", []))}


def _searches(ctx, items: list, outfits: bool) -> dict[str, dict]:
    from fashion_ai.retrieval.outfits import plan_outfit
    from fashion_ai.retrieval.search import SearchFilters, find_items
    from fashion_ai.retrieval.steer import Steer
    from fashion_ai.retrieval.stylist import style_outfit
    from fashion_ai.schema import Garment

    filters = _filters()
    answers: dict[str, dict] = {}
    for k, text in enumerate(QUERIES):
        answers[text] = _hits(find_items(text, ctx, n=RESULTS))
        pinned = filters[k % len(filters)]
        answers[f"{text} | {pinned}"] = _hits(find_items(text, ctx, pinned, n=RESULTS))
    by_category: dict[str, list[str]] = {}
    for item in sorted(items, key=lambda item: item.id):
        by_category.setdefault(item.category, []).append(item.id)
    dresses, shoes, bags = by_category["dress"], by_category["shoe"], by_category["bag"]
    steer = Steer(liked=dresses[:2], rejected=dresses[2:3], excluded=set(dresses[3:9]))
    answers["steered: a red dress"] = _hits(find_items("a red dress", ctx, n=RESULTS, steer=steer))
    answers["steered: a photo's vector"] = _hits(find_items(
        "", ctx, n=RESULTS, photo_vector=ctx.store.embeddings([shoes[0]])[shoes[0]], worded=False))
    if not outfits:
        return answers
    for prompt, pinned in [("an outfit for a summer wedding", None), ("office look", SearchFilters(gender="men")),
                           ("a night out, under $300 in all", SearchFilters(gender="women", max_price=120)),
                           ("a red dress for a party", SearchFilters(color="red")),
                           ("shoes for a wedding", SearchFilters(color="black", category="shoe"))]:
        answers[f"outfit: {prompt} | {pinned}"] = _hits(plan_outfit(prompt, ctx, pinned))
    slot_steer = Steer(pinned={"shoes": shoes[0]}, slot_caps={"bag": 60.0}, excluded=set(bags[:20]),
                       previous={"bag": bags[0]})
    answers["outfit: steered"] = _hits(plan_outfit("an outfit for work", ctx, steer=slot_steer))
    for garment, prompt in [(Garment(category="dress", colors=["yellow"]), "what goes with this for a summer wedding?"),
                            (Garment(category="pants", colors=["blue"], material="denim"), "something for a weekend trip"),
                            (Garment(category="shirt", colors=["white"]), "an outfit for the office")]:
        answers[f"stylist: {garment.category} | {prompt}"] = _hits(style_outfit(garment, prompt, ctx))
    return answers


def _digest(ids: list[str]) -> str:
    return hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16]


def _store_answers(store, vectors: dict[str, object]) -> dict[str, dict]:
    """The store's own filtered queries (30 nearest) and look-ups (every match, sorted) for each clause."""
    answers: dict[str, dict] = {}
    for where in _where_clauses():
        for word, vector in vectors.items():
            found = store.query(vector, 30, where)
            answers[f"query {word} | {json.dumps(where)}"] = {
                "ids": [item.id for item, _ in found], "scores": [round(float(score), 6) for _, score in found]}
        matches = sorted(item.id for item in store.get_where(where, 5000))
        answers[f"get_where | {json.dumps(where)}"] = {"count": len(matches), "ids": _digest(matches)}
    return answers


def compute(workdir: Path) -> dict[str, dict[str, dict]]:
    """Every answer compared, by catalog; models and indexes built in workdir."""
    from fashion_ai.catalog import load_catalog
    from fashion_ai.catalog.index import build_index, build_text_index
    from fashion_ai.catalog.store import CatalogStore
    from fashion_ai.demo_world import write_catalog
    from fashion_ai.models.clip.embeddings import Embedder
    from fashion_ai.models.clip.loading import load_clip
    from fashion_ai.models.text import load_text_model
    from fashion_ai.retrieval.reading import QueryReader, lexicon_reader
    from fashion_ai.retrieval.search import SearchContext

    embedder = Embedder(*load_clip(str(DEMO_EMBEDDER), device="cpu"), name="demo-embedder")
    text_model = load_text_model()
    shipped = load_catalog(SHIPPED_CATALOG)
    store = CatalogStore(workdir / "shipped", embedder_name=embedder.name)
    text_store = CatalogStore(workdir / "shipped", collection="texts", embedder_name=text_model.name)
    build_index(shipped, embedder, store)
    build_text_index(shipped, text_model, text_store)
    app_ctx = SearchContext(embedder, store, QueryReader(text_model), text_model, text_store)
    golden = {"shipped": _searches(app_ctx, shipped, outfits=True)}

    write_catalog(workdir / "demo-catalog", DEMO_ITEMS, seed=DEMO_SEED, size=64)
    demo = load_catalog(workdir / "demo-catalog")
    slim = CatalogStore(workdir / "demo", embedder_name=embedder.name)
    build_index(demo, embedder, slim)
    golden["demo-2000"] = _searches(SearchContext(embedder, slim, lexicon_reader()), demo, outfits=False)
    keyed = CatalogStore(workdir / "demo", collection="keyed", embedder_name=embedder.name, filter_keys=True)
    ids = sorted(item.id for item in demo)
    stored = slim.embeddings(ids)
    by_id = {item.id: item for item in demo}
    keyed.add([by_id[i] for i in ids], np.stack([stored[i] for i in ids]))
    words = ["red dress", "black leather shoes", "a warm winter coat"]
    vectors = dict(zip(words, embedder.embed_texts(words), strict=True))
    golden["demo-2000 store"] = _store_answers(slim, vectors)
    golden["demo-2000 keyed store"] = _store_answers(keyed, vectors)
    return golden


def differences(got: dict, want: dict) -> list[str]:
    """Every answer that differs from the golden one, in a line each."""
    lines = []
    for catalog, answers in want.items():
        for case, expected in answers.items():
            actual = got.get(catalog, {}).get(case)
            if actual is None:
                lines.append(f"{catalog} / {case}: not computed")
                continue
            for key in ("ids", "count", "reasons", "notes"):
                if key in expected and actual[key] != expected[key]:
                    lines.append(f"{catalog} / {case}: {key} {actual[key]} != {expected[key]}")
            if "scores" in expected and (len(actual["scores"]) != len(expected["scores"]) or any(
                    abs(a - b) > SCORE_TOLERANCE for a, b in zip(actual["scores"], expected["scores"], strict=False))):
                lines.append(f"{catalog} / {case}: scores {actual['scores']} != {expected['scores']}")
    return lines


@pytest.fixture(scope="module")
def answers(tmp_path_factory):
    return compute(tmp_path_factory.mktemp("golden"))


@pytest.mark.slow
def test_search_results_are_the_golden_ones(answers):
    want = json.loads(GOLDEN.read_text())
    assert sum(len(cases) for cases in want.values()) > 250  # the golden file is whole
    assert set(answers) == set(want) and all(set(answers[c]) == set(want[c]) for c in want)
    assert differences(answers, want) == []


@pytest.mark.slow
def test_the_comparison_sees_a_changed_answer(answers):
    """A result one place lower, a score off in the fourth decimal or another note: each is a difference."""
    want = json.loads(GOLDEN.read_text())
    case = next(case for case, answer in want["shipped"].items() if len(answer["ids"]) >= 2 and answer["notes"])
    moved = json.loads(json.dumps(answers))
    answer = moved["shipped"][case]
    answer["ids"][0], answer["ids"][1] = answer["ids"][1], answer["ids"][0]
    answer["scores"][-1] += 2 * SCORE_TOLERANCE
    answer["notes"] = answer["notes"][1:] + ["something else"]
    assert len(differences(moved, want)) == 3


if __name__ == "__main__":
    import logging

    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as folder:
        computed = compute(Path(folder))
    # One line per answer: a change shows as the lines of the answers it changed.
    GOLDEN.write_text("{\n" + ",\n".join(
        f" {json.dumps(catalog)}: {{\n" + ",\n".join(f"  {json.dumps(case)}: {json.dumps(answer, sort_keys=True)}"
                                                     for case, answer in sorted(cases.items())) + "\n }"
        for catalog, cases in sorted(computed.items())) + "\n}\n")
    print(f"wrote {sum(len(c) for c in computed.values())} answers to {GOLDEN}", file=sys.stderr)
