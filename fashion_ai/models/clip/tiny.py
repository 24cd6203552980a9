"""A from-scratch CLIP small enough to train on 2 CPU cores, with a word-level tokenizer of shoppers' words."""

from __future__ import annotations

import re
from collections.abc import Sequence

import torch

from fashion_ai.models.clip.zero_shot import NO_GARMENT_CAPTIONS
from fashion_ai.models.common import SPECIAL_TOKENS
from fashion_ai.schema import FIELDS


def build_demo_text_tokenizer(max_length: int = 32, extra_words: Sequence[str] = ()):
    """A lower-casing word-level tokenizer for the tiny CLIP's text tower: the schema's words and the words of
    `extra_words` (texts the caller will train on, e.g. its captions' nouns), the rest unknown."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    words = set()
    for values in FIELDS.values():
        for value in values:
            words.update(re.findall(r"[a-z0-9]+", value))
    words.update("a an the in for with and of to on accents clean plain finish perfect length sleeve".split())
    words.update(("women", "men", "unisex", "spring", "summer", "autumn", "winter", "t", "shirt", "photo"))
    words.update(w for text in NO_GARMENT_CAPTIONS for w in re.findall(r"[a-z0-9]+", text))  # empty scenes' captions
    words.update(w for text in extra_words for w in re.findall(r"[a-z0-9]+", text.lower()))
    vocab = list(SPECIAL_TOKENS) + sorted(words)
    backend = Tokenizer(models.WordLevel({w: i for i, w in enumerate(vocab)}, unk_token="<unk>"))
    backend.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.post_processor = processors.TemplateProcessing(
        single="<bos> $A <eos>", special_tokens=[("<bos>", vocab.index("<bos>")), ("<eos>", vocab.index("<eos>"))])
    return PreTrainedTokenizerFast(tokenizer_object=backend, bos_token="<bos>", eos_token="<eos>",
                                   pad_token="<pad>", unk_token="<unk>", model_max_length=max_length)


def build_tiny_clip(image_size: int = 64, patch_size: int = 16, seed: int = 0, extra_words: Sequence[str] = ()):
    """A from-scratch CLIPModel with a word-level tokenizer that knows the schema's words and `extra_words`;
    returns (tokenizer, image_processor, model)."""
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPTextConfig, CLIPVisionConfig

    tokenizer = build_demo_text_tokenizer(extra_words=extra_words)
    image_processor = CLIPImageProcessor(size={"shortest_edge": image_size},
                                         crop_size={"height": image_size, "width": image_size})
    text = CLIPTextConfig(vocab_size=len(tokenizer), hidden_size=128, intermediate_size=256, num_hidden_layers=2,
                          num_attention_heads=4, max_position_embeddings=tokenizer.model_max_length,
                          pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
                          eos_token_id=tokenizer.eos_token_id)
    vision = CLIPVisionConfig(image_size=image_size, patch_size=patch_size, hidden_size=128, intermediate_size=256,
                              num_hidden_layers=4, num_attention_heads=4)
    torch.manual_seed(seed)
    model = CLIPModel(CLIPConfig(text_config=text.to_dict(), vision_config=vision.to_dict(), projection_dim=128))
    model.set_attn_implementation("eager")  # faster than SDPA at this size on CPU (see the tiny PaliGemma)
    return tokenizer, image_processor, model
