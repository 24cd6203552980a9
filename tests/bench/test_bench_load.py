"""bench_load.py's burst (shoppers that arrive together, each making the same four calls) beside the interleaved mix,
at a small size: every call answered, each endpoint counted as the sequence says. Figures: README."""

import json
import sys

import pytest

from fashion_ai.config import PROJECT_ROOT

pytestmark = pytest.mark.slow
sys.path.insert(0, str(PROJECT_ROOT / "bench"))


def test_the_burst_answers_every_shopper_beside_the_interleaved_mix(live_app, tmp_path, capsys):
    import bench_load

    out = tmp_path / "load.json"
    assert bench_load.main(["--url", live_app.url, "--burst", "--burst-clients", "4", "--clients", "4", "--calls", "8",
                            "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    burst = report["burst"]
    assert burst["clients"] == 4 and burst["sequence"] == ["search", "complete_outfit", "attributes", "search"]
    assert burst["errors"] == {} and report["errors"] == {}
    # each of the 4 shoppers made the sequence once: 2 searches, 1 outfit, 1 photo
    assert {name: (row["calls"], row["answered"]) for name, row in burst["endpoints"].items()} == {
        "/search": (8, 8), "/complete_outfit": (4, 4), "/attributes": (4, 4)}
    assert {name: row["answered"] for name, row in report["endpoints"].items()} == {
        "/search": 4, "/complete_outfit": 2, "/attributes": 1, "/stylist": 1}
    for run in (burst, report):
        assert all(0 < row["p50_ms"] <= row["p95_ms"] <= row["max_ms"] for row in run["endpoints"].values())
    printed = capsys.readouterr().out
    assert "the burst (4 shoppers)" in printed and "the interleaved mix (4 shoppers)" in printed


def test_percentile_is_the_nearest_rank():
    import bench_load

    values = [float(v) for v in range(1, 21)]  # 1..20
    assert bench_load.percentile(values, 0.95) == 20.0 and bench_load.percentile(values, 0.5) == 11.0
    assert bench_load.percentile([3.0], 0.95) == 3.0


def test_a_variant_sets_and_removes_the_apps_variables(monkeypatch):
    import bench_load

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    env = bench_load.variant_env({"OMP_NUM_THREADS": None, "FASHION_AI_MODEL_THREADS": "{cores}"}, cores=4)
    assert "OMP_NUM_THREADS" not in env and env["FASHION_AI_MODEL_THREADS"] == "4"
    with pytest.raises(SystemExit):
        bench_load.main(["--url", "http://example.com/", "--burst"])  # only an app on this machine
    with pytest.raises(SystemExit):
        bench_load.main(["--abuse"])  # bad clients go with a burst


def test_the_bad_clients_photo_is_10_mb_and_under_the_upload_cap(tmp_path):
    import load_abuse

    from fashion_ai.config import AppConfig

    size = load_abuse.big_photo(tmp_path).stat().st_size
    assert 0.95 * 10**7 < size < AppConfig().max_upload_mb * 2**20  # noise does not compress: the server gets it all


def test_usage_counts_threads_children_and_upload_files(tmp_path):
    import subprocess
    import sys

    import load_abuse

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "photo.png").write_bytes(b"x" * 2**20)
    # Two processes of our own, alike but for one thread and one child: this test's own process runs other tests'
    # threads beside it, which start and stop while it counts.
    plain = subprocess.Popen([sys.executable, "-c", "import time; print('ready', flush=True); time.sleep(60)"],
                             stdout=subprocess.PIPE, text=True)
    busy = subprocess.Popen([sys.executable, "-c", "import subprocess, threading, time\n"
                             "threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n"
                             "child = subprocess.Popen(['sleep', '60'])\nprint('ready', flush=True)\ntime.sleep(60)"],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert plain.stdout.readline().strip() == busy.stdout.readline().strip() == "ready"
        before, during = load_abuse.usage(plain.pid, tmp_path), load_abuse.usage(busy.pid, tmp_path)
        assert before["upload_files"] == 1 and before["upload_mib"] == 1.0
        assert during["threads"] == before["threads"] + 1 and during["child_processes"] == before["child_processes"] + 1
    finally:
        for proc in (plain, busy):
            proc.kill()
            proc.wait()
