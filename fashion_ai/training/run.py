"""One training run from its start to its saved model: the output folder, the time budget, the tracker, what the run
has saved so far (what a Ctrl-C reports) and the final save into the folder the app loads from."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from fashion_ai.training.config import CHECKPOINT_DIR, EVAL_FILE, TrainConfig
from fashion_ai.training.curves import CURVES_FILE, save_curves
from fashion_ai.training.engine import Budget, headline, resuming
from fashion_ai.training.saving import recover_folder, save_model_folder
from fashion_ai.training.tracking import Tracker, open_tracker

logger = logging.getLogger(__name__)


@dataclass
class TrainingRun:
    """A run's shared state. `stage` says what it is doing; `checkpoint_step` and `model_saved` what it has written
    (this process, not an earlier run)."""

    cfg: TrainConfig
    output_dir: Path
    budget: Budget
    tracker: Tracker
    stage: str = "preparing the data"
    checkpoint_step: int | None = None
    model_saved: bool = False

    @property
    def checkpoint_dir(self) -> Path:
        return self.output_dir / CHECKPOINT_DIR

    def interrupted(self) -> str:
        """The one line a Ctrl-C prints: what the run was doing and exactly what it saved."""
        if self.model_saved:
            saved = f"the trained model and its {EVAL_FILE} are saved in {self.output_dir}"
        elif self.checkpoint_step is not None:
            saved = (f"checkpoint of step {self.checkpoint_step} saved in {self.checkpoint_dir}; run again with --resume "
                     "to continue")
        else:
            saved = "nothing was saved"
            if (self.checkpoint_dir / "state.pt").is_file():
                saved += f" (the checkpoint already in {self.checkpoint_dir} is unchanged)"
        return f"interrupted while {self.stage}: {saved}"

    def close(self) -> None:
        """Flush and close the trackers (whatever happened)."""
        self.tracker.close()


def start_run(cfg: TrainConfig) -> TrainingRun:
    """The output folder made (or put back whole after a killed save), the tracker opened (before any data is made:
    a tracker the user named that cannot start stops the run here, tracking.TrackerError), the seed set, the time
    budget started."""
    budget = Budget(cfg.time_budget_s, reserve=cfg.eval_reserve_s)
    output_dir = Path(cfg.output_dir)
    recover_folder(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    tracker = open_tracker(output_dir, cfg.report_to, cfg.run_name, resuming(cfg, output_dir), asdict(cfg))
    torch.manual_seed(cfg.seed)
    return TrainingRun(cfg, output_dir, budget, tracker)


def finish(run: TrainingRun, report: dict, evaluate: Callable[[], dict], save: Callable[[Path], None]) -> dict:
    """Evaluate the trained model, then write it (``save(folder)``) with its eval.json and its curves picture into the
    output folder in one swap (training.saving): the folder holds the old model and report or the new ones, never a
    mix or half a file.

    ``run_seconds``: this process's wall-clock seconds from the data to the final evaluation (a resumed run's own),
    which with each phase's steps and seconds tells how fast the machine was (a time budget trains fewer steps on a
    slower one)."""
    run.stage = "evaluating the trained model"
    evaluation = evaluate()
    run.tracker.log(run.tracker.position, {f"final/{k}": v for k, v in headline(evaluation).items()})
    report["eval"] = evaluation
    report["run_seconds"] = round(time.monotonic() - run.budget.started, 1)
    if run.cfg.dataset == "demo":
        evaluation["eval_seed"] = run.cfg.eval_seed
    else:
        evaluation["dataset"] = run.cfg.dataset

    def write(folder: Path) -> None:
        save(folder)
        title = f"{run.cfg.target}, run {run.tracker.run_name}"
        if save_curves(run.tracker.path, folder / CURVES_FILE, title) is not None:
            report["curves"] = CURVES_FILE
        (folder / EVAL_FILE).write_text(json.dumps(report, indent=2))

    run.stage = "saving the model"
    save_model_folder(run.output_dir, write)
    run.model_saved = True
    run.stage = "done"
    return report
