"""The PaliGemma extractor in a child process: the same answers as in the app's process, a plain message when the
child dies or the model will not load, and a new child for the next photo."""

import multiprocessing
import os
import signal
from functools import partial

import pytest

from fashion_ai.catalog import load_catalog
from fashion_ai.config import AppConfig
from fashion_ai.errors import ModelUnavailableError
from fashion_ai.images import load_image
from fashion_ai.models.registry import ModelRegistry, load_paligemma_extractor
from fashion_ai.models.worker import ExtractorProcess, use_worker


def test_auto_runs_the_model_in_a_worker_except_on_zerogpu():
    assert use_worker(AppConfig(), environ={})
    assert not use_worker(AppConfig(), environ={"SPACES_ZERO_GPU": "true"})  # the GPU is attached to our own calls
    assert use_worker(AppConfig(model_worker="process"), environ={"SPACES_ZERO_GPU": "true"})
    assert not use_worker(AppConfig(model_worker="inline"), environ={})
    with pytest.raises(ValueError, match="model_worker must be one of"):
        AppConfig(model_worker="threads")


@pytest.fixture(scope="module")
def photos():
    config = AppConfig(profile="demo")
    return [load_image(item.image_path) for item in load_catalog(config.catalog_dir)[:3]]


def test_a_worker_reads_a_photo_as_the_model_in_this_process_does_and_survives_its_child(photos):
    inline = ModelRegistry(AppConfig(profile="demo", model_worker="inline")).extractor()
    registry = ModelRegistry(AppConfig(profile="demo", model_worker="process"))
    worker = registry.extractor()
    try:
        assert isinstance(worker, ExtractorProcess) and worker.name == inline.name
        assert "in worker process" in worker.model.fashion_ai_summary
        first = worker.pid()
        assert first != os.getpid()
        for photo in photos:
            here, there = inline.extract(photo), worker.extract(photo)
            assert there.raw == here.raw and there.result.garments == here.result.garments
            assert there.guesses[0]["category"].probability == pytest.approx(here.guesses[0]["category"].probability,
                                                                             abs=1e-5)
        os.kill(first, signal.SIGKILL)  # killed (out of memory, an operator): one plain message, then a new child
        with pytest.raises(ModelUnavailableError, match="process stopped .*try again"):
            worker.extract(photos[0])
        assert worker.extract(photos[0]).raw == inline.extract(photos[0]).raw
        assert worker.pid() != first
    finally:
        worker.close()


def test_a_model_that_will_not_load_in_the_worker_says_why_and_leaves_no_process(tmp_path):
    config = AppConfig(profile="demo", model_worker="process", demo_extractor_dir=str(tmp_path / "gone"))
    before = set(multiprocessing.active_children())
    with pytest.raises(ModelUnavailableError, match="gone could not be loaded"):  # the child's own message
        ExtractorProcess(partial(load_paligemma_extractor, config, "demo"))
    assert set(multiprocessing.active_children()) <= before
