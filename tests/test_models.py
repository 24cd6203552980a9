"""The real loading path (hub ids, 4-bit, adapters), exercised with tiny models of the same classes."""

import pytest
import torch
from PIL import Image

from fashion_ai.config import AppConfig
from fashion_ai.errors import ModelUnavailableError
from fashion_ai.extraction import AttributeExtractor
from fashion_ai.models import apply_lora, load_clip, load_paligemma, quantization_config
from fashion_ai.training import build_tiny_clip, build_tiny_paligemma


@pytest.fixture(scope="module")
def tiny_paligemma_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("paligemma")
    processor, model = build_tiny_paligemma(image_size=32, patch_size=8)
    model.save_pretrained(path)
    processor.save_pretrained(path)
    return path


def test_four_bit_config_uses_the_real_compute_dtype_key():
    config = quantization_config(True, cuda=True)
    assert config.load_in_4bit and config.bnb_4bit_quant_type == "nf4"
    # The popular notebooks write bnb_4bit_compute_type, which is silently ignored: check ours took effect.
    assert config.bnb_4bit_compute_dtype == torch.bfloat16
    assert not hasattr(config, "bnb_4bit_compute_type")


def test_four_bit_falls_back_to_float_without_cuda(caplog):
    assert quantization_config(False, cuda=True) is None
    assert quantization_config(True, cuda=False) is None
    assert "needs CUDA" in caplog.text


def test_load_paligemma_from_a_folder_and_generate(tiny_paligemma_dir):
    processor, model = load_paligemma(str(tiny_paligemma_dir), load_in_4bit=True)  # CPU: falls back to float
    # The word-level vocabulary must survive the round trip through disk (a Gemma class would rebuild its own).
    prompt_ids = processor.tokenizer("extract data in JSON format")["input_ids"]
    assert processor.tokenizer.unk_token_id not in prompt_ids and len(prompt_ids) == 5
    assert type(model).__name__ == "PaliGemmaForConditionalGeneration"
    assert model.dtype == torch.float32 and not model.training
    extraction = AttributeExtractor(processor, model).extract(Image.new("RGB", (50, 80), "red"))
    # An untrained model says nonsense; the extractor must still hand back a parse result, not raise.
    assert isinstance(extraction.raw, str)
    assert extraction.result.garments == [] or extraction.result.garments[0].category


def test_lora_adapter_saves_and_loads_onto_the_base(tiny_paligemma_dir, tmp_path):
    processor, base = load_paligemma(str(tiny_paligemma_dir), load_in_4bit=False)
    peft_model = apply_lora(base, r=4, alpha=8, targets=["q_proj", "v_proj"])
    trainable = [n for n, p in peft_model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n in trainable)
    assert not any("vision_tower" in n for n in trainable), "LoRA must stay off SigLIP"
    with torch.no_grad():
        for name, param in peft_model.named_parameters():
            if "lora_B" in name:
                param.fill_(0.01)  # a trained-looking adapter, so loading it changes the outputs
    peft_model.save_pretrained(tmp_path / "adapter")
    assert (tmp_path / "adapter" / "adapter_config.json").is_file()
    assert (tmp_path / "adapter" / "adapter_model.safetensors").is_file()

    _, plain = load_paligemma(str(tiny_paligemma_dir), load_in_4bit=False)
    _, adapted = load_paligemma(str(tiny_paligemma_dir), adapter_id=str(tmp_path / "adapter"), load_in_4bit=False)
    from peft import PeftModel

    assert isinstance(adapted, PeftModel)
    inputs = processor(text=["<image>extract data in JSON format"], images=[Image.new("RGB", (32, 32), "blue")],
                       return_tensors="pt")
    with torch.no_grad():
        diff = (plain(**inputs).logits - adapted(**inputs).logits).abs().max()
    assert diff > 1e-4


def test_load_clip_from_a_folder(tmp_path):
    tokenizer, image_processor, model = build_tiny_clip(image_size=32)
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    image_processor.save_pretrained(tmp_path)
    tok2, ip2, model2 = load_clip(str(tmp_path))
    assert type(model2).__name__ == "CLIPModel"
    assert tok2("a red dress")["input_ids"] == tokenizer("a red dress")["input_ids"]


@pytest.mark.parametrize("loader", [
    lambda: load_paligemma("google/paligemma2-3b-pt-224", "fashion-ai/adapter", load_in_4bit=True),
    lambda: load_clip("patrickjohncyh/fashion-clip"),
])
def test_unreachable_hub_gives_a_clear_error(loader, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import huggingface_hub.constants as hf_constants

    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ModelUnavailableError) as err:
        loader()
    message = str(err.value)
    assert "google/paligemma2-3b-pt-224" in message or "patrickjohncyh/fashion-clip" in message
    assert "FASHION_AI_PROFILE=demo" in message


def test_factory_loads_once_per_process(monkeypatch):
    from fashion_ai import models

    calls = []
    monkeypatch.setattr(models, "load_clip", lambda source, device=None: calls.append(source) or build_tiny_clip(32))
    models._embedder_for.cache_clear()
    config = AppConfig(profile="demo", demo_embedder_dir="/nonexistent/embedder")
    first = models.get_embedder(config)
    second = models.get_embedder(config)
    models._embedder_for.cache_clear()
    assert first is second and calls == ["/nonexistent/embedder"]


def test_hub_profile_loads_base_plus_adapter_and_logs_precision_and_memory(tiny_paligemma_dir, tmp_path, caplog):
    """The hub profile with ids pointing at local copies: base + adapter through the same factory the app uses."""
    from peft import PeftModel

    from fashion_ai.models import get_embedder, get_extractor

    processor, base = load_paligemma(str(tiny_paligemma_dir), load_in_4bit=False)
    apply_lora(base, r=4, alpha=8, targets=["q_proj", "v_proj"]).save_pretrained(tmp_path / "adapter")
    processor.save_pretrained(tmp_path / "adapter")  # pushed beside the adapter, as train_space.py push does
    tokenizer, image_processor, clip = build_tiny_clip()
    for part in (clip, tokenizer, image_processor):
        part.save_pretrained(tmp_path / "clip")
    config = AppConfig(profile="hub", paligemma_id=str(tiny_paligemma_dir), adapter_id=str(tmp_path / "adapter"),
                       clip_id=str(tmp_path / "clip"), load_in_4bit=True)
    caplog.set_level("INFO", logger="fashion_ai.models")
    extractor = get_extractor(config)
    embedder = get_embedder(config)
    assert isinstance(extractor.model, PeftModel)
    assert str(tmp_path / "adapter") in extractor.name and embedder.name == str(tmp_path / "clip")
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("loaded ")]
    paligemma_line = next(line for line in lines if line.startswith("loaded PaliGemma"))
    # What loaded, in which precision (no CUDA here: the 4-bit request falls back to float32), and the memory.
    assert "+ adapter" in paligemma_line and "float32 on cpu" in paligemma_line
    assert "weights" in paligemma_line and "MiB" in paligemma_line and "peak RSS" in paligemma_line
    assert any(line.startswith("loaded CLIP") and "MiB" in line for line in lines)
    assert "4-bit quantization needs CUDA" in caplog.text


def test_startup_summary_names_the_quantization():
    from fashion_ai.models import describe_model

    _, model = build_tiny_paligemma(image_size=32, patch_size=8)
    text = describe_model(model, quantization_config(True, cuda=True), "cpu")
    assert text.startswith("4-bit nf4 (compute dtype bfloat16, double quant) on cpu")
    assert "MiB" in text
