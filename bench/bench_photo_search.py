"""Photo search finds the photo: every photo of the shipped catalog searched on its own (`service.search_photo`, as
the app's "Search by photo" does), exactly as stored and as a shopper's copy of it (re-compressed as JPEG 60 and
cropped to 90% of each side at a seeded offset); how often its own item ranks first and in the top 3, beside the
visual-only baseline (the store's nearest image embedding, no attributes), and the cosine of the own item against the
best other item (the margin a near-duplicate rule can rely on).

    python bench/bench_photo_search.py [--split dev|test|all] [--seed 33] [--threads 2] [--limit N]

The catalog's items are split dev/test by a seeded shuffle (`--split_seed`, default 3333): rules are tuned on dev;
test is read once. Prints a table and writes bench/results/photo_search-<split>.json.
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402


def shopper_copy(image: Image.Image, rng: random.Random, keep: float = 0.9, quality: int = 60) -> Image.Image:
    """The photo as a shopper's copy: cropped to `keep` of each side at a random offset, then saved as JPEG."""
    image = image.convert("RGB")
    width, height = image.size
    w, h = round(width * keep), round(height * keep)
    left, top = rng.randint(0, width - w), rng.randint(0, height - h)
    buffer = io.BytesIO()
    image.crop((left, top, left + w, top + h)).save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def split_items(items: list, split: str, seed: int) -> list:
    """Dev and test halves of the catalog by a seeded shuffle of the ids."""
    ids = sorted(item.id for item in items)
    random.Random(seed).shuffle(ids)
    half = set(ids[: len(ids) // 2]) if split == "dev" else set(ids[len(ids) // 2:]) if split == "test" else set(ids)
    return [item for item in items if item.id in half]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("dev", "test", "all"), default="dev")
    parser.add_argument("--split_seed", type=int, default=3333)
    parser.add_argument("--seed", type=int, default=33, help="the crops' offsets")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="at most this many items (0: all of the split)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)

    import numpy as np
    import torch

    from fashion_ai.config import AppConfig
    from fashion_ai.service import FashionService

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as data:
        service = FashionService(AppConfig(profile="demo", data_dir=data))
        store = service.store()
        items = split_items(store.all_items(), args.split, args.split_seed)
        if args.limit:
            items = items[: args.limit]
        rng = random.Random(args.seed)
        rows = {"exact": [], "copy": []}
        times: list[float] = []
        for item in items:
            photo = Image.open(service.photo_of(item)).convert("RGB")
            for variant, image in (("exact", photo), ("copy", shopper_copy(photo, rng))):
                started = time.perf_counter()
                hits = service.search_photo(image).result.hits
                times.append(time.perf_counter() - started)
                ranked = [hit.item.id for hit in hits]
                vector = service.context().embedder.embed_images([image])[0]
                nearest = store.query(vector, 4)
                visual = [found.id for found, _ in nearest]
                own = float(np.dot(store.embeddings([item.id])[item.id], vector))
                other = max((cos for found, cos in nearest if found.id != item.id), default=0.0)
                rows[variant].append({"id": item.id, "rank": ranked.index(item.id) + 1 if item.id in ranked else None,
                                      "visual_rank": visual.index(item.id) + 1 if item.id in visual else None,
                                      "own_cosine": round(own, 4), "best_other_cosine": round(other, 4)})
    summary = {}
    for variant, found in rows.items():
        n = len(found) or 1
        summary[variant] = {
            "photos": len(found),
            "own_first": round(sum(r["rank"] == 1 for r in found) / n, 3),
            "own_top3": round(sum(r["rank"] is not None and r["rank"] <= 3 for r in found) / n, 3),
            "visual_only_first": round(sum(r["visual_rank"] == 1 for r in found) / n, 3),
            "own_cosine_min": min((r["own_cosine"] for r in found), default=None),
            "best_other_cosine_max": max((r["best_other_cosine"] for r in found), default=None),
            "margin_min": min((round(r["own_cosine"] - r["best_other_cosine"], 4) for r in found), default=None),
        }
    times.sort()
    report = {"split": args.split, "split_seed": args.split_seed, "seed": args.seed, "threads": args.threads,
              "machine": platform.machine(), "latency_ms_p50": round(1000 * times[len(times) // 2], 1) if times else None,
              "summary": summary, "rows": rows}
    print(f"photo search on the shipped catalog, {args.split} split ({len(items)} items; threads {args.threads})")
    print(f"{'photo':8} {'own first':>10} {'own top 3':>10} {'visual-only first':>18} {'own cos min':>12} "
          f"{'best other max':>15} {'margin min':>11}")
    for variant, s in summary.items():
        print(f"{variant:8} {s['own_first']:>10} {s['own_top3']:>10} {s['visual_only_first']:>18} "
              f"{s['own_cosine_min']!s:>12} {s['best_other_cosine_max']!s:>15} {s['margin_min']!s:>11}")
    print(f"median search_photo {report['latency_ms_p50']} ms")
    out = args.out or ROOT / "bench" / "results" / f"photo_search-{args.split}.json"
    out.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
