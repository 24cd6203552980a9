"""python -m fashion_ai.tagging: tag a feed, then index it; its coverage as JSON; bad flags in one line."""

import json
import subprocess
import sys

from fashion_ai.catalog import save_catalog
from fashion_ai.catalog.tags import TagsFile, load_tagged_catalog
from fashion_ai.config import PROJECT_ROOT
from fashion_ai.demo_world import write_catalog
from fashion_ai.demo_world.feed import shop_feed
from fashion_ai.tagging.__main__ import main

ITEMS = 12


def test_the_cli_tags_a_feed_indexes_it_and_reports_coverage(tmp_path, capsys):
    folder = tmp_path / "shop"
    truth = write_catalog(folder, ITEMS, seed=5151)
    feed = shop_feed(truth)
    feed[0].category = truth[0].category  # one value the shop gives: kept, and compared with what the photo says
    save_catalog(folder, feed)
    report = tmp_path / "report.json"
    code = main(["--catalog", str(folder), "--profile", "demo", "--data-dir", str(tmp_path / "data"),
                 "--report", str(report)])
    out = capsys.readouterr().out
    assert code == 0
    assert f"tagged {ITEMS} items with " in out and "filled: " in out, out
    assert f"holds {ITEMS} items" in out  # then indexed, tags and all
    counts = json.loads(report.read_text())
    assert counts["tagged"] == ITEMS
    # The one category the shop gave is not read for; of the others most are read, the unsure left unknown.
    assert counts["filled"]["category"] + counts["unknown"].get("category", 0) == ITEMS - 1
    assert counts["filled"]["category"] >= ITEMS - 3
    tagged = load_tagged_catalog(folder)
    assert tagged[0].category == truth[0].category and "category" not in tagged[0].tagged
    assert sum(item.category == real.category for item, real in zip(tagged, truth, strict=True)) >= ITEMS - 2
    assert main(["--catalog", str(folder), "--profile", "demo", "--coverage"]) == 0
    cover = json.loads(capsys.readouterr().out)
    category = cover["fields"]["category"]
    assert (category["given"], category["tagged"] + category["unknown"]) == (1, ITEMS - 1)
    # The given category against what the photo said of it: the pair counted, the agreement what that pair says.
    read = TagsFile(folder).read()[truth[0].id].tags["category"].value
    assert category["compared"] == 1 and category["confusion"] == {truth[0].category: {read: 1}}
    assert category["agreement"] == (1.0 if read == truth[0].category else 0.0)
    assert cover["fields"]["season"]["tagged"] == 0  # "Item N" says nothing of a season, and nothing is guessed
    # A second run finds everything tagged: nothing is read again.
    assert main(["--catalog", str(folder), "--profile", "demo", "--no-index"]) == 0
    assert f"{ITEMS} done before" in capsys.readouterr().out


def test_a_bad_flag_or_a_missing_catalog_is_one_line(tmp_path):
    for args in (["--batch-size", "0"], ["--catalog", str(tmp_path / "nothing"), "--profile", "demo"]):
        done = subprocess.run([sys.executable, "-m", "fashion_ai.tagging", *args], capture_output=True, text=True,
                              cwd=PROJECT_ROOT, timeout=120)
        assert done.returncode == 1, done.stderr
        assert done.stderr.strip().splitlines()[-1].startswith("error: ") and "Traceback" not in done.stderr
