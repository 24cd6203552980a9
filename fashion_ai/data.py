"""Real training data and real product catalogs, mapped onto our garment schema.

Sources are named ``"<kind>:<source>"``:

- ``fashionpedia:`` Fashionpedia, either its original COCO-style annotation file (``instances_attributes_*.json``:
  categories, boxes and 294 attributes) or the Hub copy ``detection-datasets/fashionpedia`` (categories and boxes,
  no attributes) as a Hub id or a local parquet / ``save_to_disk`` copy.
- ``products:`` product catalogs in the layout of ``ashraq/fashion-product-images-small`` (a Hub id, or a parquet,
  JSONL, CSV or ``save_to_disk`` copy; Kaggle's ``styles.csv`` with its ``images/`` folder), or rows of our own
  CatalogItem columns (id, title, image, price, url, category, colors, gender, ...).
- ``jsonl:`` a folder of images with a JSONL file of ``{"image", "prefix", "suffix"}`` or ``{"image", "caption"}``
  rows, the format PaliGemma and CLIP fine-tuning tools accept.

Hub ids are streamed (``datasets.load_dataset(id, split=..., streaming=True)``), so a ``limit`` never downloads the
whole dataset; local copies are streamed through the same row mapping. Every mapping is an explicit table below:
what a table does not name is dropped or skipped and counted, and the counts are logged once per pass.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import datasets
from datasets.exceptions import DatasetNotFoundError
from PIL import Image

from fashion_ai.catalog import CATALOG_FILE, CatalogItem
from fashion_ai.extraction import DEFAULT_PROMPT
from fashion_ai.images import load_image
from fashion_ai.schema import MATERIALS, Garment, garments_to_json, normalize_value, parse_garments

logger = logging.getLogger(__name__)

KINDS: tuple[str, ...] = ("fashionpedia", "products", "jsonl")
# Caption rows teach a caption, not our JSON: they get PaliGemma's captioning prefix so that they never teach the
# extraction prompt to answer in prose.
CAPTION_PROMPT = "caption en"
DEFAULT_MAX_GARMENTS = 6  # targets stay short: the largest garments of a photo are the ones a shopper names
IMAGES_DIR = "images"

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

# --------------------------------------------------------------------------------------------- product tables
# articleType (ashraq/fashion-product-images-small, Kaggle "Fashion Product Images") -> (our category, shopper noun).
# Not listed, so skipped and counted: innerwear and nightwear, sets (suits, kurta sets, tracksuits, lehenga choli,
# salwar and dupatta), sarees, swimwear, jewellery, cufflinks, shoe accessories, luggage and pouches, personal care,
# fragrance, free gifts, home and sporting goods.
ARTICLE_TYPES: dict[str, tuple[str, str]] = {
    "Tshirts": ("top", "t-shirt"), "Tops": ("top", "top"), "Lounge Tshirts": ("top", "t-shirt"),
    "Sweatshirts": ("top", "sweatshirt"), "Tunics": ("top", "tunic"), "Kurtas": ("top", "kurta"),
    "Kurtis": ("top", "kurti"), "Shirts": ("shirt", "shirt"), "Sweaters": ("sweater", "sweater"),
    "Shrug": ("cardigan", "shrug"), "Jackets": ("jacket", "jacket"), "Blazers": ("jacket", "blazer"),
    "Rain Jacket": ("jacket", "rain jacket"), "Nehru Jackets": ("vest", "nehru jacket"), "Waistcoat": ("vest", "waistcoat"),
    "Dresses": ("dress", "dress"), "Jumpsuit": ("jumpsuit", "jumpsuit"), "Rompers": ("jumpsuit", "romper"),
    "Jeans": ("pants", "jeans"), "Jeggings": ("pants", "jeggings"), "Trousers": ("pants", "trousers"),
    "Track Pants": ("pants", "track pants"), "Lounge Pants": ("pants", "lounge pants"), "Leggings": ("pants", "leggings"),
    "Capris": ("pants", "capris"), "Churidar": ("pants", "churidar"), "Patiala": ("pants", "patiala"),
    "Salwar": ("pants", "salwar"), "Rain Trousers": ("pants", "rain trousers"),
    "Shorts": ("shorts", "shorts"), "Lounge Shorts": ("shorts", "lounge shorts"), "Skirts": ("skirt", "skirt"),
    "Tights": ("tights", "tights"), "Stockings": ("tights", "stockings"), "Socks": ("sock", "socks"),
    "Casual Shoes": ("shoe", "casual shoes"), "Sports Shoes": ("shoe", "sports shoes"),
    "Formal Shoes": ("shoe", "formal shoes"), "Heels": ("shoe", "heels"), "Flats": ("shoe", "flats"),
    "Sandals": ("shoe", "sandals"), "Sports Sandals": ("shoe", "sports sandals"), "Flip Flops": ("shoe", "flip flops"),
    "Handbags": ("bag", "handbag"), "Backpacks": ("bag", "backpack"), "Rucksacks": ("bag", "rucksack"),
    "Clutches": ("bag", "clutch"), "Wallets": ("bag", "wallet"), "Laptop Bag": ("bag", "laptop bag"),
    "Messenger Bag": ("bag", "messenger bag"), "Duffel Bag": ("bag", "duffel bag"), "Waist Pouch": ("bag", "waist pouch"),
    "Watches": ("watch", "watch"), "Belts": ("belt", "belt"), "Caps": ("hat", "cap"), "Hat": ("hat", "hat"),
    "Headband": ("headband", "headband"), "Scarves": ("scarf", "scarf"), "Stoles": ("scarf", "stole"),
    "Mufflers": ("scarf", "muffler"), "Dupatta": ("scarf", "dupatta"), "Ties": ("tie", "tie"),
    "Ties and Cufflinks": ("tie", "tie"), "Sunglasses": ("glasses", "sunglasses"), "Gloves": ("glove", "gloves"),
    "Umbrellas": ("umbrella", "umbrella"),
}
# baseColour (lower case) -> our colour, for names normalize_value does not know. None: known but deliberately
# unmapped (a mix, or a metal shade that is neither gold nor silver).
BASE_COLOURS: dict[str, str | None] = {
    "navy blue": "navy", "off white": "white", "grey melange": "grey", "charcoal": "grey", "steel": "silver",
    "coffee brown": "brown", "mushroom brown": "brown", "taupe": "brown", "nude": "beige", "skin": "beige",
    "fluorescent green": "green", "lime green": "green", "sea green": "green", "turquoise blue": "blue",
    "lavender": "purple", "mauve": "purple", "magenta": "pink", "rose": "pink", "peach": "orange", "rust": "orange",
    "mustard": "yellow", "multi": None, "metallic": None, "bronze": None, "copper": None,
}
# usage -> (occasion, style). Ethnic and Home name no occasion or style of ours.
USAGES: dict[str, tuple[str | None, str | None]] = {
    "Casual": ("everyday", "casual"), "Formal": ("formal", "business"), "Sports": ("sport", "sporty"),
    "Party": ("party", None), "Travel": ("travel", None), "Smart Casual": ("work", "classic"),
    "Ethnic": (None, None), "Home": (None, None),
}
# The shop's three audiences; children's items go to the matching audience (the source's word stays in extra).
GENDERS: dict[str, str] = {"men": "men", "women": "women", "unisex": "unisex", "boys": "men", "girls": "women"}
SEASONS: dict[str, str] = {"spring": "spring", "summer": "summer", "autumn": "autumn", "fall": "autumn", "winter": "winter"}
# Words in a product title -> our pattern, first match wins ("Printed" alone names no pattern).
TITLE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(rx), value) for rx, value in (
    (r"\bstrip(?:e|ed|es)\b", "striped"),
    (r"\b(?:check|checks|checked|plaid|tartan|gingham)\b", "checked"),
    (r"\b(?:polka|dots?|dotted)\b", "dotted"),
    (r"\b(?:floral|flowers?)\b", "floral"),
    (r"\bcolou?r[- ]?block(?:ed|ing)?\b", "colour-block"),
    (r"\b(?:camouflage|camo)\b", "camouflage"),
    (r"\bpaisley\b", "paisley"),
    (r"\b(?:leopard|zebra|tiger|snake ?skin|animal)\b", "animal"),
    (r"\bgeometric\b", "geometric"),
    (r"\babstract\b", "abstract"),
    (r"\b(?:solid|plain)\b", "solid"),
))
# MATERIALS named in a title; "lace" only when it is not "lace-up".
_TITLE_MATERIAL = re.compile(r"\b(" + "|".join(m for m in MATERIALS if m != "lace") + r"|lace(?![- ]?up))\b")
_DENIM_TYPES = frozenset({"Jeans", "Jeggings"})
_PRODUCT_COLUMNS = ("articleType",)
_OWN_COLUMNS = frozenset({"id", "title", "caption", "image", "image_path", "price", "url", "category", "colors", "color",
                          "gender", "pattern", "season", "style", "occasion", "material", "sleeve", "length", "extra"})

# --------------------------------------------------------------------------------------------- captions
_PLURAL_NOUNS = {"shoe": "shoes", "sock": "socks", "glove": "gloves", "leg warmer": "leg warmers"}
_LENGTH_WORDS = {"hip": "hip-length", "knee": "knee-length", "floor": "floor-length", "ankle": "ankle-length"}
_NECKLINE_AS_IS = frozenset({"v-neck", "turtleneck", "collared", "off-the-shoulder", "one-shoulder", "halter"})


@dataclass
class Example:
    """One training example: a photo, the PaliGemma prompt and target, a shopper caption and the known truth."""

    image: Image.Image  # RGB, loaded
    prefix: str  # PaliGemma prompt
    suffix: str  # target text: our garments JSON, or a JSONL row's own text
    caption: str  # shopper caption for CLIP training
    garments: list[Garment]  # the truth when known (empty for free-text rows); used for evaluation
    id: str
    hierarchy: dict[str, str] = field(default_factory=dict)  # product rows: gender/masterCategory/subCategory/articleType


class _Skip(NamedTuple):
    reason: str
    detail: str = ""


class _Tally:
    """What one pass used, skipped and dropped; logged once when the pass ends (or is stopped)."""

    def __init__(self, name: str, unit: str = "examples"):
        self.name = name
        self.unit = unit
        self.used = 0
        self.skipped: Counter[str] = Counter()
        self.details: dict[str, Counter[str]] = defaultdict(Counter)
        self.dropped: Counter[str] = Counter()

    def skip(self, skip: _Skip) -> None:
        self.skipped[skip.reason] += 1
        if skip.detail:
            self.details[skip.reason][skip.detail] += 1

    def log(self) -> None:
        parts = []
        for reason, count in self.skipped.most_common():
            detail = ", ".join(f"{d} x{n}" for d, n in self.details[reason].most_common(5))
            parts.append(f"{count} {reason}" + (f" ({detail})" if detail else ""))
        logger.info("%s: %d %s%s", self.name, self.used, self.unit, f"; skipped {'; '.join(parts)}" if parts else "")
        if self.dropped:
            top = ", ".join(f"{name} x{n}" for name, n in self.dropped.most_common(12))
            logger.info("%s: dropped %d labels that have no field of ours or whose part lies in no garment (%s)",
                        self.name, sum(self.dropped.values()), top)


# --------------------------------------------------------------------------------------------- public API
def parse_spec(spec: str) -> tuple[str, str]:
    """Split ``"<kind>:<source>"``; ValueError naming the kinds when the spec is not one."""
    kind, sep, source = str(spec).partition(":")
    kind, source = kind.strip().lower(), source.strip()
    if not sep or kind not in KINDS:
        raise ValueError(f"unknown dataset spec {spec!r}: expected <kind>:<source> with kind one of {', '.join(KINDS)}")
    if not source:
        raise ValueError(f"dataset spec {spec!r} names no source after '{kind}:'")
    return kind, source


def iter_examples(spec: str, split: str = "train", limit: int | None = None, *, images_dir: str | Path | None = None,
                  max_garments: int = DEFAULT_MAX_GARMENTS) -> Iterator[Example]:
    """Training examples from ``fashionpedia:``, ``products:`` or ``jsonl:`` sources, at most ``limit`` of them.

    The source is opened at once (a missing file or an unreachable Hub id raises here); rows are read lazily.
    ``images_dir`` is where the photos of an original Fashionpedia annotation file are, when not beside it.
    """
    kind, source = parse_spec(spec)
    _check_limit(limit)
    if max_garments < 1:
        raise ValueError(f"max_garments must be at least 1, not {max_garments}")
    tally = _Tally(spec)
    if kind == "fashionpedia":
        examples = _fashionpedia_examples(source, split, images_dir, max_garments, tally)
    elif kind == "products":
        examples = _product_examples(_product_rows(source, split, tally), tally)
    else:
        examples = _jsonl_examples(_jsonl_file(source, split))
    return _take(examples, limit, tally)


def import_catalog(spec: str, out_dir: Path, limit: int | None = None, split: str = "train") -> list[CatalogItem]:
    """Write a product catalog as a catalog folder that ``fashion_ai.catalog.load_catalog`` reads.

    Photos go to ``out_dir/images/<id>.jpg`` (one already there is kept, so a killed import resumes cheaply; each is
    written under a temporary name, then renamed); ``catalog.jsonl`` is written last, atomically. Rows without an
    apparel category or a readable photo are skipped and counted. Returns the items (image paths relative).
    """
    kind, source = parse_spec(spec)
    if kind != "products":
        raise ValueError(f"import_catalog reads product catalogs (products:<source>), not {kind}: sources")
    _check_limit(limit)
    out_dir = Path(out_dir)
    tally = _Tally(f"import {spec}", unit="items")
    rows = _product_rows(source, split, tally)
    (out_dir / IMAGES_DIR).mkdir(parents=True, exist_ok=True)
    items: list[CatalogItem] = []
    seen: set[str] = set()
    written = kept = 0
    try:
        for row in (rows if limit != 0 else ()):  # limit 0: the source is checked, no row is read
            item = row.item
            if item.id in seen:
                tally.skip(_Skip("duplicate ids", item.id))
                continue
            relative = f"{IMAGES_DIR}/{item.id}.jpg"
            target = out_dir / relative
            if target.is_file():
                kept += 1
            else:
                try:
                    image = _decode_image(row.image, row.base_dir)
                except (ValueError, OSError) as exc:
                    tally.skip(_Skip("unreadable images", f"{item.id}: {exc}"))
                    continue
                _write_jpeg(image, target)
                written += 1
            seen.add(item.id)
            item.image_path = relative
            items.append(item)
            tally.used += 1
            if limit is not None and len(items) >= limit:
                break
    finally:
        rows.close()
        tally.log()
    if not items and limit != 0:
        raise ValueError(f"{spec}: no catalog items could be imported (see the log for what was skipped)")
    tmp = out_dir / (CATALOG_FILE + ".tmp")
    tmp.write_text("".join(json.dumps(asdict(item)) + "\n" for item in items))
    tmp.replace(out_dir / CATALOG_FILE)
    logger.info("imported %d items into %s (%d photos written, %d already there)", len(items), out_dir, written, kept)
    return items


# --------------------------------------------------------------------------------------------- helpers
def _check_limit(limit: int | None) -> None:
    if limit is not None and (not isinstance(limit, int) or limit < 0):
        raise ValueError(f"limit must be a whole number of examples (0 or more) or None, not {limit!r}")


def _take(examples: Iterator[Example], limit: int | None, tally: _Tally) -> Iterator[Example]:
    """Yield at most limit examples without reading a row past the last one; log the tally at the end."""
    try:
        if limit == 0:
            return
        for example in examples:
            tally.used += 1
            yield example
            if limit is not None and tally.used >= limit:
                break
    finally:
        examples.close()
        tally.log()


def _close(iterator: Any) -> None:
    """Stop a streamed dataset's reader now (open files, connections) rather than whenever it is collected."""
    close = getattr(iterator, "close", None)
    if close is not None:
        close()


def _text(value: Any) -> str:
    """A cell as clean text: None/NaN -> "", 2012.0 -> "2012"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _safe_id(value: Any) -> str:
    """An id usable as a file name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", _text(value)).strip("._")


def _with_article(phrase: str, plural: bool = False) -> str:
    if plural:
        return phrase
    vowel = phrase[:1].lower() in "aeiou" and not phrase.lower().startswith("one")  # "a one-shoulder dress"
    return f"{'an' if vowel else 'a'} {phrase}"


def _garment_phrase(garment: Garment) -> str:
    """One garment in words, e.g. 'a floral mini a-line dress with long sleeves' or 'leather shoes'."""
    noun = _PLURAL_NOUNS.get(garment.category, garment.category)
    words = [" and ".join(garment.colors)] if garment.colors else []
    if garment.pattern and garment.pattern != "solid":
        words.append(garment.pattern)
    if garment.sleeve == "sleeveless":
        words.append("sleeveless")
    if garment.length:
        words.append(_LENGTH_WORDS.get(garment.length, garment.length))
    if garment.silhouette:
        words.append(garment.silhouette)
    if garment.neckline:
        words.append(garment.neckline if garment.neckline in _NECKLINE_AS_IS else f"{garment.neckline}-neck")
    if garment.material:
        words.append(garment.material)
    words.append(noun)
    phrase = " ".join(words)
    if garment.sleeve and garment.sleeve != "sleeveless":
        phrase += f" with {garment.sleeve} sleeves"
    return _with_article(phrase, plural=noun.endswith("s") and not noun.endswith("ss"))


def outfit_caption(garments: list[Garment]) -> str:
    """A shopper caption for a photo's garments: "A floral mini dress with long sleeves, worn with a bag and shoes."."""
    if not garments:
        return ""
    phrases = [_garment_phrase(g) for g in garments]
    text = phrases[0]
    rest = phrases[1:]
    if rest:
        text += ", worn with " + (", ".join(rest[:-1]) + " and " + rest[-1] if len(rest) > 1 else rest[0])
    return text[0].upper() + text[1:] + "."


# --------------------------------------------------------------------------------------------- row sources
_FILE_BUILDERS = {".parquet": "parquet", ".jsonl": "json", ".json": "json", ".csv": "csv", ".arrow": "arrow"}
_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*(?:/[A-Za-z0-9][\w.-]*)?")
_SPLIT_ALIASES = {"val": "validation", "valid": "validation", "dev": "validation", "eval": "validation"}
_SPLIT_NAMES = frozenset({"train", "validation", "val", "valid", "dev", "eval", "test"})


@dataclass
class _Rows:
    rows: Iterable[dict[str, Any]]
    features: Any  # datasets.Features, or None when the loader does not know them (CSV, JSON)
    base_dir: Path | None  # where relative image paths live; None for the Hub
    name: str


def _open_rows(source: str, split: str) -> _Rows:
    """Rows of a Hub id (streamed) or of a local parquet/JSONL/CSV file, data folder or save_to_disk folder."""
    path = Path(source).expanduser()
    if path.exists():
        dataset, base_dir = _open_local(path, split)
    elif _HUB_ID.fullmatch(source) and path.suffix.lower() not in _FILE_BUILDERS:
        dataset, base_dir = _open_hub(source, split), None
    else:
        raise FileNotFoundError(f"{source}: no such file or folder")
    features = dataset.features
    if features is not None and isinstance(features.get("image"), datasets.Image):
        # Decoded here, not by datasets: one damaged photo then skips its row instead of ending the pass.
        dataset = dataset.cast_column("image", datasets.Image(decode=False))
    return _Rows(dataset, features, base_dir, source)


def _open_hub(source: str, split: str) -> Any:
    try:
        return datasets.load_dataset(source, split=split, streaming=True)
    except (ConnectionError, DatasetNotFoundError) as exc:
        raise FileNotFoundError(f"{source!r} is neither a local file or folder nor a dataset the Hub could give ({exc}); "
                                "download a copy and pass its path") from exc


def _open_local(path: Path, split: str) -> tuple[Any, Path]:
    if path.is_dir() and any((path / name).is_file() for name in ("dataset_info.json", "state.json", "dataset_dict.json")):
        loaded = datasets.load_from_disk(str(path))
        if isinstance(loaded, datasets.DatasetDict):
            if split not in loaded:
                raise ValueError(f"{path} has no split {split!r} (it has {', '.join(loaded)})")
            loaded = loaded[split]
        return loaded.to_iterable_dataset(), path
    files = _data_files(path, split)
    builder = _FILE_BUILDERS[files[0].suffix.lower()]
    # Kaggle's styles.csv has a few lines with unquoted commas in the title: pandas skips them.
    options = {"on_bad_lines": "skip"} if builder == "csv" else {}
    dataset = datasets.load_dataset(builder, data_files={"train": [str(f) for f in files]}, split="train", streaming=True,
                                    **options)
    return dataset, files[0].parent


def _split_of(relative: Path) -> str | None:
    for token in re.split(r"[^a-z0-9]+", str(relative).lower()):
        if token in _SPLIT_NAMES:
            return _SPLIT_ALIASES.get(token, token)
    return None


def _data_files(path: Path, split: str) -> list[Path]:
    """The data files of a local file or folder for a split (files that name no split are all "train")."""
    if path.is_file():
        if path.suffix.lower() not in _FILE_BUILDERS:
            raise ValueError(f"{path}: cannot read {path.suffix or 'this'} files; expected parquet, JSONL, CSV or JSON")
        return [path]
    wanted = _SPLIT_ALIASES.get(split.lower(), split.lower())
    for suffix in (".parquet", ".jsonl", ".csv", ".json", ".arrow"):
        found = sorted({p for pattern in (f"*{suffix}", f"*/*{suffix}", f"*/*/*{suffix}") for p in path.glob(pattern)
                        if p.is_file() and not p.name.startswith(".")})
        if suffix == ".csv" and any(p.name == "styles.csv" for p in found):
            found = [p for p in found if p.name == "styles.csv"]  # Kaggle's images.csv only lists download links
        if not found:
            continue
        splits = {p: _split_of(p.relative_to(path)) for p in found}
        if not any(splits.values()):
            if wanted != "train":
                raise ValueError(f"{path} has no split {split!r}: its {suffix} files name no split, so they are all 'train'")
            return found
        chosen = [p for p, s in splits.items() if s == wanted]
        if not chosen:
            have = ", ".join(sorted({s for s in splits.values() if s}))
            raise ValueError(f"{path} has no split {split!r} (its {suffix} files have {have})")
        return chosen
    raise FileNotFoundError(f"{path}: no parquet, JSONL, CSV or JSON data files in this folder")


def _decode_image(value: Any, base_dir: Path | None) -> Image.Image:
    """A row's photo (Pillow image, datasets' {"bytes", "path"}, or a path) as RGB; ValueError/OSError if unusable."""
    if isinstance(value, Image.Image):
        return load_image(value)
    if isinstance(value, dict):
        if value.get("bytes"):
            return load_image(bytes(value["bytes"]))
        value = value.get("path")
    if isinstance(value, (str, os.PathLike)) and str(value).strip():
        text = str(value).strip()
        if "://" in text:  # a remote path in a streamed Hub dataset: datasets knows how to open it
            return load_image(datasets.Image().decode_example({"path": text, "bytes": None}))
        path = Path(text).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        if not path.is_file():
            raise FileNotFoundError(f"image {path} not found")
        return load_image(path)
    raise ValueError("the row has no image")


def _write_jpeg(image: Image.Image, target: Path) -> None:
    tmp = target.with_name(f".{target.name}.tmp")
    image.save(tmp, format="JPEG", quality=90)
    os.replace(tmp, target)


# --------------------------------------------------------------------------------------------- products
@dataclass
class _ProductRow:
    item: CatalogItem
    image: Any  # the row's image reference, decoded only when needed
    base_dir: Path | None
    hierarchy: dict[str, str]


def _product_rows(source: str, split: str, tally: _Tally) -> Iterator[_ProductRow]:
    """Open the source now; map its rows lazily (products layout or our own catalog columns, told from the rows)."""
    rows = _open_rows(source, split)

    def mapped() -> Iterator[_ProductRow]:
        layout = None
        iterator = iter(rows.rows)
        try:
            for row in iterator:
                if layout is None:
                    layout = _product_layout(row, source)
                result = (_product_row(row, rows.base_dir, source) if layout == "products"
                          else _own_row(row, rows.base_dir, source))
                if isinstance(result, _Skip):
                    tally.skip(result)
                else:
                    yield result
        finally:
            _close(iterator)

    return mapped()


def _product_layout(row: dict[str, Any], source: str) -> str:
    if all(column in row for column in _PRODUCT_COLUMNS):
        return "products"
    if "title" in row and "category" in row:
        return "own"
    raise ValueError(f"{source}: rows have neither the product-catalog columns (id, articleType, baseColour, usage, "
                     f"productDisplayName, ...) nor our catalog columns (id, title, category, image, ...); found "
                     f"{', '.join(sorted(row))}")


def _colour(value: Any) -> str | None:
    name = _text(value)
    return normalize_value("colors", name) or BASE_COLOURS.get(name.lower())


def _colours(value: Any) -> list[str]:
    raw = value if isinstance(value, (list, tuple)) else re.split(r"[,;|/&]", _text(value))
    out: list[str] = []
    for part in raw:
        colour = _colour(part)
        if colour and colour not in out:
            out.append(colour)
    return out


def _title_pattern(title: str) -> str | None:
    lower = title.lower()
    return next((value for rx, value in TITLE_PATTERNS if rx.search(lower)), None)


def _title_material(title: str) -> str | None:
    match = _TITLE_MATERIAL.search(title.lower())
    return match.group(1) if match else None


def _product_caption(noun: str, colors: list[str], pattern: str | None, material: str | None, style: str | None,
                     occasion: str | None, season: str, gender: str) -> str:
    """In the demo catalog's voice: "A casual navy checked shirt in cotton for men, perfect for everyday in autumn."."""
    words = [w for w in (style, colors[0] if colors else None, pattern if pattern != "solid" else None, noun) if w]
    text = _with_article(" ".join(words), plural=noun.endswith("s") and not noun.endswith("ss"))
    if material:
        text += f" in {material}"
    if gender in ("women", "men"):
        text += f" for {gender}"
    tail = f"perfect for {occasion}" if occasion else ""
    if season:
        tail = f"{tail} in {season}" if tail else f"for {season}"
    text += f", {tail}." if tail else "."
    return text[0].upper() + text[1:]


def _product_row(row: dict[str, Any], base_dir: Path | None, source: str) -> _ProductRow | _Skip:
    """A row in the ashraq / Kaggle layout as a catalog item, or why it was skipped."""
    raw_id = _text(row.get("id"))
    item_id = _safe_id(raw_id)
    if not item_id:
        return _Skip("rows without an id")
    article = _text(row.get("articleType"))
    if article not in ARTICLE_TYPES:
        return _Skip("rows with no apparel category", article or "(blank)")
    category, noun = ARTICLE_TYPES[article]
    hierarchy = {key: _text(row.get(key)) for key in ("gender", "masterCategory", "subCategory", "articleType")}
    colour = _colour(row.get("baseColour"))
    colors = [colour] if colour else []
    title = _text(row.get("productDisplayName")) or " ".join(w for w in (_text(row.get("baseColour")), noun) if w).title()
    pattern = _title_pattern(title)
    material = _title_material(title) or ("denim" if article in _DENIM_TYPES else None)
    occasion, style = USAGES.get(_text(row.get("usage")), (None, None))
    season = SEASONS.get(_text(row.get("season")).lower(), "")
    gender = GENDERS.get(hierarchy["gender"].lower(), "unisex")
    extra = {key: value for key, value in {**hierarchy, "baseColour": _text(row.get("baseColour")),
                                           "usage": _text(row.get("usage")), "year": _text(row.get("year")),
                                           "source": source}.items() if value}
    item = CatalogItem(
        id=item_id, title=title, caption=_product_caption(noun, colors, pattern, material, style, occasion, season, gender),
        category=category, gender=gender, colors=colors, pattern=pattern or "", season=season, price=None, url="",
        image_path="", style=style, occasion=occasion, material=material, extra=extra,
    )
    image = row.get("image")
    if image is None:  # Kaggle's styles.csv: the photo is images/<id>.jpg beside it
        image = f"{IMAGES_DIR}/{raw_id}.jpg" if base_dir is not None else None
    return _ProductRow(item, image, base_dir, hierarchy)


def _price(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return None if isinstance(value, float) and math.isnan(value) else float(value)
    digits = re.sub(r"[^\d.]", "", _text(value))
    try:
        return float(digits) if digits else None
    except ValueError:
        return None


def _own_row(row: dict[str, Any], base_dir: Path | None, source: str) -> _ProductRow | _Skip:
    """A row of our own catalog columns as a catalog item; unknown columns go into extra."""
    item_id = _safe_id(row.get("id"))
    if not item_id:
        return _Skip("rows without an id")
    category = normalize_value("category", _text(row.get("category")))
    if category is None:
        return _Skip("rows with no apparel category", _text(row.get("category")) or "(blank)")
    values = {name: normalize_value(name, _text(row.get(name))) for name in ("pattern", "style", "occasion", "material",
                                                                            "sleeve", "length")}
    colors = _colours(row.get("colors", row.get("color")))
    gender = GENDERS.get(_text(row.get("gender")).lower(), "unisex")
    season = SEASONS.get(_text(row.get("season")).lower(), "")
    title = _text(row.get("title")) or category
    extra = {str(k): _text(v) for k, v in row.items() if k not in _OWN_COLUMNS and _text(v)}
    if isinstance(row.get("extra"), dict):
        extra.update({str(k): _text(v) for k, v in row["extra"].items() if _text(v)})
    extra["source"] = source
    garment = Garment(category=category, colors=colors, **values)
    caption = _text(row.get("caption")) or outfit_caption([garment])
    item = CatalogItem(
        id=item_id, title=title, caption=caption, category=category, gender=gender, colors=colors,
        pattern=values["pattern"] or "", season=season, price=_price(row.get("price")), url=_text(row.get("url")),
        image_path="", style=values["style"], occasion=values["occasion"], material=values["material"],
        sleeve=values["sleeve"], length=values["length"], extra=extra,
    )
    image = row.get("image", row.get("image_path"))
    if image is None and base_dir is not None:
        image = f"{IMAGES_DIR}/{item_id}.jpg"
    return _ProductRow(item, image, base_dir, {})


def _product_examples(rows: Iterator[_ProductRow], tally: _Tally) -> Iterator[Example]:
    try:
        for row in rows:
            item = row.item
            try:
                image = _decode_image(row.image, row.base_dir)
            except (ValueError, OSError) as exc:
                tally.skip(_Skip("unreadable images", f"{item.id}: {exc}"))
                continue
            garment = Garment(category=item.category, colors=list(item.colors), pattern=item.pattern or None,
                              material=item.material, style=item.style, occasion=item.occasion, sleeve=item.sleeve,
                              length=item.length)
            yield Example(image=image, prefix=DEFAULT_PROMPT, suffix=garments_to_json([garment]), caption=item.caption,
                          garments=[garment], id=item.id, hierarchy=row.hierarchy)
    finally:
        rows.close()


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
                   max_garments: int, tally: _Tally, where: Path) -> list[Garment]:
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


def _fashionpedia_examples(source: str, split: str, images_dir: str | Path | None, max_garments: int,
                           tally: _Tally) -> Iterator[Example]:
    """Open now: the original annotation file (a .json) or rows in the Hub copy's layout (anything else)."""
    path = Path(source).expanduser()
    if path.suffix.lower() == ".json":
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such Fashionpedia annotation file")
        return _coco_examples(path, _load_coco(path), _image_folders(path, split, images_dir), max_garments, tally)
    return _detection_examples(_open_rows(source, split), max_garments, tally)


def _coco_examples(path: Path, data: dict[str, Any], folders: list[Path], max_garments: int,
                   tally: _Tally) -> Iterator[Example]:
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
            tally.skip(_Skip("images without apparel annotations"))
            continue
        photo = next((folder / entry["file_name"] for folder in folders if (folder / entry["file_name"]).is_file()), None)
        if photo is None:
            raise FileNotFoundError(f"{path}: image {entry['file_name']} is in none of {', '.join(map(str, folders))}; "
                                    "pass images_dir= the folder that holds the photos")
        try:
            image = load_image(photo)
        except ValueError as exc:
            tally.skip(_Skip("unreadable images", f"{photo}: {exc}"))
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


def _detection_examples(rows: _Rows, max_garments: int, tally: _Tally) -> Iterator[Example]:
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
            image_id = _text(row.get("image_id"))
            if not garments:
                tally.skip(_Skip("images without apparel objects"))
                continue
            try:
                image = _decode_image(row["image"], rows.base_dir)
            except (ValueError, OSError) as exc:
                tally.skip(_Skip("unreadable images", f"{image_id}: {exc}"))
                continue
            yield Example(image=image, prefix=DEFAULT_PROMPT, suffix=garments_to_json(garments),
                          caption=outfit_caption(garments), garments=garments, id=f"fashionpedia-{image_id}")
    finally:
        _close(iterator)


# --------------------------------------------------------------------------------------------- JSONL folders
def _jsonl_file(source: str, split: str) -> Path:
    """The JSONL file of a folder: <split>.jsonl, else (for train) data.jsonl, metadata.jsonl or train.jsonl."""
    path = Path(source).expanduser()
    if path.is_file():
        return path
    if not path.is_dir():
        raise FileNotFoundError(f"{source}: no such JSONL file or folder")
    names = [f"{split}.jsonl", f"{split}/metadata.jsonl", f"{split}/data.jsonl"]
    if split == "train":
        names += ["data.jsonl", "metadata.jsonl"]
    for name in names:
        if (path / name).is_file():
            return path / name
    raise FileNotFoundError(f"{path}: no {', '.join(names)} in this folder")


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _jsonl_examples(path: Path) -> Iterator[Example]:
    """Rows {"image", "prefix"?, "suffix"} or {"image", "caption"}; a bad row or a missing photo stops the pass with
    a ValueError naming file and line (a hand-made fine-tuning set is better fixed than silently shrunk)."""
    with path.open(encoding="utf-8") as fp:
        for line_no, line in enumerate(fp, 1):
            if not line.strip():
                continue
            where = f"{path}:{line_no}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{where}: not valid JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise ValueError(f"{where}: expected a JSON object, got {type(row).__name__}")
            reference = row.get("image", row.get("file_name"))  # file_name: the imagefolder metadata.jsonl convention
            if not _is_text(reference):
                raise ValueError(f"{where}: no \"image\" path")
            suffix, caption, prefix = row.get("suffix"), row.get("caption"), row.get("prefix")
            if not _is_text(suffix) and not _is_text(caption):
                raise ValueError(f"{where}: needs a \"suffix\" (with an optional \"prefix\") or a \"caption\"")
            photo = Path(reference).expanduser()
            photo = photo if photo.is_absolute() else path.parent / photo
            if not photo.is_file():
                raise ValueError(f"{where}: image {photo} not found")
            try:
                image = load_image(photo)
            except ValueError as exc:
                raise ValueError(f"{where}: image {photo} is unreadable ({exc})") from None
            garments: list[Garment] = []
            if _is_text(suffix):
                parsed = parse_garments(suffix)
                garments = parsed.garments if parsed.valid_json else []
                caption = caption if _is_text(caption) else (outfit_caption(garments) or suffix)
                prefix = prefix if _is_text(prefix) else DEFAULT_PROMPT
            else:
                suffix = caption
                prefix = prefix if _is_text(prefix) else CAPTION_PROMPT
            yield Example(image=image, prefix=prefix.strip(), suffix=suffix.strip(), caption=caption.strip(),
                          garments=garments, id=_text(row.get("id")) or f"{path.stem}-{line_no}")
