"""Fashionpedia onto the schema: the original COCO-style file (categories, boxes and 294 attributes; a part's
attributes go to the garment holding it) or the Hub copy detection-datasets/fashionpedia (categories only)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import datasets

from fashion_ai.datasets.captions import outfit_caption
from fashion_ai.datasets.common import IMAGES_DIR, Example, Skip, Tally, cell_text, close_rows
from fashion_ai.datasets.rows import Rows, decode_image, open_rows
from fashion_ai.images import load_image
from fashion_ai.models.paligemma.prompts import DEFAULT_PROMPT
from fashion_ai.schema import Garment, garments_to_json

# --------------------------------------------------------------------------------------------- Fashionpedia tables
# Fashionpedia's 27 apparel categories (names as in its annotation files and the Hub copy's ClassLabel) -> ours.
FASHIONPEDIA_CATEGORIES: dict[str, str] = {
    "shirt, blouse": "shirt", "top, t-shirt, sweatshirt": "top", "sweater": "sweater", "cardigan": "cardigan",
    "jacket": "jacket", "vest": "vest", "pants": "pants", "shorts": "shorts", "skirt": "skirt", "coat": "coat",
    "dress": "dress", "jumpsuit": "jumpsuit", "cape": "cape", "glasses": "glasses", "hat": "hat",
    "headband, head covering, hair accessory": "headband", "tie": "tie", "glove": "glove", "watch": "watch",
    "belt": "belt", "leg warmer": "leg warmer", "tights, stockings": "tights", "sock": "sock", "shoe": "shoe",
    "bag, wallet": "bag", "scarf": "scarf", "umbrella": "umbrella",
}
# The 19 garment parts, closures and decorations: not garments. All 46 in the Hub copy's ClassLabel id order, for a
# copy that lost its ClassLabel feature (e.g. re-saved through pandas).
FASHIONPEDIA_PARTS: tuple[str, ...] = (
    "hood", "collar", "lapel", "epaulette", "sleeve", "pocket", "neckline", "buckle", "zipper", "applique", "bead",
    "bow", "flower", "fringe", "ribbon", "rivet", "ruffle", "sequin", "tassel",
)
FASHIONPEDIA_CLASS_NAMES: tuple[str, ...] = (*FASHIONPEDIA_CATEGORIES, *FASHIONPEDIA_PARTS)

# Fashionpedia attribute name -> (our field, our value). Within a field, earlier entries win when a garment carries
# several (a specific shape beats a fit; a real opening beats "no opening"; a print beats "plain").
# Left out on purpose (dropped and counted): nicknames we have no field for, "symmetrical"/"regular (fit)" and the
# other uninformative defaults, waistlines, textile finishing, and materials outside MATERIALS (metal, fur, ...).
FASHIONPEDIA_ATTRIBUTES: dict[str, tuple[str, str]] = {
    # silhouette: shapes first, then fits
    "a-line": ("silhouette", "a-line"), "pencil": ("silhouette", "pencil"), "peplum": ("silhouette", "peplum"),
    "fit and flare": ("silhouette", "fit and flare"), "mermaid": ("silhouette", "mermaid"),
    "trumpet": ("silhouette", "mermaid"), "tent": ("silhouette", "tent"), "balloon": ("silhouette", "balloon"),
    "bootcut": ("silhouette", "bootcut"), "bell bottom": ("silhouette", "flare"), "flare": ("silhouette", "flare"),
    "circle": ("silhouette", "flare"), "wide leg": ("silhouette", "wide-leg"), "straight": ("silhouette", "straight"),
    "wrap (dress)": ("silhouette", "wrap"), "wrap (skirt)": ("silhouette", "wrap"), "wrap (coat)": ("silhouette", "wrap"),
    "bodycon (dress)": ("silhouette", "bodycon"), "oversized": ("silhouette", "oversized"),
    "baggy": ("silhouette", "oversized"), "tight (fit)": ("silhouette", "slim"),
    # garment length (Fashionpedia's "length" group also holds the sleeve lengths, below)
    "above-the-hip (length)": ("length", "above-the-hip"), "hip (length)": ("length", "hip"),
    "micro (length)": ("length", "micro"), "mini (length)": ("length", "mini"),
    "above-the-knee (length)": ("length", "above-the-knee"), "knee (length)": ("length", "knee"),
    "below the knee (length)": ("length", "below-the-knee"), "midi": ("length", "midi"),
    "maxi (length)": ("length", "maxi"), "floor (length)": ("length", "floor"),
    "crop (top)": ("length", "cropped"), "crop (jacket)": ("length", "cropped"), "crop (pants)": ("length", "cropped"),
    # sleeve length: recorded on the sleeve parts (sleeveless on the garment itself)
    "sleeveless": ("sleeve", "sleeveless"), "short (length)": ("sleeve", "short"),
    "elbow-length": ("sleeve", "elbow-length"), "three quarter (length)": ("sleeve", "three-quarter"),
    "wrist-length": ("sleeve", "long"),
    # neckline type: recorded on the neckline parts
    "v-neck": ("neckline", "v-neck"), "surplice (neck)": ("neckline", "v-neck"), "plunging (neckline)": ("neckline", "plunging"),
    "crew (neck)": ("neckline", "crew"), "round (neck)": ("neckline", "crew"), "scoop (neck)": ("neckline", "scoop"),
    "u-neck": ("neckline", "scoop"), "square (neckline)": ("neckline", "square"), "boat (neck)": ("neckline", "boat"),
    "halter (neck)": ("neckline", "halter"), "halter (top)": ("neckline", "halter"), "halter (dress)": ("neckline", "halter"),
    "off-the-shoulder": ("neckline", "off-the-shoulder"), "one shoulder": ("neckline", "one-shoulder"),
    "sweetheart (neckline)": ("neckline", "sweetheart"), "turtle (neck)": ("neckline", "turtleneck"),
    "cowl (neck)": ("neckline", "cowl"), "keyhole (neck)": ("neckline", "keyhole"),
    # opening type
    "single breasted": ("opening", "single breasted"), "double breasted": ("opening", "double breasted"),
    "zip-up": ("opening", "zip-up"), "lace up": ("opening", "lace up"), "wrapping": ("opening", "wrapping"),
    "buckled (opening)": ("opening", "buckled"), "toggled (opening)": ("opening", "toggled"),
    "fly (opening)": ("opening", "fly"), "no opening": ("opening", "no opening"),
    # textile pattern: prints first, "plain" last
    "stripe": ("pattern", "striped"), "check": ("pattern", "checked"), "houndstooth (pattern)": ("pattern", "checked"),
    "dot": ("pattern", "dotted"), "floral": ("pattern", "floral"), "plant": ("pattern", "floral"),
    "paisley": ("pattern", "paisley"), "camouflage": ("pattern", "camouflage"), "leopard": ("pattern", "animal"),
    "cheetah": ("pattern", "animal"), "zebra": ("pattern", "animal"), "giraffe": ("pattern", "animal"),
    "snakeskin (pattern)": ("pattern", "animal"), "peacock": ("pattern", "animal"),
    "geometric": ("pattern", "geometric"), "argyle": ("pattern", "geometric"), "chevron": ("pattern", "geometric"),
    "fair isle": ("pattern", "geometric"), "abstract": ("pattern", "abstract"), "plain (pattern)": ("pattern", "solid"),
    # non-textile material type (and the one nickname that names a material)
    "leather": ("material", "leather"), "suede": ("material", "suede"), "crocodile": ("material", "leather"),
    "snakeskin": ("material", "leather"), "rubber": ("material", "rubber"), "jeans": ("material", "denim"),
}
_ATTRIBUTE_RANK = {name: rank for rank, name in enumerate(FASHIONPEDIA_ATTRIBUTES)}
# Which part carries which of our fields, and which garments can have such parts.
PART_FIELDS: dict[str, tuple[str, ...]] = {"sleeve": ("sleeve",), "neckline": ("neckline",)}
PART_HOSTS = frozenset({"shirt", "top", "sweater", "cardigan", "jacket", "vest", "coat", "dress", "jumpsuit", "cape"})
MIN_PART_INSIDE = 0.8  # share of a part's box inside a garment's box for the part to belong to that garment


# --------------------------------------------------------------------------------------------- Fashionpedia
@dataclass
class _Piece:
    """One apparel annotation on its way to a Garment: box, area and the (rank, field, value) labels it collected."""

    category: str
    box: tuple[float, float, float, float] | None  # x0, y0, x1, y1
    area: float
    own: list[tuple[int, str, str]] = field(default_factory=list)
    from_parts: list[tuple[str, str]] = field(default_factory=list)

    def garment(self) -> Garment:
        values: dict[str, str] = {}
        for _, name, value in sorted(self.own):
            values.setdefault(name, value)
        for name, value in self.from_parts:  # a part fills only what the garment does not say itself
            values.setdefault(name, value)
        return Garment(category=self.category, **values)


def _xywh_box(bbox: Any) -> tuple[float, float, float, float] | None:
    try:
        x, y, w, h = (float(v) for v in bbox)
    except (TypeError, ValueError):
        return None
    return (x, y, x + w, y + h) if w > 0 and h > 0 else None


def _box_area(box: tuple[float, float, float, float] | None) -> float:
    return 0.0 if box is None else (box[2] - box[0]) * (box[3] - box[1])


def _host(box: tuple[float, float, float, float] | None, pieces: list[_Piece]) -> _Piece | None:
    """The garment a part belongs to: the tightest garment box holding most of the part's box."""
    if box is None:
        return None
    best: _Piece | None = None
    for piece in pieces:
        if piece.category not in PART_HOSTS or piece.box is None:
            continue
        w = min(box[2], piece.box[2]) - max(box[0], piece.box[0])
        h = min(box[3], piece.box[3]) - max(box[1], piece.box[1])
        inside = max(w, 0.0) * max(h, 0.0) / max(_box_area(box), 1e-9)
        if inside >= MIN_PART_INSIDE and (best is None or _box_area(piece.box) < _box_area(best.box)):
            best = piece
    return best


def _final_garments(pieces: list[_Piece], max_garments: int) -> list[Garment]:
    """Largest first; identical garments (a pair of shoes) once, since the parser drops repeats; at most max_garments."""
    garments: list[Garment] = []
    seen: set[str] = set()
    for piece in sorted(pieces, key=lambda p: -p.area):
        garment = piece.garment()
        key = garments_to_json([garment])
        if key not in seen:
            seen.add(key)
            garments.append(garment)
    return garments[:max_garments]


def _coco_garments(annotations: list[dict[str, Any]], categories: dict[Any, str], attributes: dict[Any, str],
                   max_garments: int, tally: Tally, where: Path) -> list[Garment]:
    pieces: list[_Piece] = []
    parts: list[tuple[str, Any, list[str]]] = []
    for ann in annotations:
        name = categories.get(ann.get("category_id"))
        if name is None:
            raise ValueError(f"{where}: annotation {ann.get('id')!r} has unknown category_id {ann.get('category_id')!r}")
        box = _xywh_box(ann.get("bbox"))
        labels = [attributes.get(i, f"attribute #{i}") for i in ann.get("attribute_ids") or []]
        if name not in FASHIONPEDIA_CATEGORIES:
            parts.append((name, box, labels))
            continue
        area = ann.get("area")
        piece = _Piece(FASHIONPEDIA_CATEGORIES[name], box, float(area) if isinstance(area, (int, float)) else _box_area(box))
        for label in labels:
            mapped = FASHIONPEDIA_ATTRIBUTES.get(label)
            if mapped is None:
                tally.dropped[label] += 1
            else:
                piece.own.append((_ATTRIBUTE_RANK[label], *mapped))
        pieces.append(piece)
    for name, box, labels in parts:
        fields = PART_FIELDS.get(name, ())
        host = _host(box, pieces) if fields and labels else None
        for label in sorted(labels, key=lambda lb: _ATTRIBUTE_RANK.get(lb, len(_ATTRIBUTE_RANK))):
            mapped = FASHIONPEDIA_ATTRIBUTES.get(label)
            if host is None or mapped is None or mapped[0] not in fields:
                tally.dropped[f"{label} ({name})"] += 1
            else:
                host.from_parts.append(mapped)
    return _final_garments(pieces, max_garments)


def _load_coco(path: Path) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as fp:
            data = json.load(fp)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), list) for k in ("images", "annotations", "categories")):
        raise ValueError(f"{path}: not a COCO-style Fashionpedia annotation file (it needs 'images', 'annotations' and "
                         "'categories' lists)")
    return data


def _image_folders(annotation_file: Path, split: str, images_dir: str | Path | None) -> list[Path]:
    here = annotation_file.parent
    folders = [Path(images_dir).expanduser()] if images_dir else []
    return folders + [here, here / IMAGES_DIR, here / split, here.parent / split, here.parent / IMAGES_DIR]


def fashionpedia_examples(source: str, split: str, images_dir: str | Path | None, max_garments: int,
                           tally: Tally) -> Iterator[Example]:
    """Open now: the original annotation file (a .json) or rows in the Hub copy's layout (anything else)."""
    path = Path(source).expanduser()
    if path.suffix.lower() == ".json":
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such Fashionpedia annotation file")
        return _coco_examples(path, _load_coco(path), _image_folders(path, split, images_dir), max_garments, tally)
    return _detection_examples(open_rows(source, split), max_garments, tally)


def _coco_examples(path: Path, data: dict[str, Any], folders: list[Path], max_garments: int,
                   tally: Tally) -> Iterator[Example]:
    """One example per image of the original annotation file; part attributes go to the garment holding the part."""
    try:
        categories = {c["id"]: str(c["name"]) for c in data["categories"]}
        attributes = {a["id"]: str(a["name"]) for a in data.get("attributes") or []}
        by_image: dict[Any, list[dict[str, Any]]] = defaultdict(list)
        for ann in data["annotations"]:
            by_image[ann["image_id"]].append(ann)
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{path}: a category, attribute or annotation entry lacks {exc}") from None
    for entry in data["images"]:
        if not isinstance(entry, dict) or "id" not in entry or "file_name" not in entry:
            raise ValueError(f"{path}: an image entry lacks 'id' or 'file_name': {str(entry)[:120]}")
        garments = _coco_garments(by_image.get(entry["id"], []), categories, attributes, max_garments, tally, path)
        if not garments:
            tally.skip(Skip("images without apparel annotations"))
            continue
        photo = next((folder / entry["file_name"] for folder in folders if (folder / entry["file_name"]).is_file()), None)
        if photo is None:
            raise FileNotFoundError(f"{path}: image {entry['file_name']} is in none of {', '.join(map(str, folders))}; "
                                    "pass images_dir= the folder that holds the photos")
        try:
            image = load_image(photo)
        except ValueError as exc:
            tally.skip(Skip("unreadable images", f"{photo}: {exc}"))
            continue
        yield Example(image=image, prefix=DEFAULT_PROMPT, suffix=garments_to_json(garments),
                      caption=outfit_caption(garments), garments=garments, id=f"fashionpedia-{entry['id']}")


def _class_names(feature: Any) -> list[str] | None:
    """The ClassLabel names under a features tree's objects -> category (dict of lists or list of dicts)."""
    if isinstance(feature, datasets.ClassLabel):
        return list(feature.names)
    if isinstance(feature, dict):
        inner = feature.get("objects", feature.get("category"))
        return _class_names(inner) if inner is not None else None
    inner = getattr(feature, "feature", None)
    return _class_names(inner) if inner is not None else None


def _objects(value: Any) -> list[dict[str, Any]]:
    """The Hub copy's objects ({"category": [...], "area": [...]}) or a list of object dicts, as a list of dicts."""
    if isinstance(value, dict):
        keys = [k for k, v in value.items() if isinstance(v, list)]
        count = len(value.get("category") or [])
        return [{k: value[k][i] for k in keys if i < len(value[k])} for i in range(count)]
    return [obj for obj in value or [] if isinstance(obj, dict)]


def _detection_examples(rows: Rows, max_garments: int, tally: Tally) -> Iterator[Example]:
    """Rows in the detection-datasets/fashionpedia layout: categories and boxes only, so garments carry a category."""
    names = _class_names(rows.features) or list(FASHIONPEDIA_CLASS_NAMES)
    iterator = iter(rows.rows)
    try:
        for row in iterator:
            if "objects" not in row or "image" not in row:
                raise ValueError(f"{rows.name}: not the detection-datasets/fashionpedia layout (image, objects); found "
                                 f"{', '.join(sorted(row))}")
            pieces = []
            for obj in _objects(row["objects"]):
                label = obj.get("category")
                name = label if isinstance(label, str) else (names[label] if isinstance(label, int) and 0 <= label < len(names)
                                                             else None)
                if name is None:
                    tally.dropped[f"category #{label}"] += 1
                elif name in FASHIONPEDIA_CATEGORIES:  # parts carry no attributes here: nothing of them to keep
                    box = obj.get("bbox")  # the Hub copy's boxes are x0, y0, x1, y1
                    area = obj.get("area")
                    if not isinstance(area, (int, float)):
                        area = _box_area(tuple(box)) if isinstance(box, (list, tuple)) and len(box) == 4 else 0.0
                    pieces.append(_Piece(FASHIONPEDIA_CATEGORIES[name], None, float(area)))
            garments = _final_garments(pieces, max_garments)
            image_id = cell_text(row.get("image_id"))
            if not garments:
                tally.skip(Skip("images without apparel objects"))
                continue
            try:
                image = decode_image(row["image"], rows.base_dir)
            except (ValueError, OSError) as exc:
                tally.skip(Skip("unreadable images", f"{image_id}: {exc}"))
                continue
            yield Example(image=image, prefix=DEFAULT_PROMPT, suffix=garments_to_json(garments),
                          caption=outfit_caption(garments), garments=garments, id=f"fashionpedia-{image_id}")
    finally:
        close_rows(iterator)
