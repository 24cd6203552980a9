"""The parser that turns a model's raw text into validated garments: repair what json-repair can, drop the rest."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

import json_repair

from fashion_ai.schema.garment import Garment, garments_to_json, normalize_value
from fashion_ai.schema.values import FIELDS, LIST_FIELDS

logger = logging.getLogger(__name__)


@dataclass
class ParseResult:
    """What the parser recovered from model text, and what it had to drop or repair to get there."""

    garments: list[Garment]
    valid_json: bool  # the raw text was strict JSON of the expected shape, no repair needed
    dropped: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.valid_json and not self.dropped


def _json_candidate(text: str) -> tuple[Any, bool]:
    """Decode the text as JSON, strictly if possible, else with json-repair. Returns (data, was_strict)."""
    stripped = text.strip()
    try:
        return json.loads(stripped), True
    except (ValueError, RecursionError):  # RecursionError: pathological nesting
        pass
    # Extra text around the JSON, truncation, repeated objects, single quotes: json-repair's job.
    start = min((i for i in (stripped.find("["), stripped.find("{")) if i >= 0), default=-1)
    if start < 0:
        return None, False
    try:
        return json_repair.loads(stripped[start:]), False
    except Exception:  # json-repair raises little, but a parser must never crash the app
        logger.debug("json-repair failed on %r", stripped[:200])
        return None, False


def parse_garments(text: str) -> ParseResult:
    """Parse raw model output into validated garments; repair or drop what does not fit, never raise."""
    if not isinstance(text, str) or not text.strip():
        return ParseResult([], valid_json=False, dropped=["empty model output"])
    data, strict = _json_candidate(text)
    dropped: list[str] = []
    if isinstance(data, dict):
        data = [data]
        strict = False
        dropped.append("a single object instead of a list (wrapped)")
    if not isinstance(data, list):
        return ParseResult([], valid_json=False, dropped=[f"no JSON list of garments in {text[:80]!r}"])
    garments: list[Garment] = []
    seen: set[str] = set()
    for index, raw in enumerate(data):
        if not isinstance(raw, dict):
            dropped.append(f"item {index}: not an object")
            continue
        garment, problems = _garment_from_dict(raw, index)
        dropped.extend(problems)
        if garment is None:
            continue
        key = garments_to_json([garment])
        if key in seen:  # small models loop and repeat the same object
            dropped.append(f"item {index}: repeated garment")
            continue
        seen.add(key)
        garments.append(garment)
    if not garments and not dropped and not strict:
        dropped.append(f"no garments could be recovered from {text[:80]!r}")
    return ParseResult(garments, valid_json=strict, dropped=dropped)


def _garment_from_dict(raw: dict[str, Any], index: int) -> tuple[Garment | None, list[str]]:
    problems: list[str] = []
    values: dict[str, Any] = {}
    for key, value in raw.items():
        name = str(key).strip().lower()
        name = {"color": "colors", "colours": "colors", "colour": "colors"}.get(name, name)
        if name not in FIELDS:
            problems.append(f"item {index}: unknown field {key!r}")
            continue
        if name in LIST_FIELDS:
            items = value if isinstance(value, list) else [value]
            kept = []
            for item in items:
                norm = normalize_value(name, item)
                if norm is None:
                    problems.append(f"item {index}: unknown {name} value {item!r}")
                elif norm not in kept:
                    kept.append(norm)
            values[name] = kept
        else:
            norm = normalize_value(name, value)
            if norm is None:
                problems.append(f"item {index}: unknown {name} value {value!r}")
            else:
                values[name] = norm
    if "category" not in values:
        problems.append(f"item {index}: no valid category, garment dropped")
        return None, problems
    return Garment(**values), problems
