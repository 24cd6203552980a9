"""The CPU thread budget: how many torch threads the app's process and the model's worker process may use.

On a small CPU box (a free Space has 2 vCPUs) the photo model and the web server share the cores. Left to torch's
default, each process starts one thread per core, so a photo's decode (the worker) and a search's text embedding
(the app) each want both cores, and OpenMP threads spin waiting for a descheduled sibling. The budget gives the
model all the cores but one and the app's process one (its requests are milliseconds of single-threaded work); on
one core both get one. It follows the machine: `CPU_CORES` (set by Spaces: the vCPUs paid for, whatever the host
shows), else the cores this process may run on.

`FASHION_AI_MODEL_THREADS`, `FASHION_AI_APP_THREADS` and `FASHION_AI_MODEL_NICENESS` override it (benchmarks
compare the alternatives with them: bench/bench_load.py --compare).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

logger = logging.getLogger(__name__)

MODEL_NICENESS = 10  # below the web server's priority: on a shared CPU, a search goes first (19: see README)
MAX_NICENESS = 19


@dataclass(frozen=True)
class ThreadBudget:
    """torch threads for the app's process and the model's worker, and the worker's niceness."""

    cores: int
    app_threads: int
    model_threads: int
    model_niceness: int = MODEL_NICENESS

    def __post_init__(self) -> None:
        if min(self.cores, self.app_threads, self.model_threads) < 1:
            raise ValueError(f"a thread budget needs at least one core and one thread each, not {self}")
        if not 0 <= self.model_niceness <= MAX_NICENESS:
            raise ValueError(f"the model's niceness is 0 to {MAX_NICENESS}, not {self.model_niceness}")


def machine_cores(environ: Mapping[str, str] | None = None) -> int:
    """The cores this app may use: CPU_CORES when set (Spaces), else those the OS lets this process run on."""
    environ = os.environ if environ is None else environ
    given = environ.get("CPU_CORES", "").strip()
    if given:
        try:
            # Spaces may say "2" or "2.0"; a fraction of a core still runs one thread
            return max(1, int(float(given)))
        except ValueError:
            logger.warning("CPU_CORES=%r is not a number of cores; using the cores the OS reports", given)
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def thread_budget(environ: Mapping[str, str] | None = None) -> ThreadBudget:
    """The budget for this machine: the model gets cores - 1 threads (at least 1), the app's process 1; the
    FASHION_AI_* overrides win. ValueError for an override that is not a whole number in range."""
    environ = os.environ if environ is None else environ
    cores = machine_cores(environ)

    def override(name: str, default: int) -> int:
        given = environ.get(name, "").strip()
        if not given:
            return default
        try:
            return int(given)
        except ValueError:
            raise ValueError(f"{name} must be a whole number, not {given!r}") from None

    return ThreadBudget(cores=cores, app_threads=override("FASHION_AI_APP_THREADS", 1),
                        model_threads=override("FASHION_AI_MODEL_THREADS", max(1, cores - 1)),
                        model_niceness=override("FASHION_AI_MODEL_NICENESS", MODEL_NICENESS))


def apply_threads(threads: int) -> None:
    """Set this process's torch intra-op threads (imports torch)."""
    import torch

    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
