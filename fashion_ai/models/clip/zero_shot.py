"""Zero-shot attributes from a CLIP (FashionCLIP on a Space, or the demo CLIP): the photo against a text prompt per
allowed value of each field, the method FashionCLIP reports (weighted F1 0.83 zero-shot on Fashion-MNIST).

It needs no GPU: on CPU hardware, where a 3B PaliGemma cannot serve, it is the attribute extractor. Every value
comes from the schema, with its probability among the field's values (softmax of the model's own logit scale).
First a garment-or-not gate: the photo's best match among the garment prompts against its best match among
prompts of what else a photo may show; no garment when the latter wins (CLIP_NO_GARMENT_THRESHOLD).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from fashion_ai.models.clip.embeddings import Embedder
from fashion_ai.models.extraction import (
    APPLIES,
    Extraction,
    FieldGuess,
    garment_from_guesses,
    guess_from_scores,
    presence_guess,
    says_no_garment,
    spoken,
)
from fashion_ai.schema import FIELDS, ParseResult

# Several phrasings per field, averaged (prompt ensembling), each with the value as the schema names it and as
# people say it ("dotted", "polka dot"). {category} and {colour} are what was read before: a pattern is asked as
# "red striped dress", the way product titles say it. Chosen on demo seed 555; reported on other seeds.
TEMPLATES: dict[str, tuple[str, ...]] = {
    "category": ("a photo of a {value}", "a {value}"),
    "colors": ("a photo of a {value} {category}", "a {value} {category}"),
    "pattern": ("{colour} {value} {category}", "a {colour} {value} {category}"),
    "material": ("a {value} {category}", "a photo of a {category} made of {value}"),
}
CLIP_FIELDS: tuple[str, ...] = tuple(TEMPLATES)
# The captions the demo CLIP learns for photos with no garment (training.clip draws one per empty scene).
NO_GARMENT_CAPTIONS: tuple[str, ...] = ("an empty background with no clothing", "a photo with no clothing",
                                        "no garment", "a background without any garment", "nothing to wear")
# What else a photo may show, in words a real CLIP knows (not tuned: no real CLIP runs offline here), then the demo
# CLIP's own phrasings. A prompt with a word the model's tokenizer cannot read (the demo's word-level vocabulary)
# is left out: it would be matched as unknown tokens, not as its meaning.
NON_GARMENT_PROMPTS: tuple[str, ...] = (
    "a photo of a landscape", "a photo of the sky", "a photo of a city", "a photo of a room", "a photo of food",
    "a photo of an animal", "a photo of a car", "a photo of a building", "a blank page", "a page of text",
    "a screenshot", "random noise", "an abstract pattern", "a plain background", *NO_GARMENT_CAPTIONS)
# No garment when the non-garment side gets at least this probability of the two (softmax of the model's logit
# scale times the two best cosines). Chosen on the prompts' tuning seed 555 (200 empty scenes, 200 demo items) with
# a demo CLIP trained at reduced size (2,000 items, 250 + 250 steps): at 0.5 it said "no garment" on 0.92 of the
# empty scenes but also on 0.075 of the garments, at 0.7 on 0.885 and 0.020, at 0.9 on 0.70 and 0.005. Most uploads
# are garments, so a wrong "no garment" costs more than a wrong garment: 0.7. A real CLIP's prompts cannot be tuned
# offline; leaning towards "garment" suits it too.
CLIP_NO_GARMENT_THRESHOLD = 0.7


class ClipAttributeExtractor:
    """A CLIP that reads a garment's category, then its colour, pattern and material, by zero-shot prompts."""

    def __init__(self, embedder: Embedder, name: str = ""):
        self.embedder = embedder
        self.model = embedder.model
        self.name = name or f"{embedder.name} zero-shot"
        scale = getattr(self.model, "logit_scale", None)
        self.scale = float(scale.detach().exp()) if scale is not None else 100.0
        self._prompts: dict[tuple[str, str], np.ndarray] = {}  # (field, category) -> one embedding per value
        self._non_garment: np.ndarray | None = None

    def _value_embeddings(self, name: str, category: str, colour: str) -> np.ndarray:
        key = (name, category, colour)
        if key not in self._prompts:
            noun = spoken("category", category)
            texts: list[list[str]] = []
            for value in FIELDS[name]:
                forms = dict.fromkeys((value, spoken(name, value)))
                texts.append([t.format(value=f, category=noun, colour=colour) for f in forms for t in TEMPLATES[name]])
            flat = self.embedder.embed_texts([text for group in texts for text in group])
            vectors, start = [], 0
            for group in texts:
                mean = flat[start:start + len(group)].mean(axis=0)
                vectors.append(mean / np.linalg.norm(mean))
                start += len(group)
            self._prompts[key] = np.stack(vectors)
        return self._prompts[key]

    def ask(self, image_vector: np.ndarray, name: str, category: str = "", colour: str = "") -> FieldGuess:
        scores = self.scale * (self._value_embeddings(name, category, colour) @ image_vector)
        return guess_from_scores(name, list(FIELDS[name]), scores.tolist())

    def readable(self, prompts: tuple[str, ...]) -> list[str]:
        """The prompts whose every word the model's tokenizer knows."""
        tokenizer = self.embedder.tokenizer
        unknown = getattr(tokenizer, "unk_token_id", None)
        if unknown is None:
            return list(prompts)
        return [p for p in prompts if unknown not in tokenizer(p)["input_ids"]]

    def _non_garment_embeddings(self) -> np.ndarray:
        if self._non_garment is None:
            prompts = self.readable(NON_GARMENT_PROMPTS)
            self._non_garment = (self.embedder.embed_texts(prompts) if prompts
                                 else np.zeros((0, self.embedder.dim), dtype=np.float32))
        return self._non_garment

    def presence(self, image_vector: np.ndarray) -> FieldGuess:
        """Garment or not: the best garment prompt (any category) against the best non-garment prompt."""
        garment = float((self._value_embeddings("category", "", "") @ image_vector).max())
        others = self._non_garment_embeddings()
        none = float((others @ image_vector).max()) if len(others) else float("-inf")
        return presence_guess(self.scale * garment, self.scale * none)

    def extract(self, image: Any) -> Extraction:
        """The garment in one photo (or none), by zero-shot prompts."""
        return self.read(self.embedder.embed_images([image])[0])

    def extract_batch(self, images: Sequence[Any]) -> list[Extraction]:
        """Each photo read as ``extract`` reads it, the photos embedded together (the prompts are embedded once per
        field and category and kept)."""
        if not images:
            return []
        return [self.read(vector) for vector in self.embedder.embed_images(list(images))]

    def read(self, vector: np.ndarray) -> Extraction:
        """The garment (or none) a photo's embedding matches best."""
        presence = self.presence(vector)
        said = {"garment": {"yes": round(presence.probability_of("yes"), 3), "no": round(presence.probability_of("no"), 3)}}
        if says_no_garment(presence, CLIP_NO_GARMENT_THRESHOLD):
            return Extraction(json.dumps(said, indent=1), ParseResult([], valid_json=True), [], presence)
        guesses = {"category": self.ask(vector, "category")}
        category = guesses["category"].value
        guesses["colors"] = self.ask(vector, "colors", category)
        for name in CLIP_FIELDS[2:]:
            if name not in APPLIES or category in APPLIES[name]:
                guesses[name] = self.ask(vector, name, category, guesses["colors"].value)
        garment = garment_from_guesses(guesses)
        said.update({name: {g.value: round(g.probability, 3), **({g.runner_up: round(g.runner_up_probability, 3)}
                                                                 if g.runner_up else {})}
                     for name, g in guesses.items()})
        return Extraction(json.dumps(said, indent=1), ParseResult([garment], valid_json=True), [guesses], presence)
