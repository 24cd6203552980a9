"""Tag a catalog, then index it: ``python -m fashion_ai.tagging [--catalog DIR] [--retag] [--coverage] ...``

The serving attribute extractor reads every photo and the query reader every title; what they read for the fields
the catalog leaves empty is kept in tags.jsonl beside catalog.jsonl (resumable: a killed run goes on where it
stopped), then the search index follows (``python -m fashion_ai.catalog.index``). --coverage prints, as JSON, each
field's given / tagged / unknown counts and the tagger's agreement with the catalog's own values.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path

from fashion_ai.catalog.index import OneLineArgumentParser, prepare_catalog
from fashion_ai.catalog.index import main as index_main
from fashion_ai.catalog.items import load_catalog
from fashion_ai.catalog.tags import TagsFile
from fashion_ai.config import load_config
from fashion_ai.errors import FashionAIError
from fashion_ai.tagging.coverage import coverage_json
from fashion_ai.tagging.run import DEFAULT_TAG_BATCH, TagReport, tag_catalog


def _arg_parser() -> argparse.ArgumentParser:
    parser = OneLineArgumentParser(prog="python -m fashion_ai.tagging",
                             description="Tag what a catalog lacks with the attribute extractor, then index it.")
    parser.add_argument("--catalog", help="catalog folder with catalog.jsonl and images (default: the profile's)")
    parser.add_argument("--profile", help="demo, hub or auto (default: FASHION_AI_PROFILE or auto)")
    parser.add_argument("--data-dir", help="folder of the embedded Chroma store (default: FASHION_AI_DATA_DIR)")
    parser.add_argument("--chroma-url", help="http://host:port of a Chroma server instead of the embedded store")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_TAG_BATCH, help="photos read per batch")
    parser.add_argument("--retag", action="store_true",
                        help="read every item again with the serving extractor; its values replace the catalog's")
    parser.add_argument("--report", help="write the run's report (counts, items listed by problem) to this JSON file")
    parser.add_argument("--coverage", action="store_true",
                        help="print each field's given / tagged / unknown counts and agreement as JSON; tag nothing")
    parser.add_argument("--no-index", action="store_true", help="tag only; leave the search index as it is")
    return parser


def summary(report: TagReport) -> str:
    """The run in one line: items, rate, fields filled and left unknown, and the items with a problem."""
    filled = ", ".join(f"{name} {n:,}" for name, n in sorted(report.filled.items(), key=lambda kv: -kv[1]))
    unknown = ", ".join(f"{name} {n:,}" for name, n in sorted(report.unknown.items(), key=lambda kv: -kv[1]))
    problems = [f"{len(ids)} {what}" for what, ids in (("with no garment in the photo", report.no_garment),
                                                       ("with an unreadable photo", report.unreadable),
                                                       ("sharing a photo", report.shared_photo),
                                                       ("with an empty title", report.empty_title)) if ids]
    return (f"tagged {report.tagged:,} items with {report.model} ({report.photos_per_second:.1f} items/s; "
            f"{report.skipped:,} done before); filled: {filled or 'nothing'}; left unknown: {unknown or 'nothing'}"
            + (f"; {', '.join(problems)}" if problems else ""))


def main(argv: list[str] | None = None) -> int:
    """Tag, then index; domain errors are one line on stderr and exit code 1."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    models = None
    try:
        args = _arg_parser().parse_args(argv)
        if args.batch_size <= 0:
            raise ValueError("--batch-size must be positive")
        overrides = {"profile": args.profile, "data_dir": args.data_dir, "chroma_url": args.chroma_url}
        config = load_config(None).with_overrides(**{k: v for k, v in overrides.items() if v is not None})
        from fashion_ai.models.registry import ModelRegistry

        models = ModelRegistry(config)
        folder = Path(args.catalog) if args.catalog else prepare_catalog(config, models.embedder_source)
        items = load_catalog(folder)
        if args.coverage:
            print(json.dumps(coverage_json(items, TagsFile(folder).read()), indent=1))
            return 0
        from tqdm import tqdm

        from fashion_ai.retrieval.reading import QueryReader

        extractor, text = models.extractor(), models.text()
        with tqdm(total=len(items), unit="item", desc="tagging", file=sys.stderr) as bar:
            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            report = tag_catalog(items, folder, extractor, QueryReader(text), retag=args.retag,
                                 batch_size=args.batch_size, progress=progress,
                                 reader_name=f"query reader ({getattr(text, 'name', 'text model')})")
        if args.report:
            Path(args.report).write_text(json.dumps(asdict(report) | {"items_per_second": report.photos_per_second},
                                                    indent=1))
        print(summary(report))
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    except (FashionAIError, ValueError, FileNotFoundError, OSError) as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    finally:
        if models is not None:
            models.close()
    if args.no_index:
        return 0
    index_args = ["--catalog", str(folder)]
    for flag, value in (("--profile", args.profile), ("--data-dir", args.data_dir), ("--chroma-url", args.chroma_url)):
        if value:
            index_args += [flag, value]
    return index_main(index_args)


if __name__ == "__main__":
    raise SystemExit(main())
