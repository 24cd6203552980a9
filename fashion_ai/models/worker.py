"""The PaliGemma extractor in a process of its own, so searches never wait behind a photo.

A decode loop is Python between small tensor ops: in the app's process it holds the GIL nearly all the time, and
every search thread (embed a few words, ask the index: milliseconds of work) waits its turn for it, 5 ms at a time.
Spawned (safe with CUDA) and at a lower CPU priority, the model gets an interpreter of its own; the app's process
keeps the words model, the index and the web server. The child runs torch with the model's share of the thread
budget (models/threads.py: cores - 1 on a small CPU box, so a core is left to requests) instead of torch's one thread
per core. A child that dies (killed, out of memory) is said in one plain message and a new one starts with the next
photo.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import sys
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from fashion_ai.config import AppConfig
from fashion_ai.errors import ModelUnavailableError
from fashion_ai.models.threads import ThreadBudget, apply_threads, thread_budget

if TYPE_CHECKING:
    from fashion_ai.models.extraction import Extraction, Extractor

logger = logging.getLogger(__name__)

T = TypeVar("T")
STOPPED = ("The attribute model's process stopped ({why}); a new one starts with the next photo. Please try again "
           "in a moment.")

# The child's own state: a worker process serves one extractor, loaded by its first call (set by _start).
_loader: Callable[[], Extractor] | None = None
_extractor: Extractor | None = None


def on_zero_gpu(environ: dict[str, str] | None = None) -> bool:
    """Whether this is a ZeroGPU Space: a GPU is lent only inside the app's own @spaces.GPU calls."""
    environ = os.environ if environ is None else environ
    return environ.get("SPACES_ZERO_GPU", "").strip().lower() in ("1", "true", "yes")


def use_worker(config: AppConfig, environ: dict[str, str] | None = None) -> bool:
    """Whether the PaliGemma extractor runs in a child process: as configured; auto is yes except on ZeroGPU."""
    if config.model_worker != "auto":
        return config.model_worker == "process"
    return not on_zero_gpu(environ)


@dataclass
class RemoteModel:
    """What the app's process knows of the model in the child: its one-line summary."""

    fashion_ai_summary: str


class _Child:
    """The child's pool (a new one after a crash), stopped by close() or when its ExtractorProcess is collected."""

    def __init__(self, load: Callable[[], Extractor], budget: ThreadBudget):
        self.load = load
        self.budget = budget
        self.lock = threading.Lock()
        self.pool: ProcessPoolExecutor | None = None

    def executor(self) -> ProcessPoolExecutor:
        with self.lock:
            if self.pool is None:
                self.pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                                initializer=_start, initargs=(self.load, self.budget))
                with _lean_child():
                    self.pool.submit(os.getpid)  # the child starts now, while the main script is hidden
            return self.pool

    def drop(self, pool: ProcessPoolExecutor) -> None:
        with self.lock:
            if self.pool is pool:
                self.pool = None
        pool.shutdown(wait=False, cancel_futures=True)

    def stop(self) -> None:
        with self.lock:
            pool, self.pool = self.pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


class ExtractorProcess:
    """An extractor served by a spawned child process: the same extract(), the model loaded over there.

    `load` makes the extractor in the child: it must pickle (a module-level function, or a functools.partial of
    one), as it travels to the new process. `budget`: the child's torch threads and niceness (default: this
    machine's, models/threads.py).
    """

    def __init__(self, load: Callable[[], Extractor], budget: ThreadBudget | None = None):
        self.budget = budget or thread_budget()
        self._child = _Child(load, self.budget)
        weakref.finalize(self, self._child.stop)  # a dropped service does not leave its child running
        try:
            self.name, summary, pid = self._call(_describe)  # loads it now: a model that will not load says so here
        except Exception:
            self.close()
            raise
        self.model = RemoteModel(f"{summary}; in worker process {pid}")
        logger.info("attribute model %s serves from process %d (%d torch threads of %d cores, nice %d)", self.name, pid,
                    self.budget.model_threads, self.budget.cores, self.budget.model_niceness)

    def extract(self, image) -> Extraction:
        """The garments in a photo, read in the child process."""
        return self._call(_extract, image)

    def extract_batch(self, images: Sequence) -> list[Extraction]:
        """Each photo's garments, the whole batch sent to the child in one call and read there together."""
        return self._call(_extract_batch, list(images))

    def pid(self) -> int:
        """The child's process id (a new child starts if none runs)."""
        return self._call(os.getpid)

    def settings(self) -> tuple[int, int]:
        """The child's torch threads and niceness, as the child sees them."""
        return self._call(_settings)

    def close(self) -> None:
        """Stop the child process (a later call starts a new one)."""
        self._child.stop()

    def _call(self, fn: Callable[..., T], *args: Any) -> T:
        pool = self._child.executor()
        try:
            return pool.submit(fn, *args).result()
        except BrokenProcessPool as exc:
            self._child.drop(pool)
            logger.error("the attribute model's process stopped: %s", exc)
            raise ModelUnavailableError(STOPPED.format(why="it ended unexpectedly, e.g. killed or out of memory")) from exc


@contextmanager
def _lean_child() -> Iterator[None]:
    """A spawned child imports the parent's main script first; app.py builds the whole UI on import, which
    cost the child 137 MiB more (551 MiB resident, not 414). Hidden while the child starts, it is not imported."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is None or path is None or getattr(main, "__spec__", None) is not None:
        yield
        return
    del main.__file__
    try:
        yield
    finally:
        main.__file__ = path


# --------------------------------------------------------------------------------------------- in the child
def _start(load: Callable[[], Extractor], budget: ThreadBudget) -> None:
    global _loader
    _loader = load
    if hasattr(os, "setpriority"):  # absolute, not added to the app's own niceness; never above it
        os.setpriority(os.PRIO_PROCESS, 0, max(budget.model_niceness, os.getpriority(os.PRIO_PROCESS, 0)))
    # Set before the model loads; the app's OMP_NUM_THREADS (inherited) would otherwise decide it.
    apply_threads(budget.model_threads)
    parent = multiprocessing.parent_process()
    if parent is not None:  # the app killed outright (SIGKILL, OOM): the child goes too, not orphaned with its model
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True, name="parent-watch").start()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s[worker]: %(message)s")


def _exit_with(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os._exit(0)


def _model() -> Extractor:
    global _extractor
    if _extractor is None:
        if _loader is None:
            raise RuntimeError("the worker process was not started with its loader")
        _extractor = _loader()
    return _extractor


def _describe() -> tuple[str, str, int]:
    extractor = _model()
    return extractor.name, getattr(extractor.model, "fashion_ai_summary", ""), os.getpid()


def _settings() -> tuple[int, int]:
    import torch

    return torch.get_num_threads(), os.getpriority(os.PRIO_PROCESS, 0) if hasattr(os, "getpriority") else 0


def _extract(image) -> Extraction:
    return _model().extract(image)


def _extract_batch(images: list) -> list[Extraction]:
    return _model().extract_batch(images)
