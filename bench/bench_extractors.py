"""Attribute extractors side by side on held-out demo items: PaliGemma free generation (the baseline), PaliGemma
constrained decoding on the photo alone and with its mirror image (the test-time flip, the app's default), and CLIP
zero-shot, per field, with the latency of each; and how often each says "no garment"
on photos without one and, falsely, on garment photos.

    python bench/bench_extractors.py [--items 300] [--seeds 424242 77777 31337] [--threads 2] [--presence_items 100]

The seeds are ones no recipe or prompt was tuned on (the training recipe was tuned on seed 1001, the CLIP prompt
templates on seed 555). Per field: accuracy of the answer (a field not answered counts as wrong); for the
extractors that choose among allowed values also the share answered surely and the accuracy of those. JSON
validity and repairs for free generation. Latency: median and p90 milliseconds per photo, one photo at a time.
No garment: the share of photos answered with no garment in each set of ``train_space.py eval``'s report
(fashion_ai.training.heldout.held_out_sets): empty scenes of these seeds, each kind of non-garment photo training
never draws, and (false "no garment") demo items of these seeds and Fashion-MNIST's first test photos.

Prints a table and writes bench/results/extractors.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "extractors.json"
FIELDS = ("category", "colors", "pattern", "sleeve", "length")
HELD_OUT_SEEDS = (424242, 77777, 31337)
FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")


def run(extractor, items: list, images: list) -> tuple[list, list[float]]:
    extractions, times = [], []
    for image in images:
        started = time.perf_counter()
        extractions.append(extractor.extract(image))
        times.append((time.perf_counter() - started) * 1000)
    return extractions, times


def score(name: str, extractions: list, items: list, times: list[float]) -> dict:
    from fashion_ai.training.metrics import extraction_metrics, guess_metrics

    truths = [item.visible_garment() for item in items]
    report = extraction_metrics([e.result for e in extractions], truths, FIELDS)
    out = {"extractor": name, "photos": len(items), "json_valid_rate": report["json_valid_rate"],
           "clean_rate": report["clean_rate"],
           "latency_ms": {"p50": round(statistics.median(times), 1),
                          "p90": round(sorted(times)[int(0.9 * (len(times) - 1))], 1)},
           "fields": {f: {"accuracy": r["accuracy"], "support": r["support"]} for f, r in report["fields"].items()}}
    if any(e.guesses for e in extractions):
        # The answer is the best value, sure or not; the sure share and the sure values' accuracy beside it.
        out["fields"] = guess_metrics([e.guesses[0] if e.guesses else {} for e in extractions], truths, FIELDS)
    return out


def no_garment(name: str, extractor, sets: list) -> dict:
    """The share of each set's photos the extractor answers with no garment (on garment photos: a false answer)."""
    rows = {}
    for photo_set in sets:
        said = [not extractor.extract(photo).result.garments for photo in photo_set.photos]
        rows[photo_set.name] = {"role": photo_set.role, "photos": len(said),
                                "said_no_garment": round(sum(said) / max(1, len(said)), 4)}
    unseen = [r["said_no_garment"] for r in rows.values() if r["role"] == "unseen"]
    return {"extractor": name, "sets": rows, "unseen_mean": round(sum(unseen) / max(1, len(unseen)), 4),
            "unseen_worst": min(unseen, default=None)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=300, help="held-out photos per seed")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(HELD_OUT_SEEDS))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--presence_items", type=int, default=100, help="photos per garment-or-not set (0 = skip)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import torch

    from fashion_ai.config import AppConfig
    from fashion_ai.demo_world import iter_demo_items
    from fashion_ai.models.clip.zero_shot import ClipAttributeExtractor
    from fashion_ai.models.paligemma.inference import AttributeExtractor
    from fashion_ai.models.paligemma.loading import load_paligemma
    from fashion_ai.models.registry import load_embedder
    from fashion_ai.training.heldout import held_out_sets

    torch.set_num_threads(args.threads)
    config = AppConfig(profile="demo")
    processor, model = load_paligemma(config.demo_extractor_dir, None, load_in_4bit=False, device="cpu")
    extractors = {
        "PaliGemma, free generation (baseline)": AttributeExtractor(processor, model, decoding="free"),
        "PaliGemma, constrained decoding": AttributeExtractor(processor, model, decoding="constrained"),
        "PaliGemma, constrained + mirror (app)": AttributeExtractor(processor, model, decoding="constrained",
                                                                    mirror=True),
        "CLIP zero-shot": ClipAttributeExtractor(load_embedder(config, "demo")),
    }
    results = []
    for seed in args.seeds:
        pairs = list(iter_demo_items(args.items, seed))
        items, images = [p[0] for p in pairs], [p[1] for p in pairs]
        for name, extractor in extractors.items():
            extractions, times = run(extractor, items, images)
            results.append({"seed": seed, **score(name, extractions, items, times)})
    print(f"{'extractor':40s} {'seed':>7s} " + " ".join(f"{f:>9s}" for f in FIELDS) + f" {'p50 ms':>7s}")
    for row in results:
        cells = " ".join(f"{row['fields'][f]['accuracy']:9.3f}" if f in row["fields"] else f"{'n/a':>9s}" for f in FIELDS)
        print(f"{row['extractor']:40s} {row['seed']:7d} {cells} {row['latency_ms']['p50']:7.1f}")
    presence = []
    if args.presence_items:
        sets = held_out_sets(args.seeds, args.presence_items, str(FASHION_MNIST) if FASHION_MNIST.is_dir() else None)
        presence = [no_garment(name, extractor, sets) for name, extractor in extractors.items()]
        names = [s.name for s in sets if s.role == "empty"] + ["unseen mean", "unseen worst"] + [
            f"false: {s.name}" for s in sets if s.role == "garment"]
        print(f"\n'no garment' said ({args.presence_items} photos a set)\n{'extractor':40s} "
              + " ".join(f"{n:>18s}" for n in names))
        for row in presence:
            cells = [row["sets"][s.name]["said_no_garment"] for s in sets if s.role == "empty"]
            cells += [row["unseen_mean"], row["unseen_worst"]]
            cells += [row["sets"][s.name]["said_no_garment"] for s in sets if s.role == "garment"]
            print(f"{row['extractor']:40s} " + " ".join(f"{c:18.3f}" for c in cells))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": platform.platform(), "threads": args.threads, "items": args.items,
                                    "results": results, "presence_items": args.presence_items,
                                    "no_garment": presence}, indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
