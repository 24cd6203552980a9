"""The real loading path (hub ids, 4-bit, adapters), exercised with tiny models of the same classes."""

import pytest
import torch
from PIL import Image

from fashion_ai.errors import ModelUnavailableError
from fashion_ai.models.clip.loading import load_clip
from fashion_ai.models.clip.tiny import build_tiny_clip
from fashion_ai.models.common import quantization_config
from fashion_ai.models.paligemma.inference import AttributeExtractor
from fashion_ai.models.paligemma.loading import apply_lora, load_paligemma
from fashion_ai.models.paligemma.tiny import build_tiny_paligemma
from fashion_ai.schema import FIELDS, parse_garments


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
    # An untrained model knows nothing, but constrained decoding lets it write only what the schema allows: a
    # threshold it cannot reach keeps it from answering "no garment", so it must name one.
    extraction = AttributeExtractor(processor, model, no_garment_threshold=1.01).extract(Image.new("RGB", (50, 80), "red"))
    written = parse_garments(extraction.raw)
    assert written.ok and written.garments, extraction.raw  # strict JSON of at least one garment, nothing dropped
    assert [g.category for g in extraction.result.garments] == [g.category for g in written.garments]
    assert {g.category for g in written.garments} <= set(FIELDS["category"])


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


def test_startup_summary_names_the_quantization():
    from fashion_ai.models.common import describe_model

    _, model = build_tiny_paligemma(image_size=32, patch_size=8)
    text = describe_model(model, quantization_config(True, cuda=True), "cpu")
    assert text.startswith("4-bit nf4 (compute dtype bfloat16, double quant) on cpu")
    assert "MiB" in text
