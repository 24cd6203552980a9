"""The benchmarks still run (at a tiny size: their figures come from full runs, reported in the README)."""

import json
import shutil
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


def _check_store_report(report: dict, raw: bool = True) -> None:
    for kind, row in report["store"].items():
        assert row["recall_at_10"] >= 0.99, (kind, row)  # small catalog: HNSW finds what numpy finds
        assert row["p50_ms"] > 0 and row["queries"] > 0
        if raw:  # the store's filtered answers are as right as Chroma's own filter's
            assert row["recall_at_10"] >= report["raw"][kind]["recall_at_10"] - 1e-9, kind
    assert report["store_build_items_per_s"] > 0 and report["store_disk_bytes_per_item"] > 0
    assert 0 < report["selectivity"]["all four facets"] < report["selectivity"]["category"] < 1


def test_bench_store_compares_the_store_with_raw_chroma_and_numpy(tmp_path, capsys):
    import bench_store

    out = tmp_path / "store.json"
    assert bench_store.main(["--items", "3000", "--queries", "20", "--raw-filtered-queries", "8",
                             "--cache", str(tmp_path / "cache"), "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    _check_store_report(report)
    assert report["via"] == "embedded" and report["raw_build_items_per_s"] > 0
    assert "outfit slot, another group" in capsys.readouterr().out


@pytest.mark.skipif(shutil.which("chroma") is None, reason="the chroma CLI (installed with chromadb) is not on PATH")
def test_bench_store_through_a_chroma_server(tmp_path):
    import bench_store

    out = tmp_path / "store-server.json"
    assert bench_store.main(["--items", "2000", "--queries", "15", "--raw-filtered-queries", "5", "--server",
                             "--cache", str(tmp_path / "cache"), "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    _check_store_report(report)
    assert report["via"].startswith("http://127.0.0.1:")


def test_bench_load_answers_every_shopper(live_app, tmp_path, capsys):
    import bench_load

    out = tmp_path / "load.json"
    assert bench_load.main(["--url", live_app.url, "--clients", "4", "--calls", "16", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["errors"] == {}
    assert {name: row["answered"] for name, row in report["endpoints"].items()} == {
        "/search": 8, "/complete_outfit": 4, "/attributes": 2, "/stylist": 2}
    assert "/search" in capsys.readouterr().out
