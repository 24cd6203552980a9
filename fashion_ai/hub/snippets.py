"""The "How to load" code of a model card: runnable Python for an adapter on a 4-bit base or full weights."""

from __future__ import annotations

import json

from fashion_ai.config import DEFAULT_CLIP_ID, DEFAULT_PALIGEMMA_ID
from fashion_ai.models.paligemma.prompts import DEFAULT_MAX_NEW_TOKENS, DEFAULT_PROMPT


def paligemma_snippet(repo_id: str, base: str, adapter: bool, example: str) -> str:
    lines = ["import torch"]
    if adapter:
        lines.append("from peft import PeftModel")
    lines += ["from PIL import Image"]
    if adapter:
        lines += ["from transformers import AutoProcessor, BitsAndBytesConfig, PaliGemmaForConditionalGeneration", "",
                  f"base = {json.dumps(base or DEFAULT_PALIGEMMA_ID)}  # the base checkpoint the adapter was trained on",
                  f"repo_id = {json.dumps(repo_id)}",
                  "# 4-bit nf4 needs a CUDA GPU and bitsandbytes; on CPU drop quantization_config and device_map.",
                  'bnb_config = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", '
                  "bnb_4bit_compute_dtype=torch.bfloat16)",
                  "base_model = PaliGemmaForConditionalGeneration.from_pretrained(base, quantization_config=bnb_config, "
                  'device_map="auto")',
                  "model = PeftModel.from_pretrained(base_model, repo_id).eval()",
                  "processor = AutoProcessor.from_pretrained(repo_id)  # the processor is pushed beside the adapter"]
        to_model = ".to(torch.bfloat16).to(model.device)"
    else:
        lines += ["from transformers import AutoProcessor, PaliGemmaForConditionalGeneration", "",
                  f"repo_id = {json.dumps(repo_id)}",
                  "model = PaliGemmaForConditionalGeneration.from_pretrained(repo_id).eval()",
                  "processor = AutoProcessor.from_pretrained(repo_id)"]
        to_model = ""
    lines += ["",
              f"prompt = {json.dumps(DEFAULT_PROMPT)}",
              'image = Image.open("garment.jpg").convert("RGB")',
              f'inputs = processor(text="<image>" + prompt, images=image, return_tensors="pt"){to_model}',
              "with torch.inference_mode():",
              f"    output = model.generate(**inputs, max_new_tokens={DEFAULT_MAX_NEW_TOKENS}, do_sample=False)",
              'answer = processor.decode(output[0, inputs["input_ids"].shape[-1]:], skip_special_tokens=True)',
              "print(answer)" + (f"  # e.g. {example}" if example else "")]
    return "\n".join(lines)


def clip_snippet(repo_id: str, base: str, adapter: bool) -> str:
    lines = ["import torch"]
    if adapter:
        lines.append("from peft import PeftModel")
    lines += ["from PIL import Image", "from transformers import AutoImageProcessor, AutoTokenizer, CLIPModel", ""]
    if adapter:
        lines += [f"base = {json.dumps(base or DEFAULT_CLIP_ID)}  # the base checkpoint the adapter was trained on",
                  f"repo_id = {json.dumps(repo_id)}",
                  "base_model = CLIPModel.from_pretrained(base)",
                  "model = PeftModel.from_pretrained(base_model, repo_id).eval()"]
    else:
        lines += [f"repo_id = {json.dumps(repo_id)}", "model = CLIPModel.from_pretrained(repo_id).eval()"]
    lines += ["tokenizer = AutoTokenizer.from_pretrained(repo_id)",
              "image_processor = AutoImageProcessor.from_pretrained(repo_id)",
              "",
              'queries = ["navy striped sweater", "red floral dress"]',
              'images = [Image.open("garment.jpg").convert("RGB")]',
              'tokens = tokenizer(queries, padding=True, return_tensors="pt")',
              "with torch.inference_mode():",
              '    text_emb = model.get_text_features(input_ids=tokens["input_ids"], '
              'attention_mask=tokens["attention_mask"])',
              '    image_emb = model.get_image_features(**image_processor(images=images, return_tensors="pt"))',
              "# Recent transformers return an output object; the embedding is its pooler_output.",
              'text_emb = getattr(text_emb, "pooler_output", text_emb)',
              'image_emb = getattr(image_emb, "pooler_output", image_emb)',
              "scores = torch.nn.functional.normalize(text_emb, dim=-1) @ torch.nn.functional.normalize(image_emb, "
              "dim=-1).T",
              "print(scores)  # one row per query, one column per photo: higher is a better match"]
    return "\n".join(lines)
