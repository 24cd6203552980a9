"""Indexing the catalog: idempotent, resumable after a kill, tolerant of broken photos; the CLI answers in one line."""

import subprocess
import sys
from dataclasses import replace

import pytest
from PIL import Image

from fashion_ai.catalog import load_catalog
from fashion_ai.catalog.index import IndexReport, build_index, collection_name, ensure_index, main, open_store
from fashion_ai.catalog.store import CatalogStore
from fashion_ai.config import DEFAULT_HNSW_EF_CONSTRUCTION, DEFAULT_HNSW_MAX_NEIGHBORS, PROJECT_ROOT, AppConfig
from fashion_ai.demo_world import write_catalog
from fashion_ai.errors import IndexMissingError
from fashion_ai.models.clip.embeddings import Embedder
from fashion_ai.models.clip.tiny import build_tiny_clip

CATALOG_SIZE = 30


class CountingEmbedder(Embedder):
    """The real tiny CLIP, counting how many photos it is asked to embed."""

    def __init__(self, *parts, name: str):
        super().__init__(*parts, name=name)
        self.images_embedded = 0

    def embed_images(self, images):
        self.images_embedded += len(images)
        return super().embed_images(images)


@pytest.fixture(scope="module")
def clip_parts():
    return build_tiny_clip(image_size=32)


@pytest.fixture
def embedder(clip_parts):
    return CountingEmbedder(*clip_parts, name="tiny-test")


@pytest.fixture(scope="module")
def catalog_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("catalog")
    write_catalog(directory, CATALOG_SIZE, seed=5, size=64)
    return directory


@pytest.fixture
def items(catalog_dir):
    return load_catalog(catalog_dir)


@pytest.fixture
def store(tmp_path):
    return CatalogStore(tmp_path / "chroma", embedder_name="tiny-test")


def test_second_run_adds_nothing_and_embeds_nothing(items, embedder, store):
    first = build_index(items, embedder, store, batch_size=16)
    assert first == IndexReport(added=CATALOG_SIZE, skipped=0, total=CATALOG_SIZE)
    assert embedder.images_embedded == CATALOG_SIZE
    second = build_index(items, embedder, store, batch_size=16)
    assert second == IndexReport(added=0, skipped=CATALOG_SIZE, total=CATALOG_SIZE)
    assert embedder.images_embedded == CATALOG_SIZE  # nothing re-embedded
    # The stored items are the catalog's, and a photo finds itself.
    assert store.get_items([items[4].id]) == [items[4]]
    own = embedder.embed_images([Image.open(items[4].image_path)])[0]
    best, score = store.query(own, 1)[0]
    assert best.id == items[4].id and score == pytest.approx(1.0, abs=1e-3)


def test_a_killed_run_resumes_where_it_stopped(items, embedder, store):
    class Killed(Exception):
        pass

    def die_after_first_batch(done: int, total: int) -> None:
        if done > 0:
            raise Killed

    with pytest.raises(Killed):
        build_index(items, embedder, store, batch_size=8, progress=die_after_first_batch)
    assert store.count() == 8  # the first batch was committed before the kill

    calls = []
    report = build_index(items, embedder, store, batch_size=8, progress=lambda done, total: calls.append((done, total)))
    assert report == IndexReport(added=CATALOG_SIZE - 8, skipped=8, total=CATALOG_SIZE)
    assert calls == [(8, 30), (16, 30), (24, 30), (30, 30)]  # the bar starts where the killed run stopped
    assert embedder.images_embedded == CATALOG_SIZE  # every photo embedded exactly once over both runs
    stored = store.all_items()
    assert [item.id for item in stored] == sorted(item.id for item in items)  # all there, none twice


def test_missing_and_broken_photos_are_skipped_not_fatal(items, embedder, store, tmp_path, caplog):
    not_an_image = tmp_path / "broken.png"
    not_an_image.write_text("this is not a png")
    batch = items[:10]
    batch[2] = replace(batch[2], image_path=str(tmp_path / "gone.png"))
    batch[7] = replace(batch[7], image_path=str(not_an_image))
    report = build_index(batch, embedder, store, batch_size=4)
    assert report == IndexReport(added=8, skipped=2, total=8, failed=2)
    assert store.existing_ids([batch[2].id, batch[7].id]) == set()
    assert "gone.png" in caplog.text and "broken.png" in caplog.text
    # Once the photos are fixed, the next run adds exactly those two.
    report = build_index(items[:10], embedder, store, batch_size=4)
    assert report == IndexReport(added=2, skipped=8, total=10)


def test_duplicate_ids_in_a_catalog_are_indexed_once(items, embedder, store):
    report = build_index(items[:5] + [replace(items[0], title="a second copy")], embedder, store)
    assert report.added == 5 and report.skipped == 1 and report.total == 5
    assert store.get_items([items[0].id])[0].title == items[0].title


def test_rebuild_embeds_everything_again(items, embedder, store):
    build_index(items[:6], embedder, store)
    report = build_index(items[:4], embedder, store, rebuild=True)
    assert report == IndexReport(added=4, skipped=0, total=4)
    assert embedder.images_embedded == 10


def test_a_fresh_build_looks_nothing_up_and_a_resumed_one_once(items, embedder, store, monkeypatch):
    looked_up = []
    original = CatalogStore.existing_ids
    monkeypatch.setattr(CatalogStore, "existing_ids", lambda self, ids: looked_up.append(len(ids)) or original(self, ids))
    build_index(items[:20], embedder, store, batch_size=4)
    assert looked_up == []  # an empty store holds none of them
    report = build_index(items, embedder, store, batch_size=4)
    assert looked_up == [CATALOG_SIZE] and report.added == CATALOG_SIZE - 20


def test_bad_batch_size_is_refused(items, embedder, store):
    with pytest.raises(ValueError, match="batch_size"):
        build_index(items, embedder, store, batch_size=0)


def _config(tmp_path, catalog_dir, **changes) -> AppConfig:
    return AppConfig(profile="demo", catalog_dir=str(catalog_dir), data_dir=str(tmp_path / "data"), **changes)


def test_ensure_index_on_first_and_second_start(tmp_path, catalog_dir, embedder):
    config = _config(tmp_path, catalog_dir)
    progress = []
    store, report = ensure_index(config, config.profile, embedder, progress=lambda done, total: progress.append((done, total)))
    assert report.added == CATALOG_SIZE and store.count() == CATALOG_SIZE
    assert progress[-1] == (CATALOG_SIZE, CATALOG_SIZE)
    assert store.name == collection_name(config.profile) == "catalog-demo"
    assert (tmp_path / "data" / "chroma").is_dir()
    store, report = ensure_index(config, config.profile, embedder)  # second start
    assert report.added == 0 and report.total == CATALOG_SIZE
    assert embedder.images_embedded == CATALOG_SIZE


def test_ensure_index_with_a_stale_store(tmp_path, catalog_dir, embedder, clip_parts):
    config = _config(tmp_path, catalog_dir)
    build_index(load_catalog(catalog_dir)[:3], embedder, open_store(config, config.profile, embedder))
    other = Embedder(*clip_parts, name="another-clip")
    with pytest.raises(IndexMissingError, match="--rebuild"):
        ensure_index(config, config.profile, other)
    store, report = ensure_index(config, config.profile, other, rebuild_if_stale=True)
    assert report.added == CATALOG_SIZE and store.embedder_name == "another-clip"


def test_ensure_index_without_a_catalog(tmp_path, catalog_dir, embedder, caplog):
    config = _config(tmp_path, tmp_path / "no-catalog")
    with pytest.raises(IndexMissingError, match="empty") as err:
        ensure_index(config, config.profile, embedder)
    assert str(tmp_path) not in str(err.value) and str(tmp_path / "no-catalog") in caplog.text  # the log says where
    build_index(load_catalog(catalog_dir)[:3], embedder, open_store(config, config.profile, embedder))
    store, report = ensure_index(config, config.profile, embedder)  # a filled store is served as it is
    assert store.count() == 3 and report.total == 3 and report.added == 0


@pytest.fixture(scope="module")
def saved_clip_dir(tmp_path_factory, clip_parts):
    directory = tmp_path_factory.mktemp("embedder")
    tokenizer, image_processor, model = clip_parts
    for part in (tokenizer, image_processor, model):
        part.save_pretrained(directory)
    return directory


def test_cli_indexes_with_the_profiles_embedder(tmp_path, catalog_dir, saved_clip_dir, monkeypatch, capsys):
    monkeypatch.setenv("FASHION_AI_DEMO_EMBEDDER_DIR", str(saved_clip_dir))
    args = ["--catalog", str(catalog_dir), "--profile", "demo", "--data-dir", str(tmp_path), "--batch-size", "8"]
    assert main(args + ["--limit", "12"]) == 0
    assert "indexed 12 new items" in capsys.readouterr().out
    assert main(args) == 0
    assert f"indexed {CATALOG_SIZE - 12} new items (12 skipped)" in capsys.readouterr().out
    assert main(args) == 0
    assert f"indexed 0 new items ({CATALOG_SIZE} skipped)" in capsys.readouterr().out
    assert main(args + ["--rebuild", "--limit", "5"]) == 0
    assert "holds 5 items" in capsys.readouterr().out


def test_cli_reports_an_index_built_with_other_hnsw_settings(tmp_path, catalog_dir, saved_clip_dir, monkeypatch,
                                                           capsys):
    monkeypatch.setenv("FASHION_AI_DEMO_EMBEDDER_DIR", str(saved_clip_dir))
    args = ["--catalog", str(catalog_dir), "--profile", "demo", "--data-dir", str(tmp_path), "--limit", "6"]
    assert main(args + ["--hnsw-max-neighbors", "8", "--hnsw-ef-construction", "40"]) == 0
    assert "note:" not in capsys.readouterr().out
    assert main(args) == 0  # the defaults now: the index says what differs and how to apply it
    out = capsys.readouterr().out
    differs = f"max_neighbors 8, not {DEFAULT_HNSW_MAX_NEIGHBORS}, ef_construction 40, not {DEFAULT_HNSW_EF_CONSTRUCTION}"
    assert "note:" in out and differs in out and "--rebuild" in out
    assert main(args + ["--rebuild"]) == 0
    assert "note:" not in capsys.readouterr().out
    assert main(args) == 0
    assert "note:" not in capsys.readouterr().out  # rebuilt with the defaults


@pytest.mark.parametrize("args, message", [
    (["--catalog", "{tmp}/nowhere"], "no catalog at"),
    (["--batch-size", "0"], "--batch-size"),
    (["--limit", "-3"], "--limit"),
    (["--no-such-flag"], "unrecognized arguments"),
    (["--batch-size", "many"], "invalid int value"),
    (["--profile", "cloud"], "profile must be one of"),
    (["--chroma-url", "localhost:8000"], "http://host:port"),
    (["--hnsw-max-neighbors", "0"], "hnsw_max_neighbors must be positive"),
    (["--catalog", "{catalog}"], "empty-embedder could not be loaded"),  # the demo embedder folder is empty
])
def test_cli_errors_are_one_line_and_exit_1(args, message, tmp_path, catalog_dir, monkeypatch, capsys):
    (tmp_path / "empty-embedder").mkdir()
    monkeypatch.setenv("FASHION_AI_DEMO_EMBEDDER_DIR", str(tmp_path / "empty-embedder"))
    monkeypatch.setenv("FASHION_AI_PROFILE", "demo")
    monkeypatch.setenv("FASHION_AI_DATA_DIR", str(tmp_path / "data"))
    args = [a.format(tmp=tmp_path, catalog=catalog_dir) for a in args]
    assert main(args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: ") and message in err[-1]
    assert not any("Traceback" in line for line in err)


def test_cli_as_a_module(tmp_path):
    done = subprocess.run([sys.executable, "-m", "fashion_ai.catalog.index", "--catalog", str(tmp_path / "nowhere")],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("error: no catalog at")
    assert "Traceback" not in done.stderr


# --------------------------------------------------------------------------------------------- real catalogs
@pytest.fixture(scope="module")
def products_spec(tmp_path_factory):
    from tests.dataset_files import demo_rows, write_products

    return write_products(tmp_path_factory.mktemp("products") / "ashraq", demo_rows(24, seed=9))


def test_hub_profile_imports_its_catalog_then_indexes_it_once(tmp_path, products_spec, embedder):
    from fashion_ai.profiles import catalog_folder

    config = AppConfig(profile="hub", catalog_source=products_spec, data_dir=str(tmp_path / "data"))
    store, report = ensure_index(config, config.profile, embedder)
    folder = catalog_folder(config, "hub")
    assert folder.parent == tmp_path / "data" / "catalogs" and (folder / "catalog.jsonl").is_file()
    items = load_catalog(folder)
    assert report.added == len(items) == store.count() and 15 <= len(items) < 24  # coats have no product type
    assert store.name == "catalog-hub"
    item = items[0]
    assert item.price is None and item.title and item.extra.get("articleType")  # hierarchy kept, no invented price
    written = (folder / "catalog.jsonl").stat().st_mtime_ns
    store, report = ensure_index(config, config.profile, embedder)  # second start: no import, no embedding
    assert report.added == 0 and (folder / "catalog.jsonl").stat().st_mtime_ns == written
    assert embedder.images_embedded == len(items)


def test_catalog_errors_shoppers_may_read_name_no_path(tmp_path, embedder, caplog):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "catalog.jsonl").write_text("not json\n")
    config = _config(tmp_path, broken)
    with pytest.raises(IndexMissingError, match=r"^The catalog cannot be read: catalog\.jsonl:1: not a catalog item"):
        ensure_index(config, config.profile, embedder)
    missing = tmp_path / "exports" / "missing.parquet"
    config = AppConfig(profile="hub", catalog_source=f"products:{missing}", data_dir=str(tmp_path / "data"))
    with pytest.raises(IndexMissingError, match=r"^could not import the catalog products:missing\.parquet") as err:
        ensure_index(config, config.profile, embedder)
    assert str(tmp_path) not in str(err.value) and str(missing) in caplog.text


def test_an_unreachable_catalog_source_is_a_clear_error(tmp_path, embedder, monkeypatch):
    import datasets

    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)  # as in CI: the Hub id fails at once
    config = AppConfig(profile="hub", data_dir=str(tmp_path / "data"))
    with pytest.raises(IndexMissingError, match="could not import the catalog products:ashraq/fashion-product"):
        ensure_index(config, config.profile, embedder)


def test_cli_imports_and_indexes_a_product_catalog(tmp_path, products_spec, saved_clip_dir, monkeypatch, capsys):
    monkeypatch.setenv("FASHION_AI_DEMO_EMBEDDER_DIR", str(saved_clip_dir))
    args = ["--source", products_spec, "--profile", "demo", "--data-dir", str(tmp_path), "--batch-size", "4"]
    assert main(args + ["--limit", "6"]) == 0
    assert "indexed 6 new items" in capsys.readouterr().out
    assert main(args + ["--catalog", str(tmp_path / "shop")]) == 0  # the import lands where --catalog says
    assert len(load_catalog(tmp_path / "shop")) > 6
    assert main(["--source", "products:" + str(tmp_path / "missing.parquet"), "--profile", "demo",
                 "--data-dir", str(tmp_path)]) == 1
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith("error: could not import the catalog")


def test_a_text_index_of_another_item_text_is_rebuilt(tmp_path, catalog_dir, monkeypatch):
    from fashion_ai.catalog import index
    from fashion_ai.models.text import load_text_model

    config, text_model = _config(tmp_path, catalog_dir), load_text_model()
    assert index.ensure_text_index(config, config.profile, text_model).count() == CATALOG_SIZE
    monkeypatch.setattr(index, "ITEM_TEXT_VERSION", index.ITEM_TEXT_VERSION + 1)  # item_text() says items otherwise
    with pytest.raises(IndexMissingError, match="--rebuild"):
        index.ensure_text_index(config, config.profile, text_model)
    store = index.ensure_text_index(config, config.profile, text_model, rebuild_if_stale=True)
    assert store.count() == CATALOG_SIZE and store.embedder_name.endswith(f"v{index.ITEM_TEXT_VERSION})")
