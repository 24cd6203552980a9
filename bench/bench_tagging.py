"""Tagging a shop's feed: how fast the extractor reads photos one at a time and in batches, how right its tags are,
and how well search works on the tagged feed against the same catalog with its labels and with none, in one run.

    python bench/bench_tagging.py [--seed 3535] [--items 400] [--speed-photos 64] [--batch 32] [--threads 2]

A demo catalog of a seed nothing else uses is written labelled (the truth), stripped to a shop feed (photo, price,
link, audience; titles "Item N"; no attributes: fashion_ai.demo_world.feed), and stripped but keeping the shop's
product titles. The demo extractor (assets/models/extractor, in this process) tags both feeds; each field's tags
are scored against the truth (accuracy of the values tagged, and the share left unknown of the items whose truth
has a value). Then bench_search_quality.py's development queries run on the labelled catalog, the untagged feed
and the two tagged feeds, each judged by the truth. Prints a table and writes bench/results/tagging.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "tagging.json"
FIELDS = ("category", "colors", "pattern", "sleeve", "length", "material", "style", "occasion", "season")


def photos_per_second(extractor, images: list, batch: int) -> dict[str, float]:
    """The extractor's rate one photo at a time and batched, on the same photos."""
    started = time.perf_counter()
    for image in images:
        extractor.extract(image)
    one = len(images) / (time.perf_counter() - started)
    rates = {"one at a time": round(one, 2)}
    if hasattr(extractor, "extract_batch"):
        started = time.perf_counter()
        for start in range(0, len(images), batch):
            extractor.extract_batch(images[start:start + batch])
        rates[f"batches of {batch}"] = round(len(images) / (time.perf_counter() - started), 2)
    return rates


def tag_scores(truth: dict, tagged: dict) -> dict[str, dict]:
    """Per field: items whose truth has a value, the share tagged right of those tagged, the share left unknown."""
    scores = {}
    for name in FIELDS:
        known = [item_id for item_id, item in truth.items() if getattr(item, name)]
        read = [item_id for item_id in known if name in tagged[item_id].tagged]
        if name == "colors":  # the main colour: the one a shopper searches by first
            right = sum(tagged[i].colors[:1] == truth[i].colors[:1] for i in read)
        else:
            right = sum(getattr(tagged[i], name) == getattr(truth[i], name) for i in read)
        scores[name] = {"items": len(known), "tagged": len(read),
                        "accuracy": round(right / len(read), 3) if read else None,
                        "unknown": round(1 - len(read) / len(known), 3) if known else None}
    return scores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=3535, help="the demo catalog's seed (nothing else uses it)")
    parser.add_argument("--items", type=int, default=400)
    parser.add_argument("--speed-photos", type=int, default=64, help="photos timed one at a time and batched")
    parser.add_argument("--batch", type=int, default=32, help="photos per batch")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import os

    os.environ.update(HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    import torch
    from PIL import Image

    from bench.bench_search_quality import DEV_SET, judge, run_after
    from fashion_ai.catalog import load_catalog, save_catalog
    from fashion_ai.catalog.tags import load_tagged_catalog
    from fashion_ai.config import AppConfig
    from fashion_ai.demo_world import write_catalog
    from fashion_ai.demo_world.feed import shop_feed
    from fashion_ai.models.registry import load_paligemma_extractor
    from fashion_ai.models.text import load_text_model
    from fashion_ai.retrieval.reading import QueryReader
    from fashion_ai.tagging.run import tag_catalog

    torch.set_num_threads(args.threads)
    work = Path(tempfile.mkdtemp(prefix=f"tagging-{args.seed}-"))
    labelled, feed, plain, titled = work / "labelled", work / "feed", work / "plain", work / "titled"
    write_catalog(labelled, args.items, args.seed)
    truth = {item.id: item for item in load_catalog(labelled)}  # image paths absolute: the feeds share the photos
    for folder in (feed, plain, titled):
        folder.mkdir()
        save_catalog(folder, shop_feed(truth.values(), titles=folder == titled))
    extractor = load_paligemma_extractor(AppConfig(profile="demo"), "demo")
    photos = [Image.open(item.image_path).convert("RGB") for item in list(truth.values())[:args.speed_photos]]
    speed = photos_per_second(extractor, photos, args.batch)
    reader = QueryReader(load_text_model())
    report = tag_catalog(load_catalog(feed), feed, extractor, reader, batch_size=args.batch)
    tagged = {item.id: item for item in load_tagged_catalog(feed)}
    scores = tag_scores(truth, tagged)
    # The same feed with the shop's product titles ("Red floral linen midi dress"), as real feeds have them.
    tag_catalog(load_catalog(titled), titled, extractor, reader, batch_size=args.batch)
    titled_scores = tag_scores(truth, {item.id: item for item in load_tagged_catalog(titled)})
    dev = json.loads(DEV_SET.read_text())
    search = {name: judge(run_after(folder, dev, args.threads), dev, truth)
              for name, folder in (("labelled", labelled), ("untagged feed", plain), ("tagged feed", feed),
                                   ("tagged, titles", titled))}
    best = search["labelled"]["p@6_all"]
    ratio = search["tagged feed"]["p@6_all"] / best if best else 0.0
    titled_ratio = search["tagged, titles"]["p@6_all"] / best if best else 0.0
    result = {"seed": args.seed, "items": args.items, "machine": platform.platform(), "threads": args.threads,
              "extractor": extractor.name, "photos_per_second": speed,
              "tagging_run": {"items": report.tagged, "seconds": round(report.seconds, 1),
                              "items_per_second": round(report.photos_per_second, 2),
                              "no_garment": len(report.no_garment), "unreadable": len(report.unreadable)},
              "tags": scores, "tags_with_titles": titled_scores,
              "search": {name: {k: v for k, v in s.items() if k != "queries"} for name, s in search.items()},
              "tagged_over_labelled_precision": round(ratio, 3),
              "tagged_with_titles_over_labelled_precision": round(titled_ratio, 3)}
    print(f"demo catalog seed {args.seed}, {args.items} items stripped to a feed; extractor: {extractor.name}; "
          f"{args.threads} threads")
    print(f"{'photos/s':28s} " + "  ".join(f"{k}: {v:.1f}" for k, v in speed.items()))
    print(f"{'tagging run':28s} {report.tagged} items in {report.seconds:.0f} s ({report.photos_per_second:.1f}/s)")
    print(f"{'field':12s} {'items':>6s} {'tagged':>7s} {'accuracy':>9s} {'unknown':>8s}   with titles: "
          f"{'accuracy':>9s} {'unknown':>8s}")
    for name, row in scores.items():
        cells = []
        for each in (row, titled_scores[name]):
            cells += ["-" if each[key] is None else f"{each[key]:.3f}" for key in ("accuracy", "unknown")]
        print(f"{name:12s} {row['items']:6d} {row['tagged']:7d} {cells[0]:>9s} {cells[1]:>8s}   {'':13s}"
              f"{cells[2]:>9s} {cells[3]:>8s}")
    print(f"{'search precision of the top 6':32s} " + " ".join(f"{name:>14s}" for name in search))
    for label, key in (("  all queries", "p@6_all"), ("  matches first", "first_all"),
                       ("  stylist picks accepted", "stylist_accepted")):
        print(f"{label:32s} " + " ".join(f"{s[key]:14.3f}" for s in search.values()))
    print(f"tagged feed / labelled catalog, precision: {ratio:.3f} (titles 'Item N'); {titled_ratio:.3f} (the "
          "shop's titles)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
