"""The shared training engine: accumulation, checkpoints and resume, the time budget, periodic evaluation."""

import json
import time
from pathlib import Path

import pytest
import torch

import train_space
from fashion_ai.models.paligemma.tiny import build_tiny_paligemma
from fashion_ai.training import engine
from fashion_ai.training import paligemma as paligemma_recipe
from fashion_ai.training.config import EVAL_FILE, EVAL_RESERVE_S, TrainConfig
from fashion_ai.training.engine import (
    MIN_LR_RATE,
    Budget,
    Schedule,
    autocast_for,
    enable_gradient_checkpointing,
    headline,
    train_loop,
)

TINY = ["--target", "paligemma", "--tiny", "--warmup_steps", "0", "--train_items", "32", "--eval_items", "4",
        "--batch_size", "4", "--threads", "1"]


def _last_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert "Traceback" not in "\n".join(err)
    return err[-1]


@pytest.mark.slow
def test_interrupt_saves_a_checkpoint_and_resume_finishes(tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    args = ["--target", "paligemma", "--tiny", "--output_dir", str(out), "--warmup_steps", "0", "--steps", "12",
            "--train_items", "64", "--eval_items", "8", "--batch_size", "8", "--checkpoint_every", "5"]
    real_loop = paligemma_recipe.train_loop
    calls = {"n": 0}

    def interrupting_loss(loss_fn):
        def wrapped(model, batch):
            calls["n"] += 1
            if calls["n"] == 8:
                raise KeyboardInterrupt  # what Ctrl-C raises in the main thread
            return loss_fn(model, batch)
        return wrapped

    monkeypatch.setattr(paligemma_recipe, "train_loop",
                        lambda model, batch_fn, n, cfg, output_dir, loss_fn, desc, **kwargs: real_loop(
                            model, batch_fn, n, cfg, output_dir, interrupting_loss(loss_fn), desc, **kwargs))
    assert train_space.main(args) == 130
    assert _last_line(capsys) == (f"interrupted while training: checkpoint of step 7 saved in {out / 'checkpoint'}; "
                                  "run again with --resume to continue")
    state = torch.load(out / "checkpoint" / "state.pt", weights_only=True)  # tensors and plain numbers only
    assert state["step"] == 7  # the step in flight is not counted
    assert not (out / "model.safetensors").exists()
    monkeypatch.setattr(paligemma_recipe, "train_loop", real_loop)
    assert train_space.main([*args, "--resume"]) == 0
    report = json.loads((out / EVAL_FILE).read_text())
    assert report["training"]["steps"] == 12


def test_ctrl_c_while_the_data_is_made_says_nothing_was_saved(tmp_path, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(paligemma_recipe, "training_set", interrupted)
    assert train_space.main([*TINY, "--output_dir", str(tmp_path / "run")]) == 130
    assert _last_line(capsys) == "interrupted while preparing the data: nothing was saved"
    assert not (tmp_path / "run" / "checkpoint").exists()


class _RunsCode:
    """A pickled object whose unpickling would run code (here: touch a file)."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return Path.touch, (self.marker,)


def test_a_checkpoint_holding_a_pickled_object_is_refused_in_one_line(tmp_path, capsys):
    out, marker = tmp_path / "run", tmp_path / "code-ran"
    (out / "checkpoint").mkdir(parents=True)
    torch.save({"model": {}, "optim": {}, "step": 3, "extra": {"note": _RunsCode(marker)}, "rng": torch.get_rng_state()},
               out / "checkpoint" / "state.pt")
    assert train_space.main([*TINY, "--steps", "4", "--output_dir", str(out), "--resume"]) == 1
    line = _last_line(capsys)
    assert line.startswith(f"error: {out / 'checkpoint' / 'state.pt'} holds objects a safe load refuses"), line
    assert "start again without --resume" in line
    assert not marker.exists()  # nothing in it ran


@pytest.mark.slow
def test_a_final_save_killed_midway_leaves_the_old_model_and_resume_saves_the_new(tmp_path, monkeypatch, capsys):
    from transformers import PaliGemmaForConditionalGeneration

    out = tmp_path / "extractor"
    processor, model = build_tiny_paligemma(image_size=32, patch_size=8)  # the model the app serves today
    model.save_pretrained(out)
    processor.save_pretrained(out)
    (out / "eval_confusion.png").write_bytes(b"picture of the old model's eval")
    (out / "notes.txt").write_text("the user's")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real_save = PaliGemmaForConditionalGeneration.save_pretrained

    def killed_save(self, folder, **kwargs):
        (Path(folder) / "config.json").write_text("{}")
        (Path(folder) / "model.safetensors").write_bytes(b"half")
        raise KeyboardInterrupt  # the process stopped mid-save

    monkeypatch.setattr(PaliGemmaForConditionalGeneration, "save_pretrained", killed_save)
    args = [*TINY, "--steps", "4", "--checkpoint_every", "10", "--output_dir", str(out)]
    assert train_space.main(args) == 130
    # A last checkpoint is written when the steps end, so the Ctrl-C lost no training.
    assert _last_line(capsys) == (f"interrupted while saving the model: checkpoint of step 4 saved in "
                                  f"{out / 'checkpoint'}; run again with --resume to continue")
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert {name: after.get(name) for name in before} == before
    assert set(after) - set(before) == {"training_log.jsonl"}  # the run's log, written as it trained
    assert sorted(p.name for p in tmp_path.iterdir()) == ["extractor"]  # no half folder beside it
    PaliGemmaForConditionalGeneration.from_pretrained(out)  # the old model still loads

    monkeypatch.setattr(PaliGemmaForConditionalGeneration, "save_pretrained", real_save)
    assert train_space.main([*args, "--resume"]) == 0  # nothing left to train: evaluates and saves
    report = json.loads((out / EVAL_FILE).read_text())
    assert report["training"]["steps"] == 4
    assert (out / "model.safetensors").read_bytes() != before["model.safetensors"]
    assert PaliGemmaForConditionalGeneration.from_pretrained(out).config.vision_config.image_size == 64
    assert (out / "eval_confusion.png").read_bytes() == before["eval_confusion.png"]  # carried over
    assert (out / "notes.txt").read_text() == "the user's" and (out / "checkpoint" / "state.pt").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["extractor"]


def _linear_problem():
    torch.manual_seed(0)
    x, y = torch.randn(64, 4), torch.randn(64, 1)
    model = torch.nn.Linear(4, 1)
    return x, y, model


@pytest.mark.parametrize("accum", [2, 4])
def test_gradient_accumulation_matches_one_big_batch(tmp_path, accum):
    """batch_size b with `accum` micro-batches must update the weights exactly like one batch of b * accum."""
    x, y, model = _linear_problem()
    big = torch.nn.Linear(4, 1)
    big.load_state_dict(model.state_dict())
    calls = []

    def batch_fn(idx):
        calls.append(len(idx))
        return {"x": x[idx], "y": y[idx]}

    def loss_fn(m, b):
        return torch.nn.functional.mse_loss(m(b["x"]), b["y"])

    # float32: bfloat16 rounds a sum of two micro-batches differently from one batch's
    common = dict(target="clip", tiny=True, steps=3, checkpoint_every=0, learning_rate=0.05, bf16=False)
    small_cfg = TrainConfig(batch_size=2, grad_accum_steps=accum, **common)
    report = train_loop(model, batch_fn, len(x), small_cfg, tmp_path / "a", loss_fn, "accum")
    assert calls == [2] * (3 * accum) and report["examples_seen"] == 3 * 2 * accum
    train_loop(big, batch_fn, len(x), TrainConfig(batch_size=2 * accum, **common), tmp_path / "b",
                         loss_fn, "big")
    # The same examples in the same order (one generator), averaged the same way: the same weights.
    assert torch.allclose(model.weight, big.weight, atol=1e-6) and torch.allclose(model.bias, big.bias, atol=1e-6)


def test_periodic_evaluation_is_recorded(tmp_path):
    x, y, model = _linear_problem()
    seen = []

    def evaluate():
        seen.append(model.training)
        return {"caption_to_image": {"recall@1": 0.5, "mrr": 0.7}}

    cfg = TrainConfig(target="clip", tiny=True, steps=6, eval_every=2, batch_size=4, checkpoint_every=0)
    report = train_loop(model, lambda idx: {"x": x[idx], "y": y[idx]}, len(x), cfg, tmp_path,
                                  lambda m, b: torch.nn.functional.mse_loss(m(b["x"]), b["y"]), "eval", evaluate)
    assert [h["step"] for h in report["eval_history"]] == [2, 4, 6]
    assert report["eval_history"][0]["caption recall@1"] == 0.5
    assert seen == [False, False, False]  # evaluated in eval mode, then back to training


def test_gradient_checkpointing_gives_the_same_gradients():
    processor, model = build_tiny_paligemma(image_size=32, patch_size=8)
    from PIL import Image

    batch = processor(text=["<image>extract data in JSON format"] * 2, images=[Image.new("RGB", (32, 32), "red")] * 2,
                      suffix=['[{"category": "dress"}]'] * 2, return_tensors="pt", padding="longest")
    model.train()

    def grads():
        model.zero_grad()
        model(**batch).loss.backward()
        return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}

    plain = grads()
    enable_gradient_checkpointing(model)
    assert model.is_activation_checkpointing
    checkpointed = grads()
    assert plain.keys() == checkpointed.keys() and len(plain) > 10
    assert all(torch.allclose(plain[n], checkpointed[n], atol=1e-5) for n in plain)


def test_time_budget_stops_the_main_training_in_time_for_the_evaluation(tmp_path, monkeypatch, caplog):
    import time

    x, y, model = _linear_problem()
    cfg = TrainConfig(target="clip", tiny=True, steps=10**6, batch_size=4, checkpoint_every=0, time_budget_s=60)
    # The run "started" long enough ago that only half a second of the budget is left for training.
    budget = Budget(cfg.time_budget_s, started=time.monotonic() - (60 - EVAL_RESERVE_S) + 0.5)
    started = time.monotonic()
    report = train_loop(model, lambda idx: {"x": x[idx], "y": y[idx]}, len(x), cfg, tmp_path,
                        lambda m, b: torch.nn.functional.mse_loss(m(b["x"]), b["y"]), "budget", budget=budget)
    assert 0 < report["steps"] < 10**6 and time.monotonic() - started < 5
    assert "time budget of 60 s" in caplog.text


def test_headline_reports_the_attribute_queries_not_the_captions():
    """The demo CLIP report holds both; the summary line and history must not swap one for the other."""
    report = {"recall@1": 0.93, "mrr": 0.96, "match_rate@k": 0.92, "queries": 260,
              "caption_to_image": {"recall@1": 0.86, "mrr": 0.92, "match_rate@k": 0.86}}
    assert headline(report) == {"recall@1": 0.93, "mrr": 0.96, "match_rate@k": 0.92,
                                         "caption recall@1": 0.86, "caption mrr": 0.92}
    assert train_space._summary({"eval": report}).startswith("recall@1 0.930, mrr 0.960, match_rate@k 0.920")


def test_the_schedule_is_transformers_cosine_and_anneals_by_the_deadline():
    optim = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    schedule = Schedule(optim, steps=1000, peak=2.0, warm=50)
    rates = [schedule.lr(step) for step in range(0, 1001, 10)]
    assert rates[0] == 0.0 and schedule.lr(50) == pytest.approx(2.0)  # linear warm-up to the peak
    after = rates[5:]
    assert all(a >= b for a, b in zip(after, after[1:]))  # then only down
    assert schedule.lr(1000) == pytest.approx(2.0 * MIN_LR_RATE) and schedule.lr(5000) == pytest.approx(2.0 * MIN_LR_RATE)
    # Out of time at step 60 of 1000: the rate is already at its floor, so a cut run still ends annealed.
    late = Schedule(optim, steps=1000, peak=2.0, deadline=time.monotonic() - 1, warm=50)
    assert late.lr(60) == pytest.approx(2.0 * MIN_LR_RATE) and late.out_of_time()


def test_a_lora_checkpoint_holds_the_adapter_and_its_optimizer_state_only(tmp_path):
    """A fine-tune's checkpoint never copies the base (a 4-bit 3B base would be GBs): only what it trains."""
    base = tmp_path / "base"
    processor, model = build_tiny_paligemma(image_size=32, patch_size=8)
    model.save_pretrained(base)
    processor.save_pretrained(base)
    out = tmp_path / "run"
    args = ["--target", "paligemma", "--base_model", str(base), "--lora_r", "4", "--output_dir", str(out),
            "--train_items", "32", "--eval_items", "4", "--batch_size", "4", "--steps", "4", "--checkpoint_every", "2",
            "--threads", "1"]
    assert train_space.main(args) == 0
    state = torch.load(out / "checkpoint" / "state.pt", weights_only=True)
    assert state["step"] == 4 and state["model"]
    assert all("lora_" in name for name in state["model"])
    lora_params = sum(p.numel() for p in state["model"].values())
    assert lora_params < sum(p.numel() for p in model.parameters()) / 10
    assert len(state["optim"]["state"]) == len(state["model"])  # moments for the adapter weights, nothing else
    assert train_space.main([*args, "--resume", "--steps", "6"]) == 0  # the base loads again; the adapter resumes
    assert json.loads((out / EVAL_FILE).read_text())["training"]["steps"] == 6


@pytest.mark.parametrize("native", [True, False])
def test_bf16_autocast_on_a_cpu_only_where_it_multiplies_bfloat16_natively(monkeypatch, native):
    """A CPU with AVX512-BF16 trains in bfloat16 (~0.55x the step time); one without it, emulating bfloat16, and
    --bf16 false train in float32; the weights stay float32 either way."""
    monkeypatch.setattr(engine, "cpu_has_bf16", lambda: native)
    layer = torch.nn.Linear(8, 8)
    with autocast_for(True, torch.device("cpu")):
        out = layer(torch.randn(2, 8))
    assert out.dtype == (torch.bfloat16 if native else torch.float32)
    with autocast_for(False, torch.device("cpu")):
        assert layer(torch.randn(2, 8)).dtype == torch.float32
    out.float().sum().backward()
    assert layer.weight.dtype == torch.float32 and layer.weight.grad.dtype == torch.float32
