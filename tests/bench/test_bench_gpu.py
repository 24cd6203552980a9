"""bench_gpu.py: the real-size path's code runs end to end on tiny models (CPU), refuses the real sizes without CUDA,
and builds the 3B's processor with PaliGemma's real vocabulary layout."""

import json
import math
import os
import subprocess
import sys

import pytest

from fashion_ai.config import PROJECT_ROOT
from fashion_ai.schema import FIELDS

pytestmark = pytest.mark.slow
sys.path.insert(0, str(PROJECT_ROOT / "bench"))


def test_tiny_path_measures_every_row(tmp_path, capsys):
    import bench_gpu
    from bench_training_memory import parameter_counts
    from gpu_models import paligemma_config

    out = tmp_path / "gpu.json"
    assert bench_gpu.main(["--tiny", "--photos", "2", "--steps", "3", "--clip-images", "16", "--max-new-tokens", "8",
                           "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["tiny"] is True
    assert [key for key, row in report.items() if isinstance(row, dict) and "error" in row] == []
    assert report["base"]["vocab_size"] == 4096 and report["base"]["image_tokens"] == 16
    assert report["load"]["weights_bytes"] > 0 and report["load"]["peak_bytes"] > 0

    app, truth = report["extraction_app"], report["extraction_true_path"]
    views = 2 if app["mirror"] else 1
    for row in (app, truth):
        assert row["photos"] == 2 and row["s_per_photo_p50"] > 0 and row["peak_bytes"] > 0
        big = row["largest_forward"]
        # The widest choice is the category: every allowed value, on each view of the photo.
        assert big["rows"] == views * len(FIELDS["category"])
        # The 3B runs the same text tokens after its 256 image tokens, over its 257,216-word vocabulary.
        assert big["tokens_3b"] == big["tokens"] - 16 + 256
        assert big["float32_logits_bytes_3b"] == big["rows"] * big["tokens_3b"] * 257216 * 4
    # Garment forced: presence, category, then the random model's cheapest ends (the garment, the list).
    assert app["forwards_per_photo"] >= 4
    # Along the true answers the decoder writes each photo's true JSON, scoring every field on the way.
    assert truth["answers_equal_truth"] == 2 and truth["forwards_per_photo"] > app["forwards_per_photo"]

    free = report["free_generation"]
    assert 1 <= free["new_tokens_one_photo"] <= 8 and free["batch"] == 2 and free["photos_per_s_batch"] > 0

    qlora = report["qlora"]
    assert qlora["steps"] == 3 and qlora["batch"] == 4 and qlora["four_bit"] is False
    assert qlora["s_per_step_median"] > 0 and math.isfinite(qlora["final_loss"])
    # LoRA r=8 on the language model's seven projections, nowhere else.
    assert qlora["trainable"] == parameter_counts(paligemma_config(True))["lora_r8"]

    again = report["adapter_reload"]
    assert again["lora_tensors"] == 2 * 7 * 2  # A and B, 7 projections, 2 layers
    assert again["lora_weights_equal"] is True
    assert again["outputs_equal"] is True and again["max_abs_diff"] == 0.0
    assert again["adapter_effect_max_abs_diff"] > 0  # equal outputs of a trained adapter, not of a no-op one

    clip = report["clip"]
    assert clip["images"] == 16 and clip["dim"] == 64 and clip["images_per_s"] > 0
    printed = capsys.readouterr().out
    assert "tiny CPU path" in printed and "outputs equal" in printed and "CLIP ViT-B/32 indexing" in printed


def test_real_size_refuses_without_cuda_in_one_line():
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run([sys.executable, str(PROJECT_ROOT / "bench" / "bench_gpu.py"), "--photos", "2"],
                          capture_output=True, text=True, env=env, cwd=PROJECT_ROOT, timeout=120)
    assert proc.returncode != 0 and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "CUDA" in lines[0] and "--tiny" in lines[0]


def test_3b_processor_has_paligemmas_vocabulary_layout():
    from bench_training_memory import parameter_counts
    from gpu_models import build_processor, paligemma_config

    config = paligemma_config(False)
    assert round(parameter_counts(config)["total"] / 1e9, 2) == 3.03  # PaliGemma 2 3B-224
    processor = build_processor(config)
    tokenizer = processor.tokenizer
    assert len(tokenizer) == config.text_config.vocab_size == 257216
    assert [tokenizer.pad_token_id, tokenizer.eos_token_id, tokenizer.bos_token_id] == [0, 1, 2]
    assert processor.image_token_id == tokenizer.convert_tokens_to_ids("<image>") == config.image_token_index == 257152
    assert tokenizer.convert_tokens_to_ids(["<loc0000>", "<seg127>"]) == [256000, 257151]
    assert processor.image_seq_length == 256
    # A JSON answer is one token per punctuation mark and per quoted name or value, none unknown.
    ids = tokenizer('[{"category":"dress"}]', add_special_tokens=False)["input_ids"]
    assert len(ids) == 7 and tokenizer.unk_token_id not in ids
