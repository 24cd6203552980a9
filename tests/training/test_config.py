"""Training settings and the CLI's handling of them: defaults per kind of run, and one line for a bad flag."""

import subprocess
import sys

import pytest

import train_space
from fashion_ai.training.config import DEFAULT_CLIP_BASE, DEFAULT_DATASET_TRAIN_ITEMS, DEFAULT_DEMO_TRAIN_ITEMS, TrainConfig


def test_config_validation_says_what_to_fix():
    with pytest.raises(ValueError, match="eval_seed must differ"):
        TrainConfig(seed=3, eval_seed=3)
    with pytest.raises(ValueError, match="target must be"):
        TrainConfig(target="gpt")
    with pytest.raises(ValueError, match="batch_size cannot be negative"):
        TrainConfig(batch_size=-1)
    with pytest.raises(ValueError, match="warmup_label_smoothing must be at least 0 and below 1"):
        TrainConfig(warmup_label_smoothing=1.0)
    assert TrainConfig(target="clip").base_model == DEFAULT_CLIP_BASE
    # 0 means "the right default for this kind of run": from scratch on generated photos vs fine-tuning a 3B model.
    tiny, real = TrainConfig(tiny=True), TrainConfig()
    assert (tiny.batch_size, tiny.learning_rate, tiny.train_items) == (32, 2e-3, DEFAULT_DEMO_TRAIN_ITEMS)
    assert TrainConfig(target="clip", tiny=True).batch_size == 512 and tiny.warmup_batch_size == 64
    assert (real.batch_size, real.learning_rate) == (4, 2e-4)
    assert TrainConfig(target="clip").learning_rate == 1e-5
    assert TrainConfig(dataset="jsonl:x").train_items == DEFAULT_DATASET_TRAIN_ITEMS


@pytest.mark.parametrize("settings, message", [
    ({"dataset": "jsonl:x", "mix_dataset": "fashion-mnist:y"}, "use it with --dataset demo"),
    ({"mix_dataset": "/usr/share/datasets/fashion-mnist"}, "mix_dataset must be <kind>:<source>"),
    ({"mix_dataset": "fashion-mnist:y", "mix_share": 1.0}, "mix_share must be between 0 and 1"),
    ({"mix_dataset": "fashion-mnist:y", "main_mix_share": -0.1}, "main_mix_share must be between 0 and 1"),
    ({"mix_dataset": "fashion-mnist:y", "mix_eval_items": -1}, "mix_eval_items cannot be negative"),
])
def test_a_mixed_dataset_is_checked(settings, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(tiny=True, **settings)


@pytest.mark.parametrize("settings, message", [
    ({"empty_share": -0.1}, "empty_share must be at least 0 and below 1"),
    ({"empty_share": 1.0}, "empty_share must be at least 0 and below 1"),
    ({"mix_dataset": "fashion-mnist:y", "mix_share": 0.6, "empty_share": 0.4}, "must leave room for demo items"),
    ({"mix_dataset": "fashion-mnist:y", "main_mix_share": 0.9}, "main_mix_share \\+ empty_share must leave room"),
])
def test_the_empty_share_is_checked(settings, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(tiny=True, **settings)


def test_the_main_phase_draws_the_mixed_rows_at_the_warm_ups_share_unless_told():
    assert TrainConfig(tiny=True, mix_dataset="fashion-mnist:y", mix_share=0.4).main_mix_share == 0.4
    assert TrainConfig(tiny=True, mix_dataset="fashion-mnist:y", main_mix_share=0.25).main_mix_share == 0.25


def test_empty_scenes_are_a_share_of_the_generated_items():
    assert TrainConfig(tiny=True).empty_share == 0.1 and TrainConfig(tiny=True).empty_items == 6000
    assert TrainConfig(tiny=True, train_items=2000, empty_share=0.25).empty_items == 500
    assert TrainConfig(tiny=True, empty_share=0).empty_items == 0
    assert TrainConfig(dataset="jsonl:x").empty_items == 0  # a real dataset brings its own photos


def test_the_evaluation_reserve_grows_with_the_mixed_rows_held_out():
    plain = TrainConfig(tiny=True)
    mixed = TrainConfig(tiny=True, mix_dataset="fashion-mnist:y", mix_eval_items=1000)
    assert mixed.eval_reserve_s > plain.eval_reserve_s


def test_cli_rejects_bad_arguments_with_one_line(capsys, tmp_path):
    assert train_space.main(["--target", "paligemma", "--seed", "5", "--eval_seed", "5", "--output_dir",
                             str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: eval_seed must differ")
    assert train_space.main(["eval", "--model_dir", str(tmp_path / "missing")]) == 1


def test_train_space_help_lists_options():
    result = subprocess.run([sys.executable, "train_space.py", "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    for flag in ("--target", "--tiny", "--quantize_4bit", "--lora_r", "--resume", "--time_budget_s", "--empty_share",
                 "--report_to {trackio,tensorboard,none,all}", "--run_name", "--logging_steps"):
        assert flag in result.stdout


def test_training_options_are_validated():
    with pytest.raises(ValueError, match="grad_accum_steps must be positive"):
        TrainConfig(grad_accum_steps=0)
    with pytest.raises(ValueError, match="logging_steps must be positive"):
        TrainConfig(logging_steps=0)
    with pytest.raises(ValueError, match="report_to must be one of trackio, tensorboard, none, all, not 'wandb'"):
        TrainConfig(report_to="wandb")  # the parser refuses it on the command line; this, built in code
    with pytest.raises(ValueError, match="lora_targets"):
        TrainConfig(lora_targets=" , ")
    with pytest.raises(ValueError, match="dataset must be demo or <kind>:<source>"):
        TrainConfig(dataset="fashionpedia")
