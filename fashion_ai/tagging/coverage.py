"""What a shop owner judges tags by: per field, how many items the catalog gives a value, how many a model tagged,
how many stay unknown; and where the catalog gives a value the tagger also read, how often the two agree (with
the confusion counts behind it), so the tags can be judged before they are trusted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from fashion_ai.catalog.items import CatalogItem
from fashion_ai.catalog.tags import TAGGABLE, TagRecord, apply_tags, is_empty


@dataclass
class FieldCoverage:
    """One field across the catalog: given by the shop, tagged by a model, unknown; and the tagger's agreement
    with the given values it also read (None where it read none)."""

    given: int = 0
    tagged: int = 0
    unknown: int = 0
    compared: int = 0
    agreement: float | None = None
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)  # given value -> tagged value -> items


def _first(value: object) -> str:
    return str(value[0]) if isinstance(value, list) and value else str(value)


def coverage(items: Sequence[CatalogItem], records: dict[str, TagRecord]) -> dict[str, FieldCoverage]:
    """Per taggable field, the catalog's coverage before and after its tags (items as the catalog gives them)."""
    tagged_items = {item.id: item for item in apply_tags(items, records)}
    report = {name: FieldCoverage() for name in TAGGABLE}
    pairs: dict[str, Counter] = {name: Counter() for name in TAGGABLE}
    for item in items:
        record = records.get(item.id)
        for name in TAGGABLE:
            given = getattr(item, name)
            if not is_empty(given):
                report[name].given += 1
                tag = record.tags.get(name) if record else None
                if tag is not None:
                    # Colours: the main colour, the one a shopper searches by first.
                    pairs[name][(_first(given), _first(tag.value))] += 1
            elif name in tagged_items[item.id].tagged:
                report[name].tagged += 1
            else:
                report[name].unknown += 1
    for name, counts in pairs.items():
        total = sum(counts.values())
        if total:
            report[name].compared = total
            report[name].agreement = round(sum(n for (g, t), n in counts.items() if g == t) / total, 3)
            for (given, tagged), n in sorted(counts.items()):
                report[name].confusion.setdefault(given, {})[tagged] = n
    return report


def coverage_json(items: Sequence[CatalogItem], records: dict[str, TagRecord]) -> dict:
    """coverage() as plain JSON, with the item count and the models that tagged."""
    return {"items": len(items), "models": sorted({record.model for record in records.values()}),
            "fields": {name: asdict(value) for name, value in coverage(items, records).items()}}
