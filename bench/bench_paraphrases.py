"""The stylist chat and the stylist on shoppers' own words: the paraphrase set (bench/paraphrases/), each turn judged
by what the shopper meant, on a demo catalog of a seed nothing else uses.

    python bench/bench_paraphrases.py --split dev [--seed 3434] [--items 600] [--threads 2]

Every single turn is played after its context (a few opening messages, shared by many turns and played once), every
conversation turn by turn, all through FashionService.chat on the demo profile as bench_conversation.py does; a
turn is honoured when the wish and the picks say what the shopper meant (bench/paraphrase_judge.py says how) and a
polarity flip is counted where a refusal was read as its opposite. Stylist requests go through the stylist (with
the shopper's garment) or "complete the outfit" (without), and each pick is accepted when its own catalog season,
material, style and kind fit the request's weather and dress code (rules written in the set, as metadata checks).

Tune on dev only. The test split is read once, at the end, by the lead: it runs only with --final; so does the
fresh split (bench/paraphrases/fresh.json), a held-out set written after test's first read, the fresh2 split
(bench/paraphrases/fresh2.json), written after fresh was read, and the fresh3 split (bench/paraphrases/fresh3.json),
written after fresh2 was read: each read once at the end.
Prints a table per intent and writes bench/results/paraphrases-<split>.json; the catalog is cached under
bench/results/ (git-ignored).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_SEED = 3434  # a demo-catalog seed used by nothing else in the project (git grep 3434)
DEFAULT_ITEMS = 600
HELD_OUT = ("test", "fresh", "fresh2", "fresh3")  # splits read once, at the end, only with --final


def demo_catalog(seed: int, items: int, cache: bool = True) -> Path:
    """The demo catalog folder for a seed and size, generated once and kept under bench/results/ (or a temp dir)."""
    from fashion_ai.demo_world import write_catalog

    folder = RESULTS / f"paraphrase-catalog-{seed}-{items}" if cache else Path(tempfile.mkdtemp()) / "catalog"
    if not (folder / "catalog.jsonl").is_file():
        partial = folder.with_name(folder.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        write_catalog(partial, items, seed)
        shutil.rmtree(folder, ignore_errors=True)
        partial.rename(folder)
    return folder


def photo_of(spec: dict, items: dict):
    """The first catalog item (by id) whose metadata match the spec, e.g. {"category": "coat", "season": "winter"}."""
    return next((it for _, it in sorted(items.items()) if all(getattr(it, k) == v for k, v in spec.items())), None)


class Player:
    """Plays turns through the chat and judges them; a context's opening turns are played once and reused."""

    def __init__(self, service, items: dict, embeddings: dict, contexts: dict):
        self.service, self.items, self.embeddings, self.contexts = service, items, embeddings, contexts
        self.latencies: list[float] = []
        self._played: dict[str, tuple] = {}
        self.setup: list[dict] = []

    def start(self, context: str | None) -> tuple:
        """(state, wish, meants, wishes) after a context's opening turns."""
        from paraphrase_judge import Meant, wish_state

        from fashion_ai.conversation.wish import Wish

        if context is None:
            return None, None, [Meant()], [wish_state(Wish())]
        if context not in self._played:
            start = self.start(None)
            records, end = self.play(self.contexts[context], start, f"context {context}")
            self.setup += records
            self._played[context] = end
        state, wish, meants, wishes = self._played[context]
        return state, copy.deepcopy(wish), list(meants), list(wishes)

    def play(self, turns: list[dict], start: tuple, label: str) -> tuple[list[dict], tuple]:
        """Each turn through the chat, judged; the records and where the conversation ended."""
        from paraphrase_judge import judge_turn, next_meant, wish_state

        state, before, meants, wishes = start
        records = []
        for turn in turns:
            photo, problems = None, []
            if turn.get("photo"):
                item = photo_of(turn["photo"], self.items)
                photo = item.image_path if item else None
                problems = [] if item else [f"the catalog has no item like {turn['photo']} to photograph"]
            started = time.perf_counter()
            result = self.service.chat(turn["say"], photo, state)
            self.latencies.append(time.perf_counter() - started)
            meant = next_meant(meants, turn["expect"], before)
            failures, flips = judge_turn(turn["expect"], meants, meant, result, before, wishes, self.items,
                                         self.embeddings)
            records.append({"where": label, "intent": turn.get("intent"), "tone": turn.get("tone"),
                            "say": turn["say"], "understood": result.understood, "failures": problems + failures,
                            "flips": flips})
            meants, wishes = meants + [meant], wishes + [wish_state(result.wish)]
            state, before = result.wish.to_json(), result.wish
        return records, (state, before, meants, wishes)


def accepted(item, rule: dict) -> bool:
    """Whether a stylist pick meets a request's acceptance rule: bench_search_quality's vocabulary, plus not_season
    and {"any": [rule, ...]} (a kind the shopper asked for despite the dress code)."""
    from bench_search_quality import accepts

    if "any" in rule:
        return any(accepted(item, r) for r in rule["any"])
    season_ok = item.season not in rule.get("not_season", [])
    return season_ok and accepts(item, {k: v for k, v in rule.items() if k != "not_season"}, {})


def run_stylist(service, requests: list[dict], items: dict) -> list[dict]:
    """Each request through the stylist (a garment) or "complete the outfit" (none); the accepted share of picks."""
    from fashion_ai.retrieval.stylist import style_outfit
    from fashion_ai.schema import Garment

    records = []
    for request in requests:
        started = time.perf_counter()
        if request["garment"]:
            result = style_outfit(Garment(**request["garment"]), service.stylist_prompt(request["prompt"]),
                                  service.context())
        else:
            result = service.complete_outfit(request["prompt"])
        elapsed = time.perf_counter() - started
        picks = [items[hit.item.id] for hit in result.hits]
        over = request.get("total_budget") and sum(it.price or 0 for it in picks) > request["total_budget"]
        refused = [f"{it.title} ({it.season}, {it.material}, {it.style})" for it in picks
                   if over or not accepted(it, request["accept"])]
        records.append({"id": request["id"], "need": request["need"], "prompt": request["prompt"],
                        "picks": len(picks), "accepted": round(1 - len(refused) / len(picks), 3) if picks else 0.0,
                        "not_accepted": refused, "over_budget": bool(over), "ms": round(1000 * elapsed, 1)})
    return records


def summarise(records: list[dict], key: str) -> dict:
    """Per value of `key` (intent, tone): turns, honoured share, polarity flips."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for record in records:
        groups[str(record[key])].append(record)
    return {name: {"turns": len(rs), "honoured": round(sum(not r["failures"] for r in rs) / len(rs), 3),
                   "flips": sum(len(r["flips"]) for r in rs)} for name, rs in sorted(groups.items())}


def _share(records: list[dict]) -> float:
    return round(sum(not r["failures"] for r in records) / len(records), 3) if records else 0.0


def play_set(service, data: dict, items: dict, embeddings: dict, limit: int = 0) -> dict:
    """Every single and conversation of a set, judged; the stylist requests; the report."""
    player = Player(service, items, embeddings, data.get("contexts", {}))
    singles, conversations = data.get("singles", []), data.get("conversations", [])
    stylist = data.get("stylist", [])
    if limit:
        singles, conversations, stylist = singles[:limit], conversations[:limit], stylist[:limit]
    single_records = []
    for single in singles:
        records, _ = player.play([single], player.start(single.get("context")), single["id"])
        single_records += records
    conversation_records = []
    for conversation in conversations:
        records, _ = player.play(conversation["turns"], player.start(None), conversation["id"])
        conversation_records += records
    judged = single_records + conversation_records
    stylist_records = run_stylist(service, stylist, items)
    needs: dict[str, list[float]] = defaultdict(list)
    for record in stylist_records:
        needs[record["need"]].append(record["accepted"])
    return {
        "singles": {"turns": len(single_records), "honoured": _share(single_records)},
        "conversations": {"count": len(conversations), "turns": len(conversation_records),
                          "honoured": _share(conversation_records)},
        "all": {"turns": len(judged), "honoured": _share(judged), "flips": sum(len(r["flips"]) for r in judged),
                "turns_with_flips": sum(bool(r["flips"]) for r in judged)},
        "setup": {"turns": len(player.setup), "honoured": _share(player.setup)},
        "per_intent": summarise(judged, "intent"), "per_tone": summarise(judged, "tone"),
        "stylist": {"requests": len(stylist_records),
                    "accepted": round(statistics.mean(r["accepted"] for r in stylist_records), 3) if stylist else 0.0,
                    "all_accepted": round(sum(r["accepted"] == 1 for r in stylist_records) / len(stylist_records), 3)
                    if stylist else 0.0,
                    "per_need": {n: round(statistics.mean(v), 3) for n, v in sorted(needs.items())}},
        "turn_ms_p50": round(1000 * statistics.median(player.latencies), 1) if player.latencies else 0.0,
        "turn_ms_p90": round(1000 * sorted(player.latencies)[int(0.9 * (len(player.latencies) - 1))], 1)
        if player.latencies else 0.0,
        "turns": judged, "setup_turns": player.setup, "stylist_requests": stylist_records,
    }


def print_report(report: dict) -> None:
    print(f"paraphrase set {report['split']}: demo catalog seed {report['seed']}, {report['items']} items")
    print(f"{'intent':16s} {'turns':>6s} {'honoured':>9s} {'flips':>6s}")
    for intent, row in report["per_intent"].items():
        print(f"{intent:16s} {row['turns']:6d} {row['honoured']:9.3f} {row['flips']:6d}")
    for label, key in (("single turns", "singles"), ("conversation turns", "conversations"), ("all turns", "all")):
        print(f"{label:16s} {report[key]['turns']:6d} {report[key]['honoured']:9.3f}"
              + (f" {report['all']['flips']:6d}" if key == "all" else ""))
    print("by tone: " + ", ".join(f"{k} {v['honoured']:.2f} ({v['turns']})"
                                      for k, v in report["per_tone"].items()))
    print(f"context turns honoured (not scored): {report['setup']['honoured']:.3f} of {report['setup']['turns']}")
    stylist = report["stylist"]
    print(f"stylist picks accepted: {stylist['accepted']:.3f} over {stylist['requests']} requests "
          f"(all picks accepted in {stylist['all_accepted']:.3f}); " +
          ", ".join(f"{k} {v:.2f}" for k, v in stylist["per_need"].items()))
    print(f"chat turn ms: median {report['turn_ms_p50']:.1f}, p90 {report['turn_ms_p90']:.1f}; "
          f"build {report['build_s']:.1f} s, run {report['run_s']:.1f} s")
    for turn in report["turns"]:
        if turn["failures"] or turn["flips"]:
            print(f"  ✗ {turn['where']} [{turn['intent']}] {turn['say'][:50]!r}: "
                  f"{'; '.join(turn['flips'] + turn['failures'])[:160]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="dev",
                        help="dev, test, fresh, fresh2 or fresh3 (the last four with --final), or a set file's path")
    parser.add_argument("--final", action="store_true", help="read the test, fresh, fresh2 or fresh3 split (once, at the end)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="the demo catalog's seed (used nowhere else)")
    parser.add_argument("--items", type=int, default=DEFAULT_ITEMS)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="only the first N singles, conversations and requests")
    parser.add_argument("--no-cache", action="store_true", help="generate the catalog in a temp dir")
    parser.add_argument("--out", type=Path, default=None, help="default: bench/results/paraphrases-<split>.json")
    args = parser.parse_args(argv)
    if args.split in HELD_OUT and not args.final:
        parser.error(f"the {args.split} split is read once, at the end: pass --final to read it")
    sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
    os.environ.update(HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    import torch
    from paraphrase_set import load_set

    from fashion_ai.catalog import load_catalog
    from fashion_ai.config import AppConfig
    from fashion_ai.service import FashionService

    torch.set_num_threads(args.threads)
    data = load_set(args.split)
    started = time.perf_counter()
    catalog = demo_catalog(args.seed, args.items, cache=not args.no_cache)
    data_dir = Path(tempfile.mkdtemp(prefix=f"paraphrases-{args.seed}-"))
    service = FashionService(AppConfig(profile="demo", catalog_dir=str(catalog), data_dir=str(data_dir)))
    items = {item.id: item for item in load_catalog(catalog)}
    embeddings = service.store().embeddings(list(items))
    build_s = time.perf_counter() - started
    report = {"split": Path(args.split).stem, "seed": args.seed, "items": args.items, "threads": args.threads,
              "machine": platform.platform()}
    started = time.perf_counter()
    report.update(play_set(service, data, items, embeddings, args.limit))
    report.update(build_s=round(build_s, 1), run_s=round(time.perf_counter() - started, 1))
    shutil.rmtree(data_dir, ignore_errors=True)
    print_report(report)
    out = args.out or RESULTS / f"paraphrases-{report['split']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
