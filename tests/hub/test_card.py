"""Model cards built from eval.json: metadata, metrics, and load code that runs."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from fashion_ai.config import ASSETS_DIR
from fashion_ai.hub import write_model_card
from tests.hub.fake_hub import EMBEDDER_EVAL, EXTRACTOR_EVAL, REPO, SECRET


# --------------------------------------------------------------------------------------------- the card
def _code_block(card: str) -> str:
    return card.split("```python\n", 1)[1].split("```", 1)[0]


def _front_matter(card: str) -> dict:
    import yaml

    assert card.startswith("---\n")
    return yaml.safe_load(card.split("---\n")[1])


def test_adapter_card_has_metadata_metrics_and_a_working_quantization_config(adapter_template):
    import torch
    from transformers import BitsAndBytesConfig

    card = (adapter_template / "README.md").read_text()
    meta = _front_matter(card)
    assert meta == {"base_model": "google/paligemma2-3b-pt-224", "library_name": "peft",
                    "pipeline_tag": "image-text-to-text", "tags": ["fashion", "paligemma", "lora"]}
    fields = json.loads(EXTRACTOR_EVAL.read_text())["eval"]["fields"]
    for name, rep in fields.items():
        classes = [c for c in rep["per_class"].values() if c["support"]]
        precision = round(sum(c["precision"] for c in classes) / len(classes), 4)
        assert f"| {name} | {precision:.4f} |" in card and f"{rep['accuracy']:.4f} | {rep['support']} |" in card
    assert "| LoRA rank r | 4 |" in card and "| peak learning rate (cosine schedule) | 0.002 |" in card
    code = _code_block(card)
    compile(code, "README.md", "exec")
    assert 'AutoProcessor.from_pretrained(repo_id)' in code and f'repo_id = "{REPO}"' in code
    assert "PaliGemmaForConditionalGeneration.from_pretrained(base, quantization_config=bnb_config" in code
    # The card's own BitsAndBytesConfig call, evaluated: a misspelt keyword would leave float32 compute.
    call = re.search(r"BitsAndBytesConfig\(.*\)", code)[0]
    quant = eval(call, {"BitsAndBytesConfig": BitsAndBytesConfig, "torch": torch})  # noqa: S307 - our own card
    assert quant.load_in_4bit and quant.bnb_4bit_quant_type == "nf4" and quant.bnb_4bit_compute_dtype == torch.bfloat16
    assert SECRET not in card


def test_clip_card_shows_retrieval_metrics_and_no_adapter(tmp_path):
    folder = tmp_path / "embedder"
    folder.mkdir()
    report = json.loads(EMBEDDER_EVAL.read_text())
    card = write_model_card(folder, repo_id="fashion-ai/test-clip", report=report).read_text()

    meta = _front_matter(card)
    assert meta == {"library_name": "transformers", "pipeline_tag": "zero-shot-image-classification",
                    "tags": ["fashion", "clip"]}  # a tiny model from scratch has no base_model
    ev = report["eval"]
    assert "| direction | recall@1 | recall@5 | recall@10 | MRR | match rate@k | queries |" in card
    assert (f"| attribute query → image | {ev['recall@1']:.4f} | {ev['recall@5']:.4f} | {ev['recall@10']:.4f} | "
            f"{ev['mrr']:.4f} | {ev['match_rate@k']:.4f} | {ev['queries']} |") in card
    assert f"| caption → image | {ev['caption_to_image']['recall@1']:.4f} |" in card
    code = _code_block(card)
    assert "CLIPModel.from_pretrained(repo_id)" in code and "AutoTokenizer.from_pretrained(repo_id)" in code
    assert "PeftModel" not in card and "BitsAndBytesConfig" not in card and "json_valid" not in card


def test_the_card_shows_the_training_curves_and_a_confusion_picture_its_report_names(tmp_path):
    folder = tmp_path / "embedder"
    folder.mkdir()
    report = json.loads(EMBEDDER_EVAL.read_text())
    named = report.pop("fashion_mnist")  # the held-out report and its picture, added below
    assert "![" not in write_model_card(folder, repo_id="me/m", report=report).read_text()  # no pictures, none shown
    (folder / "training_curves.png").write_bytes(b"\x89PNG curves")
    (folder / "eval_confusion.png").write_bytes(b"\x89PNG confusion")
    card = write_model_card(folder, repo_id="me/m", report=report).read_text()
    assert "## Training curves" in card and "![Training curves](training_curves.png)" in card
    assert card.index("## Evaluation") < card.index("## Training curves") < card.index("## How to load")
    assert "eval_confusion.png" not in card  # this report does not name it: it may describe an earlier model
    report["fashion_mnist"] = named
    card = write_model_card(folder, repo_id="me/m", report=report).read_text()
    assert named["picture"] == "eval_confusion.png" and "![Fashion-MNIST confusion](eval_confusion.png)" in card


def test_card_of_a_sparse_report_leaves_out_what_is_missing(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "paligemma"}))
    card = write_model_card(folder, repo_id="me/m", report={"eval": {"fields": {"category": {"accuracy": 0.5}}}})
    card = card.read_text()
    assert _front_matter(card)["pipeline_tag"] == "image-text-to-text"
    assert "| category |  |  |  | 0.5000 |  |" in card and "hyperparameters" not in card
    assert write_model_card(folder, repo_id="me/m", report={}).read_text().startswith("---\nlibrary_name: transformers")


@pytest.mark.parametrize("kind", ["clip", "paligemma"])
def test_full_weights_card_code_runs(tmp_path, monkeypatch, capsys, kind):
    """The card's "How to load" block, run against the folder itself (repo_id = its path)."""
    from PIL import Image

    if kind == "clip":
        from fashion_ai.models.clip.tiny import build_tiny_clip

        folder = tmp_path / "embedder"
        for part in build_tiny_clip(image_size=32):
            part.save_pretrained(folder)
        report = json.loads(EMBEDDER_EVAL.read_text())
    else:
        folder = Path(shutil.copytree(ASSETS_DIR / "models" / "extractor", tmp_path / "extractor"))
        report = json.loads(EXTRACTOR_EVAL.read_text())
    code = _code_block(write_model_card(folder, repo_id=str(folder), report=report).read_text())
    assert "PeftModel" not in code
    monkeypatch.chdir(tmp_path)
    Image.new("RGB", (80, 100), (30, 40, 120)).save("garment.jpg")
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own card
    if kind == "clip":
        assert tuple(namespace["scores"].shape) == (2, 1)
    else:
        assert isinstance(namespace["answer"], str) and namespace["answer"].strip().startswith("[")
