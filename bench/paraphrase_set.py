"""The paraphrase set's files (bench/paraphrases/dev.json, test.json and the held-out fresh.json): their schema,
checked on loading, and the seeded, stratified split that made dev and test from one authored list
(bench/paraphrases/README.md says what each part means; bench/paraphrase_judge.py how each expectation is judged)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SETS = Path(__file__).resolve().parent / "paraphrases"
SPLIT_SEED = 34  # the dev/test split's shuffle
STRATA = {"singles": "intent", "conversations": "kind", "stylist": "need"}  # what each part's split is stratified by

FieldName = Literal["colors", "pattern", "material", "category", "style", "occasion", "season"]
Values = dict[FieldName, list[str]]


class Expect(BaseModel):
    """What the shopper meant by a turn (paraphrase_judge.py says how each key is judged); no other keys."""

    model_config = ConfigDict(extra="forbid")
    mode: Literal["outfit", "items"] | None = None
    category: list[str] | None = None
    max_price: float | None = Field(None, gt=0)
    total_budget: float | None = Field(None, gt=0)
    gender: Literal["women", "men"] | None = None
    wanted: Values = {}
    wanted_any: Values = {}
    refused: Values = {}
    not_refused: Values = {}
    not_wanted: Values = {}
    colour: str | list[str] | None = None
    pattern: str | list[str] | None = None
    material: str | list[str] | None = None
    levels_move: Literal["up", "down"] | None = None
    cheaper: bool = False
    pricier: bool = False
    like: int | None = Field(None, ge=1)
    reject: int | None = Field(None, ge=1)
    swap: Literal["top", "bottom", "one-piece", "outerwear", "shoes", "bag", "accessory"] | None = None
    verdict: bool | None = None
    picks: Literal["some", "none", "any"] | None = None
    empty_wish: bool = False
    fresh: bool = False
    undo: bool = False
    unchanged: bool = False
    or_unchanged: bool = False

    @field_validator("wanted", "wanted_any", "refused", "not_refused", "not_wanted")
    @classmethod
    def _known_values(cls, values: dict) -> dict:
        for name, vs in values.items():
            _check_known(name, vs)
        return values

    @field_validator("category", "colour", "pattern", "material")
    @classmethod
    def _known_value(cls, value, info):
        if value is not None:
            _check_known({"colour": "colors"}.get(info.field_name, info.field_name),
                         value if isinstance(value, list) else [value])
        return value


def _check_known(name: str, values: list[str]) -> None:
    """ValueError for a value the schema does not have (a misspelt one would be judged as never met)."""
    from fashion_ai.schema import CATEGORIES, COLORS, MATERIALS, OCCASIONS, PATTERNS, SEASONS, STYLES

    known = {"colors": COLORS, "pattern": PATTERNS, "material": MATERIALS, "category": CATEGORIES,
             "style": STYLES, "occasion": OCCASIONS, "season": SEASONS}[name]
    if set(values) - set(known):
        raise ValueError(f"{name} has no {sorted(set(values) - set(known))}")


class Turn(BaseModel):
    """One message: what the shopper says (maybe with the photo of a catalog item like `photo`) and meant."""

    model_config = ConfigDict(extra="forbid")
    id: str | None = None
    intent: str | None = None
    tone: str | None = None  # the register: plain, casual, slang, polite, terse, typo, emoji, question, a language
    context: str | None = None
    say: str
    photo: dict[str, str] | None = None
    expect: Expect


class Conversation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    kind: str
    name: str
    turns: list[Turn] = Field(min_length=3, max_length=6)


class StylistRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    need: str
    garment: dict | None
    prompt: str
    accept: dict
    total_budget: float | None = None


class ParaphraseSet(BaseModel):
    """A split of the paraphrase set (bench/paraphrases/README.md)."""

    model_config = ConfigDict(extra="forbid")
    about: str
    split: dict
    contexts: dict[str, list[Turn]]
    singles: list[Turn]
    conversations: list[Conversation]
    stylist: list[StylistRequest]


def split_set(entries: list[dict], stratum: str, seed: int = SPLIT_SEED) -> tuple[list[dict], list[dict]]:
    """Seeded halves stratified by `stratum`: a shuffle within each stratum (sorted by id first), the odd one out
    going to dev and test in turn, so the two halves differ by at most one."""
    dev, test, extra_to_dev = [], [], True
    for key in sorted({entry[stratum] for entry in entries}):
        group = sorted((e for e in entries if e[stratum] == key), key=lambda e: e["id"])
        random.Random(f"{seed}:{key}").shuffle(group)
        half = len(group) // 2
        if len(group) % 2:
            half, extra_to_dev = half + extra_to_dev, not extra_to_dev
        dev += group[:half]
        test += group[half:]
    return sorted(dev, key=lambda e: e["id"]), sorted(test, key=lambda e: e["id"])


def load_set(split: str) -> dict:
    """One split of the paraphrase set by name (a file of bench/paraphrases/: "dev", "test", "fresh", "fresh2", ...), or a set
    file's path; ValidationError if malformed."""
    named = SETS / f"{split}.json"
    path = named if "/" not in split and named.is_file() else Path(split)
    data = json.loads(path.read_text())
    ParaphraseSet.model_validate(data)  # a misspelt key would otherwise be judged as nothing asked
    return data
