"""What a training run logs as it goes: the scalars of each step (loss, learning rate, items per second), of each
periodic evaluation and of the final one, on one step axis that runs through the phases (the tiny models' vision
warm-up, then the main training) and continues on --resume.

They go to the run's own log, training_log.jsonl in the output folder (the curves picture and the model card are
drawn from it, whatever the tracker), and to the tracker the user picks with --report_to, as transformers spells it:
trackio (local SQLite under TRACKIO_DIR, default ~/.cache/huggingface/trackio, with its own dashboard) or TensorBoard
(event files in <output_dir>/logs/<run name>). Neither needs the network.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import logging
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from fashion_ai.errors import FashionAIError
from fashion_ai.training.config import REPORT_TO_CHOICES

logger = logging.getLogger(__name__)

TRACKERS = ("trackio", "tensorboard")  # the default takes the first installed
LOG_FILE = "training_log.jsonl"
TENSORBOARD_DIR = "logs"
TRACKIO_PROJECT = "fashion-ai"


class TrackerError(FashionAIError, ValueError):
    """A tracker the user named cannot be used: the run stops before training, with one line."""


def installed_trackers() -> list[str]:
    return [name for name in TRACKERS if importlib.util.find_spec(name) is not None]


def chosen_trackers(report_to: str | None) -> tuple[list[str], bool]:
    """The trackers to open for --report_to, and whether the user named them (a named one must work)."""
    if report_to is None:
        found = installed_trackers()[:1]
        if not found:
            logger.info("no tracker installed (pip install trackio, or tensorboard, to watch the run); the scalars go "
                        "to %s only", LOG_FILE)
        return found, False
    if report_to == "none":
        return [], True
    if report_to == "all":  # every one installed, as transformers reads "all"
        return installed_trackers(), False
    if report_to not in TRACKERS:
        raise ValueError(f"--report_to must be one of {', '.join(REPORT_TO_CHOICES)}, not {report_to!r}")
    if report_to not in installed_trackers():
        raise TrackerError(f"--report_to {report_to}: {report_to} is not installed (pip install {report_to}); or "
                           "choose --report_to none")
    return [report_to], True


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _check_writable(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=folder):
        pass


class _Trackio:
    def __init__(self, run_name: str, resume: bool, config: dict):
        import trackio
        from trackio.utils import TRACKIO_DIR

        _check_writable(Path(TRACKIO_DIR))  # trackio itself would only warn when its first batch fails
        with contextlib.redirect_stdout(io.StringIO()) as said:  # its banner; our log line says where and how
            self.run = trackio.init(project=TRACKIO_PROJECT, name=run_name, resume="allow" if resume else "never",
                                    config=config, embed=False, auto_log_cpu=False)
        logger.debug("trackio: %s", said.getvalue())
        self.where = (f"trackio project {TRACKIO_PROJECT!r} in {TRACKIO_DIR} (view and compare runs: trackio show "
                      f"--project {TRACKIO_PROJECT})")

    def log(self, step: int, values: dict[str, float]) -> None:
        self.run.log(values, step=step)

    def rewind(self, step: int) -> None:
        """trackio keeps what it logged; a resumed run logs from the checkpoint on, which after Ctrl-C is where the
        killed run stopped logging (after a hard kill, trackio shows both versions of the steps in between)."""

    def close(self) -> None:
        import trackio

        with contextlib.redirect_stdout(io.StringIO()):
            self.run.finish()
            if trackio.context_vars.current_run.get() is self.run:
                trackio.context_vars.current_run.set(None)


class _TensorBoard:
    def __init__(self, folder: Path):
        from torch.utils.tensorboard import SummaryWriter

        self.folder, self._writer_class = folder, SummaryWriter
        _check_writable(folder)
        self.writer = SummaryWriter(str(folder), flush_secs=10)
        self.where = f"TensorBoard events in {folder} (view and compare runs: tensorboard --logdir {folder.parent})"

    def log(self, step: int, values: dict[str, float]) -> None:
        for key, value in values.items():
            self.writer.add_scalar(key, value, step)

    def rewind(self, step: int) -> None:
        """Hide what a killed run logged after `step` (TensorBoard's purge_step), so the curve stays one line."""
        self.writer.close()
        self.writer = self._writer_class(str(self.folder), flush_secs=10, purge_step=step + 1)

    def close(self) -> None:
        self.writer.close()


def read_log(path: Path) -> list[dict]:
    """The records of a run's log (a line cut short by a kill is skipped)."""
    records = []
    if not path.is_file():
        return records
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


@dataclass
class Tracker:
    """The run's scalars: its own log in the output folder, and the trackers it opened.

    ``position``: the run's steps so far on the common axis (each phase starts where the previous one ended)."""

    path: Path
    run_name: str
    backends: dict[str, object] = field(default_factory=dict)
    position: int = 0
    _log_failed: bool = False

    def log(self, step: int, values: dict[str, float]) -> None:
        values = {key.replace(" ", "_"): float(value) for key, value in values.items()
                  if isinstance(value, (int, float)) and not isinstance(value, bool)}
        if not values:
            return
        self._append({"step": step, **values})
        for name, backend in list(self.backends.items()):
            try:
                backend.log(step, values)
            except Exception as exc:  # a tracker's failure never stops training
                logger.warning("%s failed (%s): the run goes on without it", name, _one_line(exc))
                self.backends.pop(name)

    def rewind(self, step: int) -> None:
        """Continue from `step` (a resumed checkpoint's): what a killed run logged after it is dropped, and its final
        evaluation (the resumed run logs its own)."""
        kept = [r for r in read_log(self.path)
                if r.get("step", 0) <= step and not any(key.startswith("final/") for key in r)]
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        tmp.write_text("".join(json.dumps(r) + "\n" for r in kept))
        tmp.replace(self.path)
        for backend in self.backends.values():
            backend.rewind(step)
        self.position = step

    def close(self) -> None:
        for name, backend in self.backends.items():
            try:
                backend.close()
            except Exception as exc:
                logger.warning("%s did not close cleanly (%s)", name, _one_line(exc))
        self.backends = {}

    def _append(self, record: dict) -> None:
        if self._log_failed:
            return
        try:
            with self.path.open("a") as out:  # opened by name each time: the folder may be swapped (saving.py)
                out.write(json.dumps(record) + "\n")
        except OSError as exc:
            logger.warning("cannot write %s (%s): the curves picture will miss what follows", self.path, _one_line(exc))
            self._log_failed = True


def open_tracker(output_dir: Path, report_to: str | None, run_name: str, resume: bool, config: dict) -> Tracker:
    """The run's tracker: a fresh log, or with `resume` the log of the run being resumed (its name, its trackers'
    run). A tracker the user named that cannot start raises TrackerError; a default one is left out with a warning."""
    names, explicit = chosen_trackers(report_to)
    path = output_dir / LOG_FILE
    previous = [r["run"] for r in read_log(path) if "run" in r] if resume else []
    run_name = run_name or (previous[-1] if previous else f"{output_dir.absolute().name}-{time.strftime('%Y%m%d-%H%M%S')}")
    if not resume:
        path.unlink(missing_ok=True)
    tracker = Tracker(path, run_name)
    for name in names:
        try:
            tracker.backends[name] = (_Trackio(run_name, resume, config) if name == "trackio"
                                      else _TensorBoard(output_dir / TENSORBOARD_DIR / run_name))
        except Exception as exc:  # a broken install, a folder it cannot write: its own error types
            if explicit:
                raise TrackerError(f"--report_to {name} cannot start ({_one_line(exc)}): fix it, or choose "
                                   "--report_to none") from None
            logger.warning("%s cannot start (%s): the run goes on without it", name, _one_line(exc))
    tracker._append({"run": run_name, "resumed": resume, "trackers": sorted(tracker.backends),
                     "time": time.strftime("%Y-%m-%dT%H:%M:%S")})
    for backend in tracker.backends.values():
        logger.info("run %s logs to %s", run_name, backend.where)
    return tracker


@dataclass
class StepMeter:
    """Mean loss and items per second of the steps since the last log line (every `every` steps); the seconds are
    the steps' own, without evaluations and checkpoints between them."""

    items_per_step: int
    every: int = 1
    _loss: float = 0.0
    _seconds: float = 0.0
    _steps: int = 0

    def add(self, loss: float, seconds: float) -> dict[str, float] | None:
        self._loss, self._seconds, self._steps = self._loss + loss, self._seconds + seconds, self._steps + 1
        if self._steps < self.every:
            return None
        out = {"loss": self._loss / self._steps, "items_per_s": self._steps * self.items_per_step / max(self._seconds, 1e-9)}
        self._loss, self._seconds, self._steps = 0.0, 0.0, 0
        return out
