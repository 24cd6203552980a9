"""Garment or not, measured: how often each extractor says "no garment" on photos without one (empty scenes of
unseen seeds, and kinds of photo training never draws) and, falsely, on garment photos (held-out demo items and
Fashion-MNIST's test split, decoded like uploads).

A decider maps photos to the probability of "no garment" (free generation: 1 for "[]", else 0); a photo counts as
"no garment" when that reaches the decider's threshold, the same rule the extractor serves with.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from fashion_ai.images import crop_to_garment
from fashion_ai.models.paligemma.inference import DEFAULT_CROP, DEFAULT_PROMPT, generate_answers
from fashion_ai.schema import parse_garments

logger = logging.getLogger(__name__)

# Photos -> P(no garment) per photo.
Decider = Callable[[Sequence], np.ndarray]


ROLES = ("empty", "unseen", "garment")  # empty scenes (kinds trained on, unseen seed), kinds never drawn, garments


@dataclass
class PhotoSet:
    """Photos that all show a garment or all show none, with each photo's kind where there are several."""

    name: str
    photos: list
    role: str  # one of ROLES
    kinds: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"a photo set's role is one of {', '.join(ROLES)}, not {self.role!r}")

    @property
    def garment(self) -> bool:
        return self.role == "garment"


def free_generation_decider(processor, model, prompt: str = DEFAULT_PROMPT, crop: bool = DEFAULT_CROP) -> Decider:
    """1.0 where the extractor's greedy answer parses to no garment ("[]"), else 0.0 (``crop``: each photo first
    cropped to its garment, as the app does)."""
    def decide(photos: Sequence) -> np.ndarray:
        answers = generate_answers(processor, model, [crop_to_garment(p) if crop else p for p in photos], prompt)
        return np.array([0.0 if parse_garments(text).garments else 1.0 for text in answers])
    return decide


def constrained_decider(processor, model, prompt: str = DEFAULT_PROMPT, mirror: bool = False,
                        crop: bool = DEFAULT_CROP) -> Decider:
    """The constrained decoder's first choice: the probability of "[]" against starting a garment (on the photo
    and its mirror image with ``mirror``, as the app scores; ``crop``: cropped to its garment first, likewise)."""
    from fashion_ai.models.paligemma.constrained import garment_presence
    from fashion_ai.models.paligemma.scoring import ContinuationScorer

    def decide(photos: Sequence) -> np.ndarray:
        def first_choice(photo) -> float:
            scorer = ContinuationScorer(processor, model, crop_to_garment(photo) if crop else photo, mirror)
            return garment_presence(lambda written, c, complete: scorer(prompt, c, written, complete)).probability_of("no")

        return np.array([first_choice(photo) for photo in tqdm(photos, desc="garment or not", leave=False)])
    return decide


def clip_decider(tokenizer, image_processor, model) -> Decider:
    """CLIP zero-shot's gate: the best non-garment prompt against the best garment prompt."""
    from fashion_ai.models.clip.embeddings import Embedder
    from fashion_ai.models.clip.zero_shot import ClipAttributeExtractor

    gate = ClipAttributeExtractor(Embedder(tokenizer, image_processor, model))

    def decide(photos: Sequence) -> np.ndarray:
        vectors = gate.embedder.embed_images(list(photos))
        return np.array([gate.presence(vector).probability_of("no") for vector in vectors])
    return decide


def extractor_deciders(processor, model, mirror: bool = False, crop: bool = DEFAULT_CROP
                       ) -> dict[str, tuple[Decider, float]]:
    """The PaliGemma extractor's two ways of answering, each with the threshold it serves with (``mirror``: the
    constrained decoder's test-time flip; ``crop``: the app's crop to the garment)."""
    from fashion_ai.models.paligemma.constrained import NO_GARMENT_THRESHOLD

    return {"free generation": (free_generation_decider(processor, model, crop=crop), 0.5),
            "constrained decoding": (constrained_decider(processor, model, mirror=mirror, crop=crop),
                                     NO_GARMENT_THRESHOLD)}


def embedder_deciders(tokenizer, image_processor, model) -> dict[str, tuple[Decider, float]]:
    from fashion_ai.models.clip.zero_shot import CLIP_NO_GARMENT_THRESHOLD

    return {"CLIP zero-shot gate": (clip_decider(tokenizer, image_processor, model), CLIP_NO_GARMENT_THRESHOLD)}


def rate_row(no_garment: np.ndarray, probabilities: np.ndarray, photo_set: PhotoSet) -> dict:
    """One set's figures: the share answered "no garment" (the false rate on garment photos), per kind too."""
    row = {"photos": len(photo_set.photos), "role": photo_set.role,
           "said_no_garment": round(float(no_garment.mean()), 4) if len(no_garment) else None,
           "mean_p_no_garment": round(float(probabilities.mean()), 4) if len(probabilities) else None}
    if photo_set.kinds:
        kinds = np.array(photo_set.kinds)
        row["by_kind"] = {kind: round(float(no_garment[kinds == kind].mean()), 4) for kind in dict.fromkeys(photo_set.kinds)}
    return row


def presence_report(deciders: dict[str, tuple[Decider, float]], sets: Sequence[PhotoSet]) -> dict:
    """Per decider and photo set, the share answered "no garment"; a summary per decider: on empty scenes, on the
    unseen kinds (their mean and the worst), and falsely on garment photos (each set)."""
    report: dict = {"thresholds": {name: threshold for name, (_, threshold) in deciders.items()},
                    "sets": {s.name: {"photos": len(s.photos), "role": s.role} for s in sets}}
    for name, (decide, threshold) in deciders.items():
        rows = {}
        for photo_set in sets:
            probabilities = decide(photo_set.photos) if photo_set.photos else np.zeros(0)
            rows[photo_set.name] = rate_row(probabilities >= threshold, probabilities, photo_set)
        report[name] = rows
        logger.info("no garment, %s: %s", name, {k: v["said_no_garment"] for k, v in rows.items()})
    return report


def summary(report: dict) -> dict[str, dict[str, float]]:
    """Per decider: the empty scenes' set by its name, "unseen kinds mean" / "unseen kinds worst" (kinds never drawn
    in training), and "false <set>" for each garment set."""
    out = {}
    for name in report["thresholds"]:
        rows = report[name]
        line = {set_name: r["said_no_garment"] for set_name, r in rows.items() if r["role"] == "empty"}
        unseen = [r["said_no_garment"] for r in rows.values() if r["role"] == "unseen"]
        if unseen:
            line.update({"unseen kinds mean": round(float(np.mean(unseen)), 4), "unseen kinds worst": min(unseen)})
        line.update({f"false {set_name}": r["said_no_garment"] for set_name, r in rows.items() if r["role"] == "garment"})
        out[name] = line
    return out
