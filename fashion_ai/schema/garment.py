"""A garment as the schema describes it, and the mapping of raw words onto the schema's values."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from fashion_ai.schema.lexicon import SYNONYMS
from fashion_ai.schema.values import FIELDS, LIST_FIELDS


@dataclass
class Garment:
    """One garment found in an image; unset fields are None (colors: empty list)."""

    category: str
    colors: list[str] = field(default_factory=list)
    pattern: str | None = None
    silhouette: str | None = None
    length: str | None = None
    neckline: str | None = None
    sleeve: str | None = None
    opening: str | None = None
    material: str | None = None
    style: str | None = None
    occasion: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The garment as the JSON object the model emits, without unset fields, in schema order."""
        out: dict[str, Any] = {}
        for name in FIELDS:
            value = getattr(self, name)
            if value:
                out[name] = list(value) if name in LIST_FIELDS else value
        return out


def garments_to_json(garments: list[Garment]) -> str:
    """The canonical compact JSON target for a list of garments (the training suffix)."""
    return json.dumps([g.to_dict() for g in garments], separators=(",", ":"))


def normalize_value(field_name: str, value: Any) -> str | None:
    """Map a raw value onto the schema's vocabulary, or None if it is not one of the allowed values."""
    if not isinstance(value, str):
        return None
    text = re.sub(r"\s+", " ", value.strip().lower().replace("_", " "))
    allowed = FIELDS[field_name]
    if text in allowed:
        return text
    text = SYNONYMS.get(field_name, {}).get(text, text)
    if text in allowed:
        return text
    # "knee length", "v neck", "short sleeves": drop the group word and try again.
    for suffix in (" length", " sleeves", " sleeve", " pattern", " neckline"):
        if text.endswith(suffix) and text[: -len(suffix)] in allowed:
            return text[: -len(suffix)]
    hyphenated = text.replace(" ", "-")
    return hyphenated if hyphenated in allowed else None
