"""The registry a service owns: each model resolved on its own, loaded once, falling back to its demo model with
the reason when the hub model cannot load (a typo, a gated model, the wrong class, an adapter of another base)."""

import logging
from pathlib import Path

import httpx2
import pytest
from huggingface_hub.errors import GatedRepoError

from fashion_ai.catalog import load_catalog
from fashion_ai.config import AppConfig
from fashion_ai.errors import ModelUnavailableError
from fashion_ai.images import load_image
from fashion_ai.models.common import explain_load_error
from fashion_ai.models.paligemma.loading import apply_lora, load_paligemma
from fashion_ai.models.paligemma.tiny import build_tiny_paligemma
from fashion_ai.models.paligemma.zero_shot import QuestionExtractor
from fashion_ai.models.registry import ModelRegistry, load_embedder, load_paligemma_extractor
from tests.concurrency import call_at_once


def test_each_model_loads_once_per_registry_and_a_new_registry_loads_anew(tiny_clip_dir):
    calls = []

    def counting_loader(config, source):
        calls.append((source, config.demo_embedder_dir))
        return load_embedder(config, source)

    config = AppConfig(profile="demo", demo_embedder_dir=str(tiny_clip_dir))
    registry = ModelRegistry(config, embedder_loader=counting_loader)
    results = call_at_once(registry.embedder, 4)
    # Four first requests at once: one load, one shared model, loaded from the demo folder.
    assert calls == [("demo", str(tiny_clip_dir))]
    assert all(model is results[0] for model in results)
    assert registry.embedder().name == f"demo:{tiny_clip_dir.name}"
    ModelRegistry(config, embedder_loader=counting_loader).embedder()
    assert len(calls) == 2  # state lives in the registry, not in a process-wide cache


def test_hub_profile_loads_base_plus_adapter_and_logs_precision_and_memory(tiny_paligemma_dir, tiny_clip_dir, tmp_path,
                                                                            caplog):
    """The hub profile with ids pointing at local copies: base + adapter through the registry the app uses."""
    from peft import PeftModel

    processor, base = load_paligemma(str(tiny_paligemma_dir), load_in_4bit=False)
    apply_lora(base, r=4, alpha=8, targets=["q_proj", "v_proj"]).save_pretrained(tmp_path / "adapter")
    processor.save_pretrained(tmp_path / "adapter")  # pushed beside the adapter, as train_space.py push does
    config = AppConfig(profile="hub", paligemma_id=str(tiny_paligemma_dir), adapter_id=str(tmp_path / "adapter"),
                       clip_id=str(tiny_clip_dir), load_in_4bit=True, extractor="paligemma",
                       model_worker="inline")  # the model is inspected here, in this process
    caplog.set_level("INFO", logger="fashion_ai.models")
    registry = ModelRegistry(config)
    extractor, embedder = registry.extractor(), registry.embedder()
    assert isinstance(extractor.model, PeftModel) and extractor.decoding == "constrained"
    assert str(tmp_path / "adapter") in extractor.name and embedder.name == str(tiny_clip_dir)
    assert [(s.role, s.source, s.why_not_hub) for s in registry.serving()] == [("embedder", "hub", ""),
                                                                                ("extractor", "hub", "")]
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("loaded ")]
    paligemma_line = next(line for line in lines if line.startswith("loaded PaliGemma"))
    # What loaded, in which precision (no CUDA here: the 4-bit request falls back to float32), and the memory.
    assert "+ adapter" in paligemma_line and "float32 on cpu" in paligemma_line
    assert "weights" in paligemma_line and "MiB" in paligemma_line and "peak RSS" in paligemma_line
    assert any(line.startswith("loaded CLIP") and "MiB" in line for line in lines)
    assert "4-bit quantization needs CUDA" in caplog.text


def test_without_an_adapter_the_mix_checkpoint_answers_zero_shot(tiny_paligemma_dir, tiny_clip_dir):
    config = AppConfig(profile="hub", mix_id=str(tiny_paligemma_dir), clip_id=str(tiny_clip_dir), extractor="paligemma",
                       model_worker="inline")
    registry = ModelRegistry(config)
    assert isinstance(registry.extractor(), QuestionExtractor)
    # A local folder is named by its last part in what the page shows (no server path); the model keeps its path.
    assert registry.serving()[-1].line() == f"Attributes: {tiny_paligemma_dir.name} (zero-shot)"
    assert registry.extractor().name == f"{tiny_paligemma_dir} (zero-shot)"


def test_on_cpu_auto_reads_attributes_with_the_search_clip(tiny_clip_dir):
    """No GPU, hub profile, extractor auto: FashionCLIP zero-shot reads attributes, a 3B PaliGemma is not loaded."""
    registry = ModelRegistry(AppConfig(profile="hub", clip_id=str(tiny_clip_dir), mix_id="/nowhere/mix"))
    extractor = registry.extractor()
    assert extractor.embedder is registry.embedder()  # one model in memory for both tabs
    assert [s.line() for s in registry.serving()] == [f"Search: {tiny_clip_dir.name}",
                                                      f"Attributes: {tiny_clip_dir.name} (CLIP zero-shot)"]


def test_on_cpu_auto_reads_attributes_with_the_demo_paligemma_when_search_fell_back(tmp_path):
    """No GPU, extractor auto, the hub CLIP unavailable: the demo CLIP searches, and the demo PaliGemma (trained for
    attributes) reads them rather than the demo CLIP zero-shot; an explicit extractor=clip keeps CLIP zero-shot."""
    from fashion_ai.models.paligemma.inference import AttributeExtractor

    settings = {"profile": "hub", "clip_id": str(tmp_path / "no-clip"), "mix_id": str(tmp_path / "no-mix"),
                "model_worker": "inline"}
    registry = ModelRegistry(AppConfig(**settings))
    assert isinstance(registry.extractor(), AttributeExtractor)
    lines = {s.role: s for s in registry.serving()}
    assert lines["embedder"].source == lines["extractor"].source == "demo"
    why = lines["extractor"].why_not_hub
    assert "no-clip" in why and str(tmp_path) not in why  # the status line says why, naming the folder by its name
    clip = ModelRegistry(AppConfig(**settings, extractor="clip")).extractor()
    assert not isinstance(clip, AttributeExtractor) and clip.name.endswith("(CLIP zero-shot)")


@pytest.mark.parametrize("bad", ["typo", "wrong class", "adapter of another base"])
def test_a_hub_model_that_cannot_load_falls_back_to_its_demo_model_and_says_why(bad, tiny_paligemma_dir, tiny_clip_dir,
                                                                                 tmp_path):
    # The embedder's fallbacks are decided in this process: the extractor needs no worker of its own there (test_worker
    # covers the child). The adapter's fails in the worker, and crosses back to say why.
    settings = {"clip_id": str(tiny_clip_dir), "extractor": "paligemma", "mix_id": str(tmp_path / "no-mix"),
                "model_worker": "process" if bad == "adapter of another base" else "inline"}
    if bad == "typo":
        settings["clip_id"] = str(tmp_path / "fashion-clpi")
    elif bad == "wrong class":
        settings["clip_id"] = str(tiny_paligemma_dir)  # a PaliGemma folder where a CLIP belongs
    else:
        # An adapter trained on another base (another vocabulary: the embedding shapes differ).
        _, other = build_tiny_paligemma(image_size=32, patch_size=8, seed=3, extra_words=["wider"] * 1 + ["vocab"])
        apply_lora(other, r=4, alpha=8, targets=["q_proj", "v_proj", "embed_tokens"]).save_pretrained(
            tmp_path / "adapter", save_embedding_layers=True)  # the wider vocabulary goes with it, as meant
        settings.update(paligemma_id=str(tiny_paligemma_dir), adapter_id=str(tmp_path / "adapter"))
    registry = ModelRegistry(AppConfig(profile="hub", **settings))
    embedder, extractor = registry.embedder(), registry.extractor()
    lines = {s.role: s for s in registry.serving()}
    if bad == "adapter of another base":
        assert lines["embedder"].source == "hub" and lines["extractor"].source == "demo"
        assert "adapter" in lines["extractor"].why_not_hub
        assert "no-mix" in lines["extractor"].why_not_hub  # and the zero-shot alternative was tried too
    else:
        assert lines["embedder"].source == "demo" and embedder.name.startswith("demo:")
        why = lines["embedder"].why_not_hub
        assert Path(settings["clip_id"]).name in why
        assert ("not a clip model: set FASHION_AI_CLIP_ID" in why) == (bad == "wrong class")
    assert all(str(tmp_path) not in line.why_not_hub for line in lines.values())  # folders by their names only
    # Both tabs serve, no broken one: the fallen-back models embed words and read a demo photo as the shop says.
    assert embedder.embed_texts(["a red dress"]).shape == (1, embedder.dim)
    # One photo alone would judge the model more than the fallback: the first five, as the shop says (the shipped
    # extractor reads 118 of the first 120 catalog photos' category through the upload's crop).
    items = load_catalog(AppConfig(profile="demo").catalog_dir)[:5]
    read = [[g.category for g in extractor.extract(load_image(item.image_path)).result.garments] for item in items]
    assert sum(said == [item.category] for said, item in zip(read, items)) >= 4, read


def test_load_errors_name_the_id_and_the_fix():
    response = httpx2.Response(401, request=httpx2.Request("GET", "https://huggingface.co/api/models/google/pg"))
    gated = GatedRepoError("401 Client Error. Cannot access gated repo. Access to model google/pg is restricted.",
                           response=response)
    assert explain_load_error("google/pg", gated).startswith("google/pg is gated: accept its licence at "
                                                            "https://huggingface.co/google/pg and set HF_TOKEN")
    typo = OSError("patrickjohncyh/fasion-clip is not a local folder and is not a valid model identifier")
    assert "check the id's spelling" in explain_load_error("patrickjohncyh/fasion-clip", typo)
    offline = OSError("We couldn't connect to 'https://huggingface.co' to load the files")
    assert "not cached and the Hugging Face Hub cannot be reached" in explain_load_error("x/y", offline)


def test_a_failed_demo_model_is_a_plain_error(tmp_path):
    registry = ModelRegistry(AppConfig(profile="demo", demo_embedder_dir=str(tmp_path / "gone")))
    with pytest.raises(ModelUnavailableError, match="gone"):
        registry.embedder()


@pytest.mark.parametrize("broken", ["empty folder", "unreadable config", "another architecture"])
def test_a_model_folder_that_does_not_load_is_named_without_its_path(broken, tmp_path, tiny_paligemma_dir, caplog):
    """Shoppers read these messages (the chat appends them, the CLI prints them): a folder is named by its last part,
    and the log keeps the whole path for whoever runs the server."""
    folder = tmp_path / "private" / "embedder"
    folder.mkdir(parents=True)
    if broken == "unreadable config":
        (folder / "config.json").write_text("{not json")
    elif broken == "another architecture":
        folder = tiny_paligemma_dir  # a PaliGemma where a CLIP belongs
    registry = ModelRegistry(AppConfig(profile="demo", demo_embedder_dir=str(folder)))
    with caplog.at_level(logging.WARNING, logger="fashion_ai.models"), \
            pytest.raises(ModelUnavailableError) as failed:
        registry.embedder()
    message = str(failed.value)
    assert message.startswith(f"{folder.name} ") and str(folder.parent) not in message
    assert str(folder) in caplog.text


def test_hub_models_that_are_not_cached_are_named_without_their_folders(tmp_path):
    config = AppConfig(profile="hub", paligemma_id=str(tmp_path / "base"), adapter_id=str(tmp_path / "adapter"),
                       mix_id=str(tmp_path / "mix"))
    with pytest.raises(ModelUnavailableError) as failed:
        load_paligemma_extractor(config, "hub", available=lambda ref: False)
    assert str(failed.value) == ("base + adapter is not cached and the Hub did not answer; "
                                 "mix is not cached and the Hub did not answer")


def test_models_loading_at_once_in_a_fresh_process_all_load():
    """The warm-up and first visitors load models at once; transformers' lazy imports must not race."""
    import subprocess
    import sys

    from fashion_ai.config import PROJECT_ROOT

    code = ("import threading; from fashion_ai.config import load_config; "
            "from fashion_ai.models.registry import ModelRegistry; "
            "r = ModelRegistry(load_config(None).with_overrides(profile='demo')); errors = []\n"
            "def load(fn):\n"
            "    try: fn()\n"
            "    except Exception as exc: errors.append(repr(exc))\n"
            "threads = [threading.Thread(target=load, args=(fn,)) for fn in (r.embedder, r.extractor, r.text)]\n"
            "[t.start() for t in threads]; [t.join() for t in threads]; print(errors)")
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0 and done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr[-2000:]
