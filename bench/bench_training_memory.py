"""Memory plan for fine-tuning PaliGemma 2 3B: full vs LoRA vs QLoRA, estimated and (on CUDA) measured.

    python bench/bench_training_memory.py                 # 3B: estimate; measures too when CUDA is there
    python bench/bench_training_memory.py --arch tiny     # the same measurement code on a tiny model, on CPU

1. The architecture is built from its public config.json (bench/configs/paligemma2-3b-pt-224.json, shared with
   bench_gpu.py) with random weights on the meta device (no download): exact parameter counts per part (vision
   tower, projector, language model, embeddings) and per layer kind.
2. Estimate per mode (bytes per parameter for weights, gradients and AdamW states; activations from the sequence
   length, with and without gradient checkpointing) — full bf16 fine-tuning is the baseline column.
3. Measurement (CUDA, or --arch tiny on CPU): each mode in its own subprocess, random weights, `--steps`
   optimizer steps on a random batch; peak memory (torch.cuda.max_memory_allocated, or peak RSS on CPU) and the
   median step time. QLoRA needs CUDA (bitsandbytes' 4-bit load path fails on CPU).

Prints a table and writes bench/results/training_memory.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "training_memory.json"
MODES = ("full", "lora", "qlora")
GIB = 2**30
PALIGEMMA2_CONFIG = ROOT / "bench" / "configs" / "paligemma2-3b-pt-224.json"
# The tiny model: the same config with these sizes; 224 px and patch 14 keep the real 256 image tokens.
TINY_PALIGEMMA2 = {
    "projection_dim": 64, "image_token_index": 4000,
    "vision_config": {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 2,
                      "projection_dim": 64},
    "text_config": {"vocab_size": 4096, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
                    "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 32},
}


def paligemma2_config(arch: str, image_size: int | None = None):
    """google/paligemma2-3b-pt-224's architecture (SigLIP So400m + Gemma 2 2B) from its public config.json, kept in
    bench/configs; or a tiny model of the same classes and config with every size cut down (image_size: its input,
    224 px unless given; patch 14)."""
    from transformers import PaliGemmaConfig

    values = json.loads(PALIGEMMA2_CONFIG.read_text())
    if arch == "tiny":
        for key, value in TINY_PALIGEMMA2.items():
            if isinstance(value, dict):
                values[key].update(value)
            else:
                values[key] = value
        if image_size:
            values["vision_config"]["image_size"] = image_size
    return PaliGemmaConfig.from_dict(values)


def parameter_counts(config) -> dict[str, int]:
    """Exact counts from the model built on the meta device (no memory, no download)."""
    import torch
    from transformers import PaliGemmaForConditionalGeneration

    with torch.device("meta"):
        model = PaliGemmaForConditionalGeneration(config)
    counts = {"vision_tower": 0, "projector": 0, "language_linear": 0, "embeddings": 0, "other": 0}
    seen: set[int] = set()
    for name, module in model.named_modules():
        for pname, param in module.named_parameters(recurse=False):
            if id(param) in seen:  # the LM head is tied to the input embeddings: count it once
                continue
            seen.add(id(param))
            n = param.numel()
            if "vision_tower" in name:
                counts["vision_tower"] += n
            elif "multi_modal_projector" in name:
                counts["projector"] += n
            elif isinstance(module, torch.nn.Embedding):
                counts["embeddings"] += n
            elif isinstance(module, torch.nn.Linear) and pname == "weight":
                counts["language_linear"] += n
            else:
                counts["other"] += n
    counts["total"] = sum(counts.values())
    # LoRA r=8 on q/k/v/o/gate/up/down of the language model (our default targets): r * (in + out) per module.
    targets = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
    counts["lora_r8"] = sum(8 * (m.in_features + m.out_features) for n, m in model.named_modules()
                            if isinstance(m, torch.nn.Linear) and "language_model" in n and n.endswith(targets))
    return counts


def estimate(counts: dict[str, int], config, batch: int, text_tokens: int) -> dict[str, dict]:
    """Bytes per mode. Assumptions are stated in the returned rows, so the README can quote them."""
    total, lora = counts["total"], counts["lora_r8"]
    linear = counts["language_linear"] + int(counts["vision_tower"] * 0.98)  # nearly all SigLIP weights are Linear
    text = config.text_config
    seq = (config.vision_config.image_size // config.vision_config.patch_size) ** 2 + text_tokens
    # Activations kept for backward, per layer, bf16: ~34 * seq * hidden bytes (Korthikanti et al. 2022, without
    # the attention-score term that SDPA avoids); with checkpointing only each layer's input (2 * seq * hidden).
    act_full = batch * text.num_hidden_layers * 34 * seq * text.hidden_size
    act_ckpt = batch * text.num_hidden_layers * 2 * seq * text.hidden_size
    logits = batch * seq * text.vocab_size * 4  # float32 logits for the loss: large with a 257k vocabulary
    rows = {
        "full": {"weights": 2 * total, "grads": 2 * total, "optimizer": 12 * total,
                 "note": "bf16 weights and grads, fp32 master copy + AdamW moments (16 B/param)"},
        "lora": {"weights": 2 * total, "grads": 4 * lora, "optimizer": 12 * lora,
                 "note": "frozen bf16 base; fp32 LoRA r=8 weights, grads, AdamW moments"},
        "qlora": {"weights": int(0.5 * linear + 2 * (total - linear) + linear * 0.127 / 8), "grads": 4 * lora,
                  "optimizer": 12 * lora, "note": "nf4 Linear weights (0.5 B/param + double-quant constants), "
                                                  "embeddings and norms in bf16; fp32 LoRA"},
    }
    for row in rows.values():
        fixed = row["weights"] + row["grads"] + row["optimizer"]
        row["activations"] = act_full + logits
        row["total"] = fixed + act_full + logits
        row["total_checkpointed"] = fixed + act_ckpt + logits
    return rows


# --------------------------------------------------------------------------------------------- measurement
def worker(mode: str, arch: str, batch: int, text_tokens: int, steps: int, checkpointing: bool) -> dict:
    """One mode in this process: random weights, `steps` optimizer steps; peak memory and median step time."""
    import torch
    from transformers import PaliGemmaForConditionalGeneration

    from fashion_ai.models.common import quantization_config
    from fashion_ai.models.paligemma.loading import apply_lora

    cuda = torch.cuda.is_available()
    device = "cuda" if cuda else "cpu"
    dtype = torch.bfloat16 if cuda else torch.float32
    config = paligemma2_config(arch)
    torch.manual_seed(0)
    if mode == "qlora":
        if not cuda:
            return {"mode": mode, "skipped": "4-bit needs CUDA"}
        # from_pretrained is what quantizes: save the random weights once, then load them in nf4.
        with tempfile.TemporaryDirectory() as tmp:
            PaliGemmaForConditionalGeneration(config).to(torch.bfloat16).save_pretrained(tmp)
            model = PaliGemmaForConditionalGeneration.from_pretrained(
                tmp, quantization_config=quantization_config(True), device_map={"": 0}, dtype=dtype)
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=checkpointing)
    else:
        model = PaliGemmaForConditionalGeneration(config).to(device=device, dtype=dtype)
    model.model.vision_tower.requires_grad_(mode == "full")
    if mode in ("lora", "qlora"):
        model = apply_lora(model, 8, 16, ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    if checkpointing:
        from fashion_ai.training.engine import enable_gradient_checkpointing

        enable_gradient_checkpointing(model)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.AdamW(params, lr=1e-5)
    image_tokens = (config.vision_config.image_size // config.vision_config.patch_size) ** 2
    ids = torch.randint(10, 1000, (batch, image_tokens + text_tokens), device=device)
    ids[:, :image_tokens] = config.image_token_index
    labels = ids.clone()
    labels[:, : image_tokens + text_tokens // 2] = -100
    batch_inputs = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": labels,
                    "token_type_ids": (labels != -100).long(),
                    "pixel_values": torch.randn(batch, 3, config.vision_config.image_size,
                                                config.vision_config.image_size, device=device, dtype=dtype)}
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(steps):
        started = time.perf_counter()
        with torch.autocast(device, dtype=torch.bfloat16, enabled=cuda):
            loss = model(**batch_inputs).loss
        loss.backward()
        optim.step()
        optim.zero_grad(set_to_none=True)
        if cuda:
            torch.cuda.synchronize()
        times.append(time.perf_counter() - started)
    peak = torch.cuda.max_memory_allocated() if cuda else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"mode": mode, "device": torch.cuda.get_device_name() if cuda else "cpu", "peak_bytes": int(peak),
            "peak_kind": "torch.cuda.max_memory_allocated" if cuda else "process peak RSS",
            "step_s_median": round(statistics.median(times[1:] or times), 3), "steps": steps,
            "trainable": sum(p.numel() for p in params)}


def measure(args) -> list[dict]:
    rows = []
    for mode in MODES:
        cmd = [sys.executable, __file__, "--worker", mode, "--arch", args.arch, "--batch", str(args.batch),
               "--text-tokens", str(args.text_tokens), "--steps", str(args.steps)]
        if args.checkpointing:
            cmd.append("--checkpointing")
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        if proc.returncode:
            tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
            rows.append({"mode": mode, "skipped": f"failed: {tail[:200]}"})  # e.g. out of memory for full 3B
        else:
            rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--arch", choices=("3b", "tiny"), default="3b")
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--text-tokens", type=int, default=64, help="prompt + JSON target tokens after the image")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--checkpointing", action="store_true", help="gradient checkpointing in the measurement")
    parser.add_argument("--no-measure", action="store_true", help="estimate only")
    parser.add_argument("--worker", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.arch, args.batch, args.text_tokens, args.steps, args.checkpointing)))
        return 0

    import torch

    config = paligemma2_config(args.arch)
    counts = parameter_counts(config)
    plan = estimate(counts, config, args.batch, args.text_tokens)
    can_measure = not args.no_measure and (torch.cuda.is_available() or args.arch == "tiny")
    measured = measure(args) if can_measure else []
    print(f"PaliGemma 2 ({args.arch}) parameters: {counts['total'] / 1e9:.3f} B (vision {counts['vision_tower'] / 1e6:.0f} M,"
          f" embeddings {counts['embeddings'] / 1e6:.0f} M); LoRA r=8 trainable {counts['lora_r8'] / 1e6:.1f} M")
    print(f"batch {args.batch}, {args.text_tokens} text tokens after the image tokens")
    header = f"{'mode':<6} {'weights':>9} {'grads+opt':>10} {'activ.':>8} {'est. total':>11} {'est. ckpt':>10}  measured"
    print(header)
    print("-" * len(header))
    for mode in MODES:
        row = plan[mode]
        got = next((m for m in measured if m["mode"] == mode), None)
        if got is None:
            shown = "not measured (no CUDA)"
        elif "skipped" in got:
            shown = got["skipped"]
        else:
            shown = f"{got['peak_bytes'] / GIB:.2f} GiB peak, {got['step_s_median']:.3f} s/step ({got['device']})"
        print(f"{mode:<6} {row['weights'] / GIB:>8.2f}G {(row['grads'] + row['optimizer']) / GIB:>9.2f}G "
              f"{row['activations'] / GIB:>7.2f}G {row['total'] / GIB:>10.2f}G {row['total_checkpointed'] / GIB:>9.2f}G  {shown}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    out = RESULTS if args.arch == "3b" else RESULTS.with_name("training_memory_tiny.json")
    out.write_text(json.dumps({"arch": args.arch, "batch": args.batch, "text_tokens": args.text_tokens,
                               "parameters": counts, "estimate_bytes": plan, "measured": measured,
                               "host": platform.node(), "python": platform.python_version(),
                               "torch": torch.__version__}, indent=2))
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
