"""Training you can watch: the tracker --report_to picks, one step axis through the phases and across --resume, the
run's own log and its curves picture."""

from __future__ import annotations

import json
import logging

import pytest

import train_space
from fashion_ai.training import paligemma as paligemma_recipe
from fashion_ai.training import tracking
from fashion_ai.training.config import EVAL_FILE
from fashion_ai.training.curves import CURVES_FILE, draw_curves
from fashion_ai.training.tracking import LOG_FILE, TRACKIO_PROJECT, TrackerError, open_tracker, read_log

TINY = ["--target", "paligemma", "--tiny", "--train_items", "64", "--eval_items", "8", "--batch_size", "8",
        "--warmup_batch_size", "8", "--warmup_steps", "6", "--steps", "12", "--eval_every", "4", "--eval_every_items", "4",
        "--threads", "1"]


def _steps(records: list[dict], key: str) -> list[int]:
    return [r["step"] for r in records if key in r]


def _trackio_steps(run_name: str, key: str) -> list[int]:
    from trackio.sqlite_storage import SQLiteStorage

    runs = [r for r in SQLiteStorage.get_run_records(TRACKIO_PROJECT) if r["name"] == run_name]
    assert len(runs) == 1, runs  # the resumed run is the same run, not a second one
    return [row["step"] for row in SQLiteStorage.get_logs(TRACKIO_PROJECT, run_name) if key in row]


def _tensorboard_steps(folder, key: str) -> list[int]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(folder))
    events.Reload()
    return [event.step for event in events.Scalars(key)]


@pytest.mark.slow
def test_a_killed_and_resumed_run_has_one_continuous_curve_in_every_tracker(tmp_path, monkeypatch, capsys):
    out = tmp_path / "extractor"
    args = [*TINY, "--output_dir", str(out), "--report_to", "all", "--run_name", f"resumed-{tmp_path.name}",
            "--checkpoint_every", "5"]
    real_loop = paligemma_recipe.train_loop
    calls = {"n": 0}

    def interrupting(loss_fn):
        def wrapped(model, batch):
            calls["n"] += 1
            if calls["n"] == 8:
                raise KeyboardInterrupt  # Ctrl-C in the main phase's 8th step: 7 done, checkpoint of step 7
            return loss_fn(model, batch)
        return wrapped

    monkeypatch.setattr(paligemma_recipe, "train_loop", lambda model, batch_fn, n, cfg, output_dir, loss_fn, desc, **kw:
                        real_loop(model, batch_fn, n, cfg, output_dir, interrupting(loss_fn), desc, **kw))
    assert train_space.main(args) == 130
    monkeypatch.setattr(paligemma_recipe, "train_loop", real_loop)
    assert train_space.main([*args, "--resume"]) == 0

    records = read_log(out / LOG_FILE)
    warmup = _steps(records, "warmup/loss")
    assert warmup == list(range(1, 7))  # the warm-up's 6 steps, then the main phase's 12 after them
    assert _steps(records, "train/loss") == list(range(7, 19))  # no restart at 0, no step twice, none missing
    assert _steps(records, "eval/category") == [10, 14, 18]
    assert _steps(records, "final/category") == [18]
    assert all(r["train/items_per_s"] > 0 and r["train/learning_rate"] >= 0 for r in records if "train/loss" in r)
    assert [r["resumed"] for r in records if "run" in r] == [False, True]

    run_name = f"resumed-{tmp_path.name}"
    assert _tensorboard_steps(out / "logs" / run_name, "train/loss") == list(range(7, 19))
    assert _tensorboard_steps(out / "logs" / run_name, "warmup/loss") == warmup
    assert _trackio_steps(run_name, "train/loss") == list(range(7, 19))
    assert _trackio_steps(run_name, "warmup/loss") == warmup

    # The picture beside eval.json is drawn from that log: its loss curve has the logged steps.
    report = json.loads((out / EVAL_FILE).read_text())
    assert report["curves"] == CURVES_FILE and (out / CURVES_FILE).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    loss_axes = draw_curves(records, "t").axes[0]
    curves = [line for line in loss_axes.lines if line.get_label() in ("vision warm-up", "main training")]
    assert [list(line.get_xdata()) for line in curves] == [warmup, list(range(7, 19))]


@pytest.mark.slow
def test_report_to_none_writes_no_tracker_files(tmp_path):
    import trackio.utils
    from trackio.sqlite_storage import SQLiteStorage

    out = tmp_path / "embedder"
    args = ["--target", "clip", "--tiny", "--train_items", "64", "--eval_items", "8", "--batch_size", "8",
            "--warmup_batch_size", "8", "--warmup_steps", "3", "--steps", "4", "--checkpoint_every", "0", "--threads", "1",
            "--output_dir", str(out), "--report_to", "none", "--run_name", f"none-{tmp_path.name}"]
    assert train_space.main(args) == 0
    assert not (out / "logs").exists()
    database = trackio.utils.TRACKIO_DIR / f"{TRACKIO_PROJECT}.db"
    runs = [r["name"] for r in SQLiteStorage.get_run_records(TRACKIO_PROJECT)] if database.exists() else []
    assert f"none-{tmp_path.name}" not in runs
    # The run's own log and picture do not depend on a tracker.
    assert _steps(read_log(out / LOG_FILE), "train/loss") == [4, 5, 6, 7] and (out / CURVES_FILE).is_file()


def test_an_unknown_report_to_is_refused_by_the_parser_in_one_line(tmp_path, capsys):
    assert train_space.main([*TINY, "--output_dir", str(tmp_path / "run"), "--report_to", "wandb"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: argument --report_to"), err
    assert "invalid choice: 'wandb'" in err[0] and not (tmp_path / "run").exists()


def test_a_named_tracker_that_is_not_installed_stops_before_any_data(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(tracking, "installed_trackers", lambda: ["trackio"])
    monkeypatch.setattr(paligemma_recipe, "training_set", lambda *a, **k: pytest.fail("data made before the check"))
    assert train_space.main([*TINY, "--output_dir", str(tmp_path / "run"), "--report_to", "tensorboard"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == ("error: --report_to tensorboard: tensorboard is not installed (pip install tensorboard); or "
                       "choose --report_to none")


@pytest.mark.parametrize("installed, chosen", [(["trackio", "tensorboard"], ["trackio"]), (["tensorboard"], ["tensorboard"]),
                                               ([], [])])
def test_the_default_is_trackio_else_tensorboard_else_none(monkeypatch, caplog, installed, chosen):
    caplog.set_level(logging.INFO)
    monkeypatch.setattr(tracking, "installed_trackers", lambda: installed)
    assert tracking.chosen_trackers(None) == (chosen, False)
    assert ("no tracker installed" in caplog.text) == (not installed)
    assert tracking.chosen_trackers("all") == (installed, False)
    assert tracking.chosen_trackers("none") == ([], True)


def test_a_tracker_that_cannot_write_is_skipped_by_default_and_stops_a_named_one(tmp_path, monkeypatch, caplog):
    import trackio.utils

    blocker = tmp_path / "a file"
    blocker.write_text("")
    monkeypatch.setattr(trackio.utils, "TRACKIO_DIR", blocker / "trackio")  # a folder no one can make
    out = tmp_path / "run"
    out.mkdir()
    tracker = open_tracker(out, None, "", False, {})
    assert tracker.backends == {} and "trackio cannot start" in caplog.text and "the run goes on without it" in caplog.text
    tracker.log(1, {"train/loss": 0.5})  # the run's own log still works
    assert _steps(read_log(out / LOG_FILE), "train/loss") == [1]
    with pytest.raises(TrackerError, match=r"^--report_to trackio cannot start \(NotADirectoryError: .*choose --report_to none$"):
        open_tracker(out, "trackio", "", False, {})
    (out / "logs").write_text("")  # TensorBoard's folder cannot be made either
    with pytest.raises(TrackerError, match="--report_to tensorboard cannot start"):
        open_tracker(out, "tensorboard", "", False, {})


def test_a_tracker_failing_mid_run_is_dropped_with_one_warning(tmp_path, caplog):
    class Broken:
        def log(self, step, values):
            raise RuntimeError("database is locked")

    tracker = tracking.Tracker(tmp_path / LOG_FILE, "run", {"trackio": Broken()})
    tracker.log(1, {"train/loss": 1.0})
    tracker.log(2, {"train/loss": 0.5})
    assert tracker.backends == {} and caplog.text.count("trackio failed (RuntimeError: database is locked)") == 1
    assert _steps(read_log(tmp_path / LOG_FILE), "train/loss") == [1, 2]


def test_rewind_drops_what_a_killed_run_logged_after_the_checkpoint(tmp_path):
    """A hard kill at step 8 after a checkpoint at 5: the resumed run logs 6, 7, ... once, in the log and TensorBoard."""
    killed = tracking.Tracker(tmp_path / LOG_FILE, "run", {"tensorboard": tracking._TensorBoard(tmp_path / "logs")})
    for step in range(1, 9):
        killed.log(step, {"train/loss": 1.0 / step})
    killed.backends["tensorboard"].writer.flush()  # what reached the disk before the kill
    with (tmp_path / LOG_FILE).open("a") as out:
        out.write('{"step": 9, "train/lo')  # a line cut short by the kill
    resumed = tracking.Tracker(tmp_path / LOG_FILE, "run", {"tensorboard": tracking._TensorBoard(tmp_path / "logs")})
    resumed.rewind(5)
    for step in (6, 7):
        resumed.log(step, {"train/loss": 0.1})
    resumed.close()
    assert _steps(read_log(tmp_path / LOG_FILE), "train/loss") == [1, 2, 3, 4, 5, 6, 7] and resumed.position == 5
    assert _tensorboard_steps(tmp_path / "logs", "train/loss") == [1, 2, 3, 4, 5, 6, 7]
