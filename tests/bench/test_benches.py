"""The benchmarks still run (at a tiny size: their figures come from full runs, reported in the README)."""

import json
import sys

import pytest

from fashion_ai.config import PROJECT_ROOT

pytestmark = pytest.mark.slow
sys.path.insert(0, str(PROJECT_ROOT / "bench"))


def test_bench_extractors_compares_the_three_extractors_per_field(tmp_path, capsys):
    import bench_extractors

    out = tmp_path / "extractors.json"
    assert bench_extractors.main(["--items", "6", "--seeds", "31337", "--threads", "1", "--out", str(out)]) == 0
    rows = json.loads(out.read_text())["results"]
    assert [row["extractor"] for row in rows] == ["PaliGemma, free generation (baseline)",
                                                  "PaliGemma, constrained decoding", "CLIP zero-shot"]
    assert all(row["fields"]["category"]["support"] == 6 and row["latency_ms"]["p50"] > 0 for row in rows)
    assert "sure_share" in rows[1]["fields"]["colors"] and "sleeve" not in rows[2]["fields"]
    assert "CLIP zero-shot" in capsys.readouterr().out
