"""`python app.py` with the Gradio queue sizes of a variant, for bench_load.py --compare (never for serving).

    BENCH_SEARCH_CONCURRENCY=8 python bench/app_variant.py --port 7861

app.py reads its queue sizes (SEARCH_CONCURRENCY, MODEL_CONCURRENCY) when it builds the page in main(); they are set
here from BENCH_* variables first. Nothing else differs from `python app.py`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import app  # noqa: E402  (the repository root must be on the path first)

for name in ("SEARCH_CONCURRENCY", "MODEL_CONCURRENCY"):
    if os.environ.get(f"BENCH_{name}"):
        setattr(app, name, int(os.environ[f"BENCH_{name}"]))

if __name__ == "__main__":
    raise SystemExit(app.main())
