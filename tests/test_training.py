"""train_space.py end to end at reduced size: the models must learn, save, evaluate and resume."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import train_space
from fashion_ai import training
from fashion_ai.training import EVAL_FILE, TrainConfig, build_demo_json_tokenizer
from tests.dataset_files import WRITERS, demo_rows

FAST = ["--train_items", "2000", "--eval_items", "60", "--batch_size", "16", "--warmup_batch_size", "16",
        "--checkpoint_every", "0"]


def test_config_validation_says_what_to_fix():
    with pytest.raises(ValueError, match="eval_seed must differ"):
        TrainConfig(seed=3, eval_seed=3)
    with pytest.raises(ValueError, match="target must be"):
        TrainConfig(target="gpt")
    with pytest.raises(ValueError, match="batch_size cannot be negative"):
        TrainConfig(batch_size=-1)
    assert TrainConfig(target="clip").base_model == training.DEFAULT_CLIP_BASE
    # 0 means "the right default for this kind of run": from scratch on generated photos vs fine-tuning a 3B model.
    tiny, real = TrainConfig(tiny=True), TrainConfig()
    assert (tiny.batch_size, tiny.learning_rate, tiny.train_items) == (32, 2e-3, training.DEFAULT_DEMO_TRAIN_ITEMS)
    assert TrainConfig(target="clip", tiny=True).batch_size == 64 and tiny.warmup_batch_size == 64
    assert (real.batch_size, real.learning_rate) == (4, 2e-4)
    assert TrainConfig(target="clip").learning_rate == 1e-5
    assert TrainConfig(dataset="jsonl:x").train_items == training.DEFAULT_DATASET_TRAIN_ITEMS


def test_cli_rejects_bad_arguments_with_one_line(capsys, tmp_path):
    assert train_space.main(["--target", "paligemma", "--seed", "5", "--eval_seed", "5", "--output_dir",
                             str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: eval_seed must differ")
    assert train_space.main(["eval", "--model_dir", str(tmp_path / "missing")]) == 1


def test_demo_tokenizer_keeps_json_intact():
    tok = build_demo_json_tokenizer()
    text = '[{"category":"dress","colors":["red"],"pattern":"colour-block","length":"maxi"}]'
    ids = tok(text, add_special_tokens=False)["input_ids"]
    assert tok.unk_token_id not in ids
    assert len(ids) == 21  # one token per value, key and punctuation mark
    assert json.loads(tok.decode(ids)) == json.loads(text)


@pytest.mark.slow
def test_tiny_paligemma_learns_from_scratch(tmp_path):
    out = tmp_path / "extractor"
    code = train_space.main(["--target", "paligemma", "--tiny", "--output_dir", str(out), "--warmup_steps", "800",
                             "--steps", "800", *FAST])
    assert code == 0
    report = json.loads((out / EVAL_FILE).read_text())
    ev = report["eval"]
    assert ev["json_valid_rate"] == 1.0
    # Chance is 1/13 for category and colour and 1/6 for pattern: well above it means the photo is being read.
    # (Measured at this size: category 0.47, colour 0.68, pattern 0.43 in 76 s.)
    assert ev["fields"]["category"]["accuracy"] >= 0.25, ev["fields"]["category"]
    assert ev["fields"]["colors"]["accuracy"] >= 0.4, ev["fields"]["colors"]
    assert ev["fields"]["pattern"]["accuracy"] >= 0.3, ev["fields"]["pattern"]
    assert report["training"]["final_loss"] < 0.5
    assert (out / "model.safetensors").is_file() and (out / "processor_config.json").is_file()
    # The saved folder is what the app's demo profile loads.
    assert train_space.main(["eval", "--target", "paligemma", "--model_dir", str(out), "--eval_items", "20"]) == 0


@pytest.mark.slow
def test_tiny_clip_learns_from_scratch(tmp_path):
    out = tmp_path / "embedder"
    code = train_space.main(["--target", "clip", "--tiny", "--output_dir", str(out), "--warmup_steps", "250",
                             "--steps", "250", *FAST])
    assert code == 0
    ev = json.loads((out / EVAL_FILE).read_text())["eval"]
    # Random ranking of 60 photos finds a matching one in the top 10 for well under half of the queries.
    assert ev["recall@10"] >= 0.5, ev
    assert ev["caption_to_image"]["recall@10"] > 10 / 60


@pytest.mark.slow
def test_interrupt_saves_a_checkpoint_and_resume_finishes(tmp_path, monkeypatch):
    out = tmp_path / "run"
    args = ["--target", "paligemma", "--tiny", "--output_dir", str(out), "--warmup_steps", "0", "--steps", "12",
            "--train_items", "64", "--eval_items", "8", "--batch_size", "8", "--checkpoint_every", "5"]
    real_loop = training._train_loop
    calls = {"n": 0}

    def interrupting_loss(loss_fn):
        def wrapped(model, batch):
            calls["n"] += 1
            if calls["n"] == 8:
                raise KeyboardInterrupt  # what Ctrl-C raises in the main thread
            return loss_fn(model, batch)
        return wrapped

    monkeypatch.setattr(training, "_train_loop",
                        lambda model, batch_fn, n, cfg, output_dir, loss_fn, desc, evaluate=None: real_loop(
                            model, batch_fn, n, cfg, output_dir, interrupting_loss(loss_fn), desc, evaluate))
    assert train_space.main(args) == 130
    state = torch.load(out / "checkpoint" / "state.pt", weights_only=False)
    assert state["step"] == 7  # the step in flight is not counted
    monkeypatch.setattr(training, "_train_loop", real_loop)
    assert train_space.main([*args, "--resume"]) == 0
    report = json.loads((out / EVAL_FILE).read_text())
    assert report["training"]["steps"] == 12


def test_train_space_help_lists_options():
    result = subprocess.run([sys.executable, "train_space.py", "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    for flag in ("--target", "--tiny", "--quantize_4bit", "--lora_r", "--resume", "--time_budget_s"):
        assert flag in result.stdout


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

    common = dict(target="clip", tiny=True, steps=3, checkpoint_every=0, learning_rate=0.05)
    small_cfg = TrainConfig(batch_size=2, grad_accum_steps=accum, **common)
    report = training._train_loop(model, batch_fn, len(x), small_cfg, tmp_path / "a", loss_fn, "accum")
    assert calls == [2] * (3 * accum) and report["examples_seen"] == 3 * 2 * accum
    training._train_loop(big, batch_fn, len(x), TrainConfig(batch_size=2 * accum, **common), tmp_path / "b",
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
    report = training._train_loop(model, lambda idx: {"x": x[idx], "y": y[idx]}, len(x), cfg, tmp_path,
                                  lambda m, b: torch.nn.functional.mse_loss(m(b["x"]), b["y"]), "eval", evaluate)
    assert [h["step"] for h in report["eval_history"]] == [2, 4, 6]
    assert report["eval_history"][0]["caption recall@1"] == 0.5
    assert seen == [False, False, False]  # evaluated in eval mode, then back to training


def test_gradient_checkpointing_gives_the_same_gradients():
    processor, model = training.build_tiny_paligemma(image_size=32, patch_size=8)
    from PIL import Image

    batch = processor(text=["<image>extract data in JSON format"] * 2, images=[Image.new("RGB", (32, 32), "red")] * 2,
                      suffix=['[{"category": "dress"}]'] * 2, return_tensors="pt", padding="longest")
    model.train()

    def grads():
        model.zero_grad()
        model(**batch).loss.backward()
        return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}

    plain = grads()
    training.enable_gradient_checkpointing(model)
    assert model.is_activation_checkpointing
    checkpointed = grads()
    assert plain.keys() == checkpointed.keys() and len(plain) > 10
    assert all(torch.allclose(plain[n], checkpointed[n], atol=1e-5) for n in plain)


def test_training_options_are_validated():
    with pytest.raises(ValueError, match="grad_accum_steps must be positive"):
        TrainConfig(grad_accum_steps=0)
    with pytest.raises(ValueError, match="lora_targets"):
        TrainConfig(lora_targets=" , ")
    with pytest.raises(ValueError, match="dataset must be demo or <kind>:<source>"):
        TrainConfig(dataset="fashionpedia")


# --------------------------------------------------------------------------------------------- real dataset formats
DATASET_RUN = ["--train_items", "32", "--eval_items", "8", "--batch_size", "8", "--steps", "80",
               "--checkpoint_every", "0", "--eval_every", "40", "--eval_every_items", "4", "--threads", "1"]


@pytest.mark.parametrize("kind", list(WRITERS))
def test_paligemma_trains_end_to_end_on_each_dataset_format(tmp_path, kind):
    from fashion_ai.models import load_paligemma

    spec = WRITERS[kind](tmp_path / "data", demo_rows(40))
    out = tmp_path / "model"
    code = train_space.main(["--target", "paligemma", "--tiny", "--dataset", spec, "--output_dir", str(out),
                             "--grad_accum_steps", "2", *DATASET_RUN])
    assert code == 0
    report = json.loads((out / EVAL_FILE).read_text())
    ev = report["eval"]
    # A fifth of the rows is held out (the product table has no coats: those rows are skipped).
    assert ev["dataset"] == spec and ev["images"] == (7 if kind == "products" else 8)
    assert report["training"]["examples_seen"] == 80 * 8 * 2
    assert [h["step"] for h in report["training"]["eval_history"]] == [40, 80]
    taught = set(ev.get("fields", {}))
    expected = {"fashionpedia-coco": {"category", "pattern"}, "fashionpedia-hub-layout": {"category"},
                "products": {"category", "colors"}, "jsonl": {"category", "colors", "pattern"}}[kind]
    assert expected <= taught  # what each format carries is what gets scored; nothing invented
    if kind == "fashionpedia-hub-layout":
        assert taught == {"category"}  # the Hub copy has no attributes
    if kind == "jsonl":
        assert "exact_match" in ev  # caption rows are scored as text
    # It learned the target's shape from 32 rows: most answers on unseen photos parse as our JSON.
    assert report["training"]["final_loss"] < 1.5, report["training"]
    assert ev["json_valid_rate"] >= 0.75, ev["examples"]
    processor, model = load_paligemma(str(out), None, load_in_4bit=False, device="cpu")
    assert model.config.text_config.vocab_size == len(processor.tokenizer)


@pytest.mark.parametrize("kind", ["products", "jsonl"])
def test_clip_trains_end_to_end_on_captioned_data(tmp_path, kind):
    spec = WRITERS[kind](tmp_path / "data", demo_rows(40))
    out = tmp_path / "model"
    assert train_space.main(["--target", "clip", "--tiny", "--dataset", spec, "--output_dir", str(out),
                             *DATASET_RUN]) == 0
    report = json.loads((out / EVAL_FILE).read_text())
    retrieval = report["eval"]["caption_to_image"]
    assert retrieval["queries"] == (7 if kind == "products" else 8) and 0.0 <= retrieval["mrr"] <= 1.0
    assert (out / "model.safetensors").is_file() and (out / "tokenizer.json").is_file()


@pytest.mark.parametrize("kind", ["missing folder", "corrupt parquet"])
def test_a_dataset_that_cannot_be_read_is_one_line(tmp_path, kind):
    """As a user sees it: the CLI in its own process, one error line naming the dataset, no traceback."""
    (tmp_path / "bad.parquet").write_text("not parquet")
    spec = f"jsonl:{tmp_path / 'nothing'}" if kind == "missing folder" else f"products:{tmp_path / 'bad.parquet'}"
    done = subprocess.run([sys.executable, "train_space.py", "--target", "paligemma", "--tiny", "--dataset", spec,
                           "--output_dir", str(tmp_path / "m"), *DATASET_RUN], cwd=Path(train_space.__file__).parent,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    err = done.stderr.strip().splitlines()
    assert err[-1].startswith("error:") and spec.split(":", 1)[1] in err[-1], err
    assert sum(line.startswith("error:") for line in err) == 1 and "Traceback" not in done.stderr


def test_time_budget_stops_the_main_training_in_time_for_the_evaluation(tmp_path, monkeypatch, caplog):
    import time

    x, y, model = _linear_problem()
    cfg = TrainConfig(target="clip", tiny=True, steps=10**6, batch_size=4, checkpoint_every=0, time_budget_s=60)
    # The run "started" long enough ago that only half a second of the budget is left for training.
    monkeypatch.setattr(training, "RUN_STARTED", time.monotonic() - (60 - training.EVAL_RESERVE_S) + 0.5)
    started = time.monotonic()
    report = training._train_loop(model, lambda idx: {"x": x[idx], "y": y[idx]}, len(x), cfg, tmp_path,
                                  lambda m, b: torch.nn.functional.mse_loss(m(b["x"]), b["y"]), "budget")
    assert 0 < report["steps"] < 10**6 and time.monotonic() - started < 5
    assert "time budget of 60 s" in caplog.text


def test_demo_data_made_in_worker_processes_is_the_same_data():
    processor, _ = training.build_tiny_paligemma()

    def encode(images, items):
        return {"pixel_values": processor.image_processor(images=images, return_tensors="pt")["pixel_values"]}

    one = training.training_set(600, 3, encode, grid=4, chunk=200, workers=1)
    two = training.training_set(600, 3, encode, grid=4, chunk=200, workers=2)
    assert [i.id for i in one.items] == [i.id for i in two.items]
    assert torch.equal(one.tensors["pixel_values"], two.tensors["pixel_values"])
    assert torch.equal(one.patch_labels, two.patch_labels) and one.patch_labels.shape == (600, 16, 3)


def test_headline_reports_the_attribute_queries_not_the_captions():
    """The demo CLIP report holds both; the summary line and history must not swap one for the other."""
    report = {"recall@1": 0.93, "mrr": 0.96, "match_rate@k": 0.92, "queries": 260,
              "caption_to_image": {"recall@1": 0.86, "mrr": 0.92, "match_rate@k": 0.86}}
    assert training.headline(report) == {"recall@1": 0.93, "mrr": 0.96, "match_rate@k": 0.92,
                                         "caption recall@1": 0.86, "caption mrr": 0.92}
    assert train_space._summary({"eval": report}).startswith("recall@1 0.930, mrr 0.960, match_rate@k 0.920")
