"""The registry a service owns: each model loads once per registry, on first use, from the profile's source."""

import pytest

from fashion_ai.config import AppConfig
from fashion_ai.errors import ModelUnavailableError
from fashion_ai.models.paligemma.loading import apply_lora, load_paligemma
from fashion_ai.models.registry import ModelRegistry
from tests.concurrency import call_at_once


def test_each_model_loads_once_per_registry_and_a_new_registry_loads_anew(tiny_clip_dir):
    calls = []

    def counting_loader(config, profile):
        from fashion_ai.models.registry import load_embedder

        calls.append((profile, config.demo_embedder_dir))
        return load_embedder(config, profile)

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
                       clip_id=str(tiny_clip_dir), load_in_4bit=True)
    caplog.set_level("INFO", logger="fashion_ai.models")
    registry = ModelRegistry(config)
    extractor, embedder = registry.extractor(), registry.embedder()
    assert isinstance(extractor.model, PeftModel)
    assert str(tmp_path / "adapter") in extractor.name and embedder.name == str(tiny_clip_dir)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("loaded ")]
    paligemma_line = next(line for line in lines if line.startswith("loaded PaliGemma"))
    # What loaded, in which precision (no CUDA here: the 4-bit request falls back to float32), and the memory.
    assert "+ adapter" in paligemma_line and "float32 on cpu" in paligemma_line
    assert "weights" in paligemma_line and "MiB" in paligemma_line and "peak RSS" in paligemma_line
    assert any(line.startswith("loaded CLIP") and "MiB" in line for line in lines)
    assert "4-bit quantization needs CUDA" in caplog.text


def test_a_hub_model_that_fails_to_load_is_reported_with_its_id_and_the_fix(tiny_clip_dir, tmp_path):
    config = AppConfig(profile="hub", clip_id=str(tmp_path / "no-such-clip"), paligemma_id=str(tmp_path / "no-such-pg"))
    registry = ModelRegistry(config)
    with pytest.raises(ModelUnavailableError, match="no-such-clip.*FASHION_AI_PROFILE=demo"):
        registry.embedder()
    # A failed load is not remembered as a model: the next request tries again and fails the same plain way.
    with pytest.raises(ModelUnavailableError, match="no-such-clip"):
        registry.embedder()
