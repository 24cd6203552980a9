"""The stylist chat, played: scripted conversations (bench/chat_scripts.json) on a demo catalog of a seed nothing was
tuned on, each turn's picks checked against the wish by catalog metadata alone.

    python bench/bench_conversation.py [--seed 5150] [--items 600]

A turn honours the wish when its picks keep every price cap (per item and in all), show no refused colour, pattern,
material or kind, no rejected or swapped-out item, meet the dress code and the weather (a piece the shopper liked is
theirs), suit the audience, are of the kinds asked for, and when the turn's own edit held: the wish read as the
script says, "more casual" / "more formal" moved the picks' mean dress-code level the right way, "cheaper" made
every slot (or the list) cheaper, a liked item's neighbours (CLIP image embeddings) moved closer, a swap changed that
slot only, a refused item is gone, a verdict on a photo is the one the rules give. The baseline is the one-shot
stylist of the same checkout: every message alone, nothing remembered (what this issue replaced), judged the same
way. Prints the share of turns honoured and the median turn latency; writes bench/results/conversation.json.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "bench" / "chat_scripts.json"
RESULTS = ROOT / "bench" / "results" / "conversation.json"
LONG_MESSAGE = "please " * 1500  # 10,500 characters


def mean_level(items) -> float | None:
    from fashion_ai.retrieval.rules import formality

    levels = [sum(formality(item)) / 2 for item in items]
    return statistics.mean(levels) if levels else None


def check_wish(wish, items: dict, picks: list[str]) -> list[str]:
    """What in the picks breaks the wish (empty: all honoured)."""
    from fashion_ai.retrieval.rules import climate, suits_occasion, suits_weather

    failures = []
    chosen = [items[i] for i in picks]
    liked = set(wish.liked)
    if wish.max_price is not None and any(it.price is None or it.price > wish.max_price for it in chosen):
        failures.append(f"over ${wish.max_price} each")
    if wish.total_budget is not None and sum(it.price or 0 for it in chosen) > wish.total_budget:
        failures.append(f"over ${wish.total_budget} in all")
    for name, values in wish.refused.items():
        for it in chosen:
            have = it.colors if name == "colors" else [getattr(it, name, None)]
            if set(values) & set(have):
                failures.append(f"{it.title} is {name} {values}")
    if set(picks) & (set(wish.rejected) | set(wish.swapped)):
        failures.append("a rejected or swapped item is back")
    levels = wish.dress_levels()
    season = (wish.wanted.get("season") or [None])[0]
    for it in chosen:
        if it.id in liked:
            continue
        if not suits_occasion(it, wish.occasion, levels):
            failures.append(f"{it.title} misses the dress code")
        if not suits_weather(it, climate(season, wish.occasion)):
            failures.append(f"{it.title} is wrong for the weather")
        if wish.gender and it.gender not in (wish.gender, "unisex"):
            failures.append(f"{it.title} is for {it.gender}")
    if wish.mode == "items" and wish.wanted.get("category"):
        failures += [f"{it.title} is not a {wish.wanted['category']}" for it in chosen
                     if it.category not in wish.wanted["category"]]
    return failures


def check_turn(expect: dict, result, before, items: dict, embeddings: dict, photo_item) -> list[str]:
    """The turn's own edit: the wish as the script says, and the picks moved the way the words asked."""
    from fashion_ai.retrieval.outfits import group_of

    wish, picks = result.wish, [p.id for p in result.picks]
    chosen = [items[i] for i in picks]
    failures = []
    for key in ("mode", "max_price", "total_budget", "gender"):
        if key in expect and getattr(wish, key) != expect[key]:
            failures.append(f"{key} is {getattr(wish, key)!r}, not {expect[key]!r}")
    for key in ("wanted", "refused"):
        for name, values in expect.get(key, {}).items():
            if not set(values) <= set(getattr(wish, key).get(name, [])):
                failures.append(f"{key} {name} lacks {values}")
    if expect.get("picks") == "none" and picks:
        failures.append("picks after a fresh start")
    if expect.get("picks") == "some" and not picks:
        failures.append("no picks")
    if expect.get("empty_wish") and not wish.is_empty():
        failures.append("the wish was not emptied")
    if "reply_has" in expect and expect["reply_has"] not in result.reply:
        failures.append(f"the reply does not say {expect['reply_has']!r}")
    if "category" in expect and (not chosen or any(it.category not in expect["category"] for it in chosen)):
        failures.append(f"not all {expect['category']}")
    if "colour" in expect:
        has = [expect["colour"] in it.colors for it in chosen]
        if not chosen or not (all(has) if wish.mode == "items" else any(has)):
            failures.append(f"not in {expect['colour']}")
    old = [items[s.id] for s in before.shown] if before else []
    if "levels_move" in expect:
        new_level, old_level = mean_level(chosen), mean_level(old)
        moved = new_level is not None and old_level is not None and (
            new_level < old_level if expect["levels_move"] == "down" else new_level > old_level)
        if not moved:
            failures.append(f"dress code did not move {expect['levels_move']} ({old_level} -> {new_level})")
    if expect.get("cheaper"):
        if wish.mode == "outfit":
            was = {s.slot: s.price for s in before.shown if s.slot and s.price is not None}
            now = {p.slot: p.price for p in result.picks if p.slot in was and p.price is not None}
            if not now or any(now[slot] >= was[slot] for slot in now if slot not in set(wish.liked.values())):
                failures.append("not cheaper slot by slot")
        elif not chosen or max(it.price or 0 for it in chosen) >= max(it.price or 0 for it in old):
            failures.append("not cheaper than the last list")
    for key in ("reject", "like"):
        if key in expect:
            # The turn before may have shown fewer picks (a small catalog, a strict wish): nothing to point at.
            if before is None or not 1 <= expect[key] <= len(before.shown):
                failures.append(f"no pick number {expect[key]} was on show to {key}")
                continue
            target = before.shown[expect[key] - 1].id
            if key == "reject" and target in picks:
                failures.append("the rejected item is still shown")
            if key == "like":
                others_new = [embeddings[i] for i in picks if i != target]
                others_old = [embeddings[s.id] for s in before.shown if s.id != target]
                near_new = statistics.mean(float(v @ embeddings[target]) for v in others_new) if others_new else 0
                near_old = statistics.mean(float(v @ embeddings[target]) for v in others_old) if others_old else 0
                if wish.mode == "outfit" and target not in picks:
                    failures.append("the liked piece was dropped")
                if near_new <= near_old:
                    failures.append(f"not closer to the liked item ({near_old:.3f} -> {near_new:.3f})")
    if "swap" in expect:
        was = {s.slot: s.id for s in before.shown}
        now = {p.slot: p.id for p in result.picks}
        slot = expect["swap"]
        if was.get(slot) is None or now.get(slot) in (None, was.get(slot)):  # a slot that vanished was not swapped
            failures.append(f"the {slot} was not swapped")
        if any(now.get(s) != i for s, i in was.items() if s != slot and s in now):
            failures.append("other pieces changed on a swap")
    if "verdict" in expect:
        if not result.verdict or any(v["fits"] != expect["verdict"] for v in result.verdict):
            failures.append(f"verdict {[v['fits'] for v in result.verdict]} not {expect['verdict']}")
    if expect.get("own_slot_free") and photo_item is not None:
        if any(group_of(it.category) == group_of(photo_item.category) for it in chosen):
            failures.append("a piece of the shopper's own slot")
    return failures


def play(service, scripts: dict, items: dict, embeddings: dict, photos: dict, meant: list | None = None) -> dict:
    """Every conversation turn by turn; with `meant` (the wishes a conversation built), the one-shot baseline: each
    message alone, its picks judged against the wish the shopper had built by then."""
    turns, latencies, wishes = [], [], []
    one_shot = meant is not None
    for conversation in scripts["conversations"]:
        state, before, photo_item = None, None, None
        for turn in conversation["turns"]:
            text = LONG_MESSAGE if turn["say"] == "LONG" else turn["say"]
            photo = photos.get(json.dumps(turn.get("photo"), sort_keys=True)) if turn.get("photo") else None
            if turn.get("photo") and "category" in turn["photo"]:
                photo_item = items[photo[1]]
            started = time.perf_counter()
            result = service.chat(text, photo[0] if photo else None, None if one_shot else state)
            latencies.append(time.perf_counter() - started)
            picks = [p.id for p in result.picks]
            wish = meant[len(wishes)] if one_shot else result.wish
            wishes.append(result.wish)
            failures = check_wish(wish, items, picks) + check_turn(turn["expect"], result, before, items, embeddings,
                                                                   photo_item)
            turns.append({"conversation": conversation["name"], "say": turn["say"][:60], "picks": picks,
                          "understood": result.understood, "failures": failures})
            state, before = result.wish.to_json(), result.wish
    honoured = [not t["failures"] for t in turns]
    return {"turns": turns, "wishes": wishes, "honoured": round(sum(honoured) / len(honoured), 3),
            "turn_ms_p50": round(1000 * statistics.median(latencies), 1),
            "turn_ms_p90": round(1000 * sorted(latencies)[int(0.9 * (len(latencies) - 1))], 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=5150, help="the demo catalog's seed (nothing was tuned on it)")
    parser.add_argument("--items", type=int, default=600)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--conversations", type=int, default=0, help="play only the first N (0: all)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    os.environ.update(HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    import numpy as np
    import torch
    from PIL import Image

    from fashion_ai.catalog import load_catalog
    from fashion_ai.config import AppConfig
    from fashion_ai.demo_world import write_catalog
    from fashion_ai.service import FashionService

    torch.set_num_threads(args.threads)
    scripts = json.loads(SCRIPTS.read_text())
    if args.conversations:
        scripts["conversations"] = scripts["conversations"][:args.conversations]
    work = Path(tempfile.mkdtemp(prefix=f"chat-{args.seed}-"))
    atexit.register(shutil.rmtree, work, True)  # the catalog and its index: gone when the bench ends
    write_catalog(work / "catalog", args.items, args.seed)
    service = FashionService(AppConfig(profile="demo", catalog_dir=str(work / "catalog"), data_dir=str(work / "data")))
    service.store()
    items = {item.id: item for item in load_catalog(work / "catalog")}
    embeddings = service.store().embeddings(list(items))
    noise = Image.fromarray((np.random.default_rng(args.seed).random((256, 256, 3)) * 255).astype("uint8"))
    photos = {}
    for conversation in scripts["conversations"]:
        for turn in conversation["turns"]:
            spec = turn.get("photo")
            if spec:
                item = next((i for i in sorted(items.values(), key=lambda i: i.id) if i.category == spec.get("category")),
                            None)
                photos[json.dumps(spec, sort_keys=True)] = (noise, None) if spec.get("noise") else (item.image_path, item.id)
    report = {"seed": args.seed, "items": args.items, "machine": platform.platform(), "threads": args.threads,
              "conversations": len(scripts["conversations"]),
              "turns": sum(len(c["turns"]) for c in scripts["conversations"])}
    report["conversation"] = play(service, scripts, items, embeddings, photos)
    report["one_shot"] = play(service, scripts, items, embeddings, photos, meant=report["conversation"]["wishes"])
    for run in ("conversation", "one_shot"):
        del report[run]["wishes"]
    print(f"demo catalog seed {args.seed}, {args.items} items; {report['conversations']} conversations, "
          f"{report['turns']} turns")
    print(f"{'':34s} {'one-shot':>9s} {'chat':>9s}")
    for label, key in (("turns whose picks honour the wish", "honoured"), ("turn latency ms (median)", "turn_ms_p50"),
                       ("turn latency ms (p90)", "turn_ms_p90")):
        print(f"{label:34s} {report['one_shot'][key]:9.3f} {report['conversation'][key]:9.3f}" if key == "honoured"
              else f"{label:34s} {report['one_shot'][key]:9.1f} {report['conversation'][key]:9.1f}")
    for turn in report["conversation"]["turns"]:
        if turn["failures"]:
            print(f"  ✗ {turn['conversation']}: {turn['say']!r}: {'; '.join(turn['failures'])}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
