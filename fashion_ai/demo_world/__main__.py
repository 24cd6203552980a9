"""CLI: ``python -m fashion_ai.demo_world OUT_DIR [--count N] [--seed S]`` writes a demo catalog folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fashion_ai.demo_world import DEFAULT_DEMO_ITEMS, DEFAULT_DEMO_SEED, DEFAULT_IMAGE_SIZE, write_catalog


def main(argv: list[str] | None = None) -> int:
    """Generate the seeded demo catalog (images + catalog.jsonl); a bad flag is one line and exit 1."""
    parser = argparse.ArgumentParser(prog="python -m fashion_ai.demo_world",
                                     description="Generate the seeded demo catalog (images + catalog.jsonl).")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--count", type=int, default=DEFAULT_DEMO_ITEMS)
    parser.add_argument("--seed", type=int, default=DEFAULT_DEMO_SEED)
    parser.add_argument("--size", type=int, default=DEFAULT_IMAGE_SIZE)
    args = parser.parse_args(argv)
    if args.count <= 0 or args.size < 64:
        print("error: --count must be positive and --size at least 64", file=sys.stderr)
        return 1
    items = write_catalog(args.out_dir, args.count, args.seed, args.size)
    print(f"wrote {len(items)} items to {args.out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
