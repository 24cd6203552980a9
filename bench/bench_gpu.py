"""The real-size path on a GPU: PaliGemma 2 3B-224 in 4-bit nf4 (extraction, free generation, QLoRA steps, adapter
reload) and CLIP ViT-B/32 indexing, built from configs kept in the repo with random weights (no download).

    python bench/bench_gpu.py                    # CUDA: the real sizes, 4-bit nf4 through bitsandbytes
    python bench/bench_gpu.py --tiny             # the same code path on tiny models of the same classes (CPU, float)
    bash bench/run_gpu.sh                        # a lent GPU machine in one go (see that file)

1. Base: PaliGemmaForConditionalGeneration from bench/configs/paligemma2-3b-pt-224.json (the checkpoint's public
   config.json), random bfloat16 weights, saved with a processor built offline: the repo's word-level JSON
   tokenizer padded to the config's 257,216 ids, with <image> and the <loc>/<seg> tokens at PaliGemma's own ids (the
   vocabulary's size sets the embedding and logits cost; the ids' values do not matter for speed). Memory and speed
   do not depend on the weights' values; the decoder's path does, see 3.
2. Loading as the app does (fashion_ai.models.paligemma.loading.load_paligemma: 4-bit nf4, double quant, bfloat16
   compute): seconds, weights on the GPU, load peak.
3. Constrained decoding with the library's decoder and ContinuationScorer, the app's mirror setting, a photo at a
   time (the library has no batched path): (a) AttributeExtractor as the app runs it, "garment" forced (random
   weights would answer "[]"; they then stop after the category), and (b) along each demo photo's true answer: every
   choice is scored by the model as usual (the same forward passes and candidate sets) but the true one is taken, a
   trained model's path. Per photo: seconds, forward passes, rows; the largest forward's full-vocabulary logits.
4. Free generation (the extractor's greedy decoding, 160 new tokens at most): one photo, and a batch of 16.
5. QLoRA: load_paligemma_for_training + apply_lora (r=8 on the language model) + the training engine's train_loop,
   --steps steps at --batch: peak memory and seconds per step. The adapter is saved as train_space.py saves it,
   loaded back onto a fresh 4-bit base by load_paligemma, and its logits compared with the trained model's.
6. CLIP ViT-B/32 (FashionCLIP's architecture, bench/configs/clip-vit-base-patch32.json) loaded by load_clip: images/s
   through Embedder.embed_images, the catalog indexing path (preprocessing included).

Peak memory is torch.cuda.max_memory_allocated (on CPU: the process's peak RSS, reset per phase). A phase that
fails is recorded with its error and the others still run (exit status 1). Prints a table beside the issue's
targets and writes bench/results/gpu.json (--tiny: gpu_tiny.json).
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

# The bench folder is not a package: its modules import each other from the path above.
from gpu_models import (  # noqa: E402
    ForwardCounter,
    build_base,
    build_clip,
    demo_photos,
    free_memory,
    logits_of,
    paligemma_config,
    peak_bytes,
    reset_peak,
    sync,
    training_inputs,
    true_path,
)

logger = logging.getLogger("bench_gpu")

RESULTS = ROOT / "bench" / "results" / "gpu.json"
GB = 1e9
# Issue 37's targets for the 3B in 4-bit.
TARGETS = {"extraction_peak_bytes": 3.5 * GB, "extraction_s_per_photo": 1.0, "qlora_peak_bytes": 12 * GB}
FORCE_GARMENT = 1.01  # a "no garment" threshold no probability reaches


# --------------------------------------------------------------------------------------------- extraction
def _photo_rows(run: Callable, images: list, counter: ForwardCounter, deadline: float, config) -> dict:
    """Time `run` photo by photo (until the deadline), with each photo's forward passes."""
    times, passes, outputs = [], [], []
    for image in images:
        sync()
        started = time.perf_counter()
        outputs.append(run(image))
        sync()
        times.append(time.perf_counter() - started)
        passes.append(counter.take())
        if time.monotonic() > deadline:
            logger.warning("time budget reached after %d photos", len(times))
            break
    rows, tokens = max((shape for photo in passes for shape in photo), key=lambda s: s[0] * s[1])
    # ContinuationScorer takes the logits of every position over the whole vocabulary, in float32. The 3B runs the
    # same rows and text tokens with its own image tokens and vocabulary: the tiny path foretells its size.
    real = paligemma_config(False).text_config
    tokens_3b = tokens - config.text_config.num_image_tokens + real.num_image_tokens
    return {"photos": len(times), "s_one_photo": round(times[0], 4), "s_per_photo_p50": round(statistics.median(times), 4),
            "s_per_photo_max": round(max(times), 4), "photos_per_s": round(len(times) / sum(times), 3),
            "forwards_per_photo": round(statistics.mean(len(p) for p in passes), 2),
            "rows_per_photo": round(statistics.mean(sum(r for r, _ in p) for p in passes), 1),
            "largest_forward": {"rows": rows, "tokens": tokens,
                                "float32_logits_bytes": rows * tokens * config.text_config.vocab_size * 4,
                                "tokens_3b": tokens_3b, "float32_logits_bytes_3b": rows * tokens_3b * real.vocab_size * 4},
            "outputs": outputs}


def measure_extraction(base: Path, images: list, truths: list[str], args, cuda: bool, report: dict) -> None:
    """Load as the app does, then constrained decoding (the app's way, and along the true answers) and free
    generation; each phase's figures go into `report` as soon as they are measured."""
    from fashion_ai.config import AppConfig
    from fashion_ai.models.common import weight_bytes
    from fashion_ai.models.paligemma.constrained import decode_garments
    from fashion_ai.models.paligemma.inference import AttributeExtractor, generate_answers
    from fashion_ai.models.paligemma.loading import load_paligemma
    from fashion_ai.models.paligemma.scoring import ContinuationScorer

    reset_peak()
    started = time.perf_counter()
    processor, model = load_paligemma(str(base), None, load_in_4bit=cuda)
    report["load"] = {"s": round(time.perf_counter() - started, 1), "weights_bytes": weight_bytes(model),
                      "peak_bytes": peak_bytes(), "summary": model.fashion_ai_summary}
    mirror = AppConfig().mirror
    counter = ForwardCounter(model)
    app = AttributeExtractor(processor, model, decoding="constrained", mirror=mirror,
                             no_garment_threshold=FORCE_GARMENT)
    truth_of = {id(image): truth for image, truth in zip(images, truths)}

    def along_truth(image) -> bool:
        scorer = ContinuationScorer(processor, model, image, mirror)
        raw = decode_garments(true_path(scorer, app.prompt, truth_of[id(image)]), threshold=FORCE_GARMENT)[0]
        return raw == truth_of[id(image)]

    for key, run in (("extraction_app", lambda image: app.extract(image).raw), ("extraction_true_path", along_truth)):
        try:
            run(images[0])  # warm-up: kernels, allocator
            counter.take()
            reset_peak()
            row = _photo_rows(run, images, counter, time.monotonic() + args.phase_budget_s, model.config)
            outputs = row.pop("outputs")
            if key == "extraction_true_path":
                row["answers_equal_truth"] = sum(outputs)
            else:
                row["answer_example"] = outputs[0][:120]
            report[key] = {"mirror": mirror, **row, "peak_bytes": peak_bytes()}
        except Exception as exc:  # e.g. out of memory: record it, free what it held, go on with the next phase
            report[key] = _failed(key, exc)
        free_memory()
    try:  # the free extractor's own call (generate_answers), with --max-new-tokens for a short CI run
        generate_answers(processor, model, images[:1], max_new_tokens=2)  # warm-up
        counter.take()
        reset_peak()
        one = _photo_rows(lambda image: generate_answers(processor, model, [image], max_new_tokens=args.max_new_tokens),
                          images[:1], counter, float("inf"), model.config)
        one_peak = peak_bytes()
        reset_peak()
        sync()
        started = time.perf_counter()
        generate_answers(processor, model, images, max_new_tokens=args.max_new_tokens, batch_size=len(images))
        sync()
        batch_s = time.perf_counter() - started
        tokens = int(one["forwards_per_photo"])  # one forward per new token
        report["free_generation"] = {
            "max_new_tokens": args.max_new_tokens, "s_one_photo": one["s_one_photo"], "new_tokens_one_photo": tokens,
            "s_per_new_token": round(one["s_one_photo"] / max(1, tokens), 5), "peak_bytes_one_photo": one_peak,
            "batch": len(images), "batch_s": round(batch_s, 3), "photos_per_s_batch": round(len(images) / batch_s, 3),
            "peak_bytes_batch": peak_bytes()}
    except Exception as exc:
        report["free_generation"] = _failed("free_generation", exc)
    counter.close()


def _failed(phase: str, exc: BaseException) -> dict:
    logger.exception("%s failed", phase)
    free_memory()
    return {"error": f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"}


# --------------------------------------------------------------------------------------------- QLoRA and reload
def measure_qlora(base: Path, work: Path, items: list, images: list, args, cuda: bool, report: dict) -> None:
    """QLoRA steps through the library's loading, LoRA and train_loop; then the adapter saved, reloaded as the app
    loads it, and its outputs compared with the trained model's."""
    import torch

    from fashion_ai.models.paligemma.loading import apply_lora, load_paligemma, load_paligemma_for_training
    from fashion_ai.training.config import TrainConfig
    from fashion_ai.training.engine import train_loop

    reset_peak()
    processor, model = load_paligemma_for_training(str(base), load_in_4bit=cuda)
    cfg = TrainConfig(output_dir=str(work / "train"), steps=args.steps, batch_size=args.batch, checkpoint_every=0)
    model = apply_lora(model, cfg.lora_r, cfg.lora_alpha, cfg.lora_targets.split(","))
    load_peak = peak_bytes()
    inputs = training_inputs(processor, items, images)
    dtype = next(p for p in model.parameters() if p.is_floating_point()).dtype
    stamps: list[float] = []

    def batch_fn(idx: torch.Tensor) -> dict:
        sync()
        stamps.append(time.perf_counter())  # a step starts when it asks for its batch
        return {k: v[idx] for k, v in inputs.items()}

    def loss_fn(m, batch: dict) -> torch.Tensor:  # as train_paligemma's
        batch["pixel_values"] = batch["pixel_values"].to(dtype)
        return m(**batch).loss

    reset_peak()
    trained = train_loop(model, batch_fn, len(images), cfg, work / "train", loss_fn, "qlora")
    sync()
    steps = [b - a for a, b in zip(stamps, [*stamps[1:], time.perf_counter()])]
    report["qlora"] = {
        "four_bit": cuda, "batch": args.batch, "steps": trained["steps"], "sequence_tokens": int(inputs["input_ids"].shape[1]),
        "trainable": sum(p.numel() for p in model.parameters() if p.requires_grad), "learning_rate": cfg.learning_rate,
        "gradient_checkpointing": bool(getattr(model, "is_activation_checkpointing", False)),  # on with peft's k-bit prep
        "s_first_step": round(steps[0], 3), "s_per_step_median": round(statistics.median(steps[1:] or steps), 3),
        "final_loss": trained["final_loss"], "load_peak_bytes": load_peak, "peak_bytes": peak_bytes()}

    adapter = work / "adapter"
    model.save_pretrained(adapter)  # a peft model saves only its adapter, as train_paligemma does
    processor.save_pretrained(adapter)
    _, reloaded = load_paligemma(str(base), str(adapter), load_in_4bit=cuda)
    # peft's k-bit preparation upcast the frozen weights to float32 for training: hold them in the dtypes the app
    # loads them in (an exact round trip: they were loaded as such and never trained), so equal adapters give equal
    # outputs.
    loaded = dict(reloaded.named_parameters())
    for name, param in model.named_parameters():
        if not param.requires_grad and name in loaded and param.dtype != loaded[name].dtype:
            param.data = param.data.to(loaded[name].dtype)
    model.eval()
    probe = {k: v[:2] for k, v in inputs.items() if k != "labels"}
    ours, theirs = logits_of(model, probe), logits_of(reloaded, probe)
    with model.disable_adapter():
        without = logits_of(model, probe)
    lora = {n: p for n, p in model.named_parameters() if "lora_" in n}
    report["adapter_reload"] = {
        "adapter_bytes": sum(f.stat().st_size for f in adapter.glob("adapter_model*")),
        "lora_tensors": len(lora),
        "lora_weights_equal": len(lora) > 0 and all(n in loaded and torch.equal(p.detach().cpu(), loaded[n].detach().cpu())
                                                    for n, p in lora.items()),
        "outputs_equal": bool(torch.equal(ours, theirs)), "max_abs_diff": float((ours - theirs).abs().max()),
        # the trained adapter's own effect: equal outputs mean something only if it is not zero
        "adapter_effect_max_abs_diff": float((ours - without).abs().max())}
    del model, reloaded, loaded, lora
    free_memory()


# --------------------------------------------------------------------------------------------- CLIP
def measure_clip(work: Path, images: list, args, report: dict) -> None:
    """CLIP ViT-B/32 saved with random weights, loaded by load_clip, photos embedded as the catalog index does."""
    from fashion_ai.models.clip.embeddings import Embedder
    from fashion_ai.models.clip.loading import load_clip

    build_clip(work / "clip", args.tiny)
    reset_peak()
    embedder = Embedder(*load_clip(str(work / "clip")), name="CLIP ViT-B/32")
    photos = (images * (args.clip_images // len(images) + 1))[:args.clip_images]
    embedder.embed_images(photos[:8])  # warm-up
    sync()
    started = time.perf_counter()
    vectors = embedder.embed_images(photos)
    sync()
    seconds = time.perf_counter() - started
    report["clip"] = {"parameters": sum(p.numel() for p in embedder.model.parameters()), "images": len(vectors),
                      "dim": int(vectors.shape[1]), "s": round(seconds, 3), "images_per_s": round(len(vectors) / seconds, 1),
                      "peak_bytes": peak_bytes(), "dtype": str(embedder.model.dtype).replace("torch.", "")}
    del embedder
    free_memory()


# --------------------------------------------------------------------------------------------- report
def _gb(n: float) -> str:
    return f"{n / GB:.2f} GB"


def _rows(report: dict) -> list[tuple[str, str, str, bool | None]]:
    """(what, measured, target, met) per line of the table; met is None where no target applies."""
    lines: list[tuple[str, str, str, bool | None]] = []
    base, load = report.get("base", {}), report.get("load", {})
    if "parameters" in base:
        lines.append(("PaliGemma 2 parameters (random weights)", f"{base['parameters'] / 1e6:,.1f} M", "", None))
    if "s" in load:
        lines.append(("load as the app does: s, weights", f"{load['s']:.1f} s, {_gb(load['weights_bytes'])}", "", None))
    for key, label in (("extraction_app", "constrained, app's extractor"), ("extraction_true_path", "constrained, true path")):
        row = report.get(key, {})
        if "photos" not in row:
            continue
        label += " + mirror" if row["mirror"] else ""
        lines.append((f"{label}: s per photo (p50 of {row['photos']})", f"{row['s_per_photo_p50']:.3f} s",
                      "<= 1 s", row["s_per_photo_p50"] <= TARGETS["extraction_s_per_photo"]))
        lines.append((f"{label}: peak memory", _gb(row["peak_bytes"]), "<= 3.5 GB",
                      row["peak_bytes"] <= TARGETS["extraction_peak_bytes"]))
        lines.append((f"{label}: tagging photos/s, forwards/photo", f"{row['photos_per_s']:.2f}, "
                      f"{row['forwards_per_photo']:.1f}", "", None))
        big = row["largest_forward"]
        lines.append((f"{label}: largest forward, its f32 logits at 3B", f"{big['rows']}x{big['tokens_3b']} tokens, "
                      f"{_gb(big['float32_logits_bytes_3b'])}", "", None))
    free = report.get("free_generation", {})
    if "s_one_photo" in free:
        lines.append((f"free generation: s per photo ({free['new_tokens_one_photo']:.0f} new tokens)",
                      f"{free['s_one_photo']:.3f} s", "", None))
        lines.append((f"free generation, batch of {free['batch']}: photos/s, peak", f"{free['photos_per_s_batch']:.2f}, "
                      f"{_gb(free['peak_bytes_batch'])}", "", None))
    qlora = report.get("qlora", {})
    if "steps" in qlora:
        lines.append((f"QLoRA batch {qlora['batch']}: s per step (median of {qlora['steps']})",
                      f"{qlora['s_per_step_median']:.3f} s", "", None))
        lines.append((f"QLoRA batch {qlora['batch']}: peak memory", _gb(qlora["peak_bytes"]), "<= 12 GB",
                      qlora["peak_bytes"] <= TARGETS["qlora_peak_bytes"]))
    again = report.get("adapter_reload", {})
    if "outputs_equal" in again:
        lines.append(("adapter saved, reloaded on a fresh base: outputs equal", f"{again['outputs_equal']} (max diff "
                      f"{again['max_abs_diff']:.2g}; adapter's effect {again['adapter_effect_max_abs_diff']:.2g})",
                      "True", again["outputs_equal"]))
    clip = report.get("clip", {})
    if "images_per_s" in clip:
        lines.append((f"CLIP ViT-B/32 indexing: images/s ({clip['images']})", f"{clip['images_per_s']:.0f}", "", None))
    return lines


def print_table(report: dict) -> None:
    print(f"\n{report['path']} on {report['device']}")
    lines = _rows(report)
    width = max([len(w) for w, *_ in lines] + [10])
    for what, measured, target, met in lines:
        mark = "" if met is None or report["tiny"] else ("  ok" if met else "  MISSED")
        print(f"{what:<{width}}  {measured:>34}  {target:>9}{mark}")
    for key, row in report.items():
        if isinstance(row, dict) and "error" in row:
            print(f"{key}: FAILED {row['error']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="tiny models of the same classes, float, no 4-bit (CPU)")
    parser.add_argument("--photos", type=int, default=16, help="photos per extraction loop and free-generation batch")
    parser.add_argument("--steps", type=int, default=20, help="QLoRA optimizer steps")
    parser.add_argument("--batch", type=int, default=4, help="QLoRA batch size")
    parser.add_argument("--max-new-tokens", type=int, help="free generation's limit (default: the extractor's, "
                                                           "DEFAULT_MAX_NEW_TOKENS; random weights rarely stop before it)")
    parser.add_argument("--clip-images", type=int, default=1024, help="photos embedded by CLIP")
    parser.add_argument("--phase-budget-s", type=float, default=90.0,
                        help="an extraction loop stops after this many seconds (the photos done are counted)")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = torch's default)")
    parser.add_argument("--work-dir", type=Path, help="where the random checkpoints go (default: a temporary folder)")
    parser.add_argument("--out", type=Path, help="JSON report (default bench/results/gpu.json, gpu_tiny.json)")
    args = parser.parse_args(argv)
    if args.photos < 1 or args.steps < 1 or args.batch < 1 or args.clip_images < 1 or (args.max_new_tokens or 1) < 1:
        parser.error("--photos, --steps, --batch, --clip-images and --max-new-tokens must be at least 1")
    import torch

    if not args.tiny and not torch.cuda.is_available():
        print("bench_gpu.py: no CUDA device here; the real-size path needs one (4-bit nf4 through bitsandbytes): "
              "run it on a GPU, or with --tiny for the same path on tiny models on CPU", file=sys.stderr)
        return 2
    if not args.tiny:
        try:
            import bitsandbytes  # noqa: F401  (fail now, not after building 3B parameters)
        except ImportError:
            print("bench_gpu.py: bitsandbytes is not installed: pip install -r requirements.txt", file=sys.stderr)
            return 2
    if args.threads:
        torch.set_num_threads(args.threads)
    import peft
    import transformers

    from fashion_ai.models.paligemma.inference import DEFAULT_MAX_NEW_TOKENS
    from fashion_ai.schema import garments_to_json

    cuda = not args.tiny
    args.max_new_tokens = args.max_new_tokens or DEFAULT_MAX_NEW_TOKENS
    out = args.out or (RESULTS.with_name("gpu_tiny.json") if args.tiny else RESULTS)
    report: dict = {
        "path": (f"tiny {'GPU' if torch.cuda.is_available() else 'CPU'} path: tiny models of the same classes, float32, "
                 "no 4-bit (not the 3B's figures)" if args.tiny else "PaliGemma 2 3B-224, 4-bit nf4 (bitsandbytes), "
                 "bfloat16 compute"),
        "tiny": args.tiny, "device": torch.cuda.get_device_name() if torch.cuda.is_available() else platform.processor()
        or "cpu", "torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__,
        "tokenizer": "the repo's word-level JSON tokenizer padded to the config's vocabulary size, <image> at its real id: "
                     "a token per JSON mark and per quoted name or value, about what Gemma's tokenizer gives a JSON answer; "
                     "the 256 image tokens dominate every sequence",
        "targets": TARGETS, "photos": args.photos}
    if cuda:
        import bitsandbytes

        report["bitsandbytes"] = bitsandbytes.__version__

    def save() -> None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2))

    print(report["path"], flush=True)
    config = paligemma_config(args.tiny)
    items, images = demo_photos(args.photos)
    truths = [garments_to_json([item.visible_garment()]) for item in items]
    if args.work_dir:
        args.work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench_gpu_", dir=args.work_dir) as tmp:
        work = Path(tmp)
        report["base"] = build_base(config, work / "paligemma", cuda)
        save()
        phases = (("load", lambda: measure_extraction(work / "paligemma", images, truths, args, cuda, report)),
                  ("qlora", lambda: measure_qlora(work / "paligemma", work, items, images, args, cuda, report)),
                  ("clip", lambda: measure_clip(work, images, args, report)))
        for name, phase in phases:
            try:
                phase()
            except Exception as exc:  # recorded; the next phase still runs
                report["adapter_reload" if name == "qlora" and "qlora" in report else name] = _failed(name, exc)
            free_memory()
            save()
    print_table(report)
    print(f"wrote {out}")
    return 1 if any(isinstance(row, dict) and "error" in row for row in report.values()) else 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    raise SystemExit(main())
