"""The thread budget (models/threads.py) follows the machine, and the model's worker process runs by it: its torch
threads and niceness are the budget's, whatever the app's own OMP_NUM_THREADS says."""

import os
from dataclasses import dataclass

import pytest

from fashion_ai.models.threads import MODEL_NICENESS, ThreadBudget, machine_cores, thread_budget
from fashion_ai.models.worker import ExtractorProcess


@pytest.mark.parametrize(("environ", "app", "model"), [
    ({"CPU_CORES": "2"}, 1, 1),  # a free Space: one core each, never both wanting both
    ({"CPU_CORES": "8"}, 1, 7),  # an upgraded CPU Space: the model all the cores but one
    ({"CPU_CORES": "1"}, 1, 1),
    ({"CPU_CORES": "4.0"}, 1, 3),  # a Space may write a float
    ({"CPU_CORES": "4", "FASHION_AI_MODEL_THREADS": "4", "FASHION_AI_APP_THREADS": "2"}, 2, 4),  # overrides win
])
def test_the_budget_leaves_a_core_to_requests(environ, app, model):
    budget = thread_budget(environ)
    assert (budget.app_threads, budget.model_threads, budget.model_niceness) == (app, model, MODEL_NICENESS)


def test_without_cpu_cores_the_budget_follows_the_cores_this_process_may_use():
    cores = len(os.sched_getaffinity(0))
    assert machine_cores({}) == cores == thread_budget({}).cores
    assert thread_budget({}).model_threads == max(1, cores - 1)
    assert machine_cores({"CPU_CORES": "two"}) == cores  # not a number: warned, the OS's count


@pytest.mark.parametrize("environ", [{"FASHION_AI_MODEL_THREADS": "0"}, {"FASHION_AI_MODEL_THREADS": "many"},
                                     {"FASHION_AI_MODEL_NICENESS": "20"}, {"FASHION_AI_APP_THREADS": "-1"}])
def test_a_bad_override_says_what_is_wrong(environ):
    with pytest.raises(ValueError, match="FASHION_AI_MODEL_THREADS|niceness|at least one"):
        thread_budget(environ)


@dataclass
class _Model:
    fashion_ai_summary: str = "a stand-in"


class _StandIn:
    """An extractor that loads nothing (the worker's plumbing is what is tested here)."""

    name = "stand-in"
    model = _Model()


def _stand_in() -> _StandIn:
    return _StandIn()


def test_the_worker_runs_by_the_budget_not_the_apps_threads(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # the app's own setting, inherited by the spawned child
    worker = ExtractorProcess(_stand_in, ThreadBudget(cores=3, app_threads=1, model_threads=3, model_niceness=19))
    try:
        assert worker.name == "stand-in" and worker.settings() == (3, 19)
    finally:
        worker.close()
    monkeypatch.setenv("CPU_CORES", "3")
    worker = ExtractorProcess(_stand_in)  # the machine's budget: 3 cores, the model 2 threads
    try:
        assert worker.settings() == (2, max(MODEL_NICENESS, os.getpriority(os.PRIO_PROCESS, 0)))
        assert worker.pid() != os.getpid()
    finally:
        worker.close()


def test_with_the_model_in_its_worker_the_apps_process_keeps_one_thread(monkeypatch):
    """The registry's worker gets cores - 1 threads and the app's own process 1 (issue 36: a thread per core in both
    oversubscribed the box and photo p95 reached 27-76 s in the burst)."""
    import torch

    from fashion_ai.config import AppConfig
    from fashion_ai.models.registry import ModelRegistry

    monkeypatch.setenv("CPU_CORES", "3")
    before = torch.get_num_threads()
    torch.set_num_threads(3)
    registry = ModelRegistry(AppConfig(profile="demo", model_worker="process"))
    try:
        worker = registry.extractor()
        assert torch.get_num_threads() == 1 and worker.settings()[0] == 2
    finally:
        registry.close()
        torch.set_num_threads(before)
