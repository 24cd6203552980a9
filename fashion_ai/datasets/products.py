"""Product catalogs onto the schema: the ashraq/fashion-product-images-small (Kaggle "Fashion Product Images")
layout, or rows of our own catalog columns, as products (the garment sold and what the shop says of it) and as
training examples. The catalog importer turns products into catalog items: this module knows no catalog."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fashion_ai.datasets.captions import outfit_caption, with_article
from fashion_ai.datasets.common import IMAGES_DIR, Example, Skip, Tally, cell_text, close_rows, safe_id
from fashion_ai.datasets.rows import decode_image, open_rows
from fashion_ai.models.paligemma.prompts import DEFAULT_PROMPT
from fashion_ai.schema import MATERIALS, Garment, garments_to_json, normalize_value

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


# --------------------------------------------------------------------------------------------- products
@dataclass
class Product:
    """A product row read onto the schema: the garment it sells and what the shop says of it."""

    id: str
    title: str
    caption: str
    garment: Garment
    gender: str  # one of the shop's audiences (GENDERS' values)
    season: str  # "" when the source names none
    price: float | None  # None: the source has no price
    url: str
    extra: dict[str, str]  # the source's own columns, kept as text


@dataclass
class ProductRow:
    product: Product
    image: Any  # the row's image reference, decoded only when needed
    base_dir: Path | None
    hierarchy: dict[str, str]


def product_rows(source: str, split: str, tally: Tally) -> Iterator[ProductRow]:
    """Open the source now; map its rows lazily (products layout or our own catalog columns, told from the rows)."""
    rows = open_rows(source, split)

    def mapped() -> Iterator[ProductRow]:
        layout = None
        iterator = iter(rows.rows)
        try:
            for row in iterator:
                if layout is None:
                    layout = _product_layout(row, source)
                result = (_product_row(row, rows.base_dir, source) if layout == "products"
                          else _own_row(row, rows.base_dir, source))
                if isinstance(result, Skip):
                    tally.skip(result)
                else:
                    yield result
        finally:
            close_rows(iterator)

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
    name = cell_text(value)
    return normalize_value("colors", name) or BASE_COLOURS.get(name.lower())


def _colours(value: Any) -> list[str]:
    raw = value if isinstance(value, (list, tuple)) else re.split(r"[,;|/&]", cell_text(value))
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
    text = with_article(" ".join(words), plural=noun.endswith("s") and not noun.endswith("ss"))
    if material:
        text += f" in {material}"
    if gender in ("women", "men"):
        text += f" for {gender}"
    tail = f"perfect for {occasion}" if occasion else ""
    if season:
        tail = f"{tail} in {season}" if tail else f"for {season}"
    text += f", {tail}." if tail else "."
    return text[0].upper() + text[1:]


def _product_row(row: dict[str, Any], base_dir: Path | None, source: str) -> ProductRow | Skip:
    """A row in the ashraq / Kaggle layout as a catalog item, or why it was skipped."""
    raw_id = cell_text(row.get("id"))
    item_id = safe_id(raw_id)
    if not item_id:
        return Skip("rows without an id")
    article = cell_text(row.get("articleType"))
    if article not in ARTICLE_TYPES:
        return Skip("rows with no apparel category", article or "(blank)")
    category, noun = ARTICLE_TYPES[article]
    hierarchy = {key: cell_text(row.get(key)) for key in ("gender", "masterCategory", "subCategory", "articleType")}
    colour = _colour(row.get("baseColour"))
    colors = [colour] if colour else []
    title = cell_text(row.get("productDisplayName")) or " ".join(w for w in (cell_text(row.get("baseColour")), noun) if w).title()
    pattern = _title_pattern(title)
    material = _title_material(title) or ("denim" if article in _DENIM_TYPES else None)
    occasion, style = USAGES.get(cell_text(row.get("usage")), (None, None))
    season = SEASONS.get(cell_text(row.get("season")).lower(), "")
    gender = GENDERS.get(hierarchy["gender"].lower(), "unisex")
    extra = {key: value for key, value in {**hierarchy, "baseColour": cell_text(row.get("baseColour")),
                                           "usage": cell_text(row.get("usage")), "year": cell_text(row.get("year")),
                                           "source": source}.items() if value}
    garment = Garment(category=category, colors=colors, pattern=pattern, material=material, style=style, occasion=occasion)
    product = Product(id=item_id, title=title,
                      caption=_product_caption(noun, colors, pattern, material, style, occasion, season, gender),
                      garment=garment, gender=gender, season=season, price=None, url="", extra=extra)
    image = row.get("image")
    if image is None:  # Kaggle's styles.csv: the photo is images/<id>.jpg beside it
        image = f"{IMAGES_DIR}/{raw_id}.jpg" if base_dir is not None else None
    return ProductRow(product, image, base_dir, hierarchy)


def _price(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return None if isinstance(value, float) and math.isnan(value) else float(value)
    digits = re.sub(r"[^\d.]", "", cell_text(value))
    try:
        return float(digits) if digits else None
    except ValueError:
        return None


def _own_row(row: dict[str, Any], base_dir: Path | None, source: str) -> ProductRow | Skip:
    """A row of our own catalog columns as a product; unknown columns go into extra."""
    item_id = safe_id(row.get("id"))
    if not item_id:
        return Skip("rows without an id")
    category = normalize_value("category", cell_text(row.get("category")))
    if category is None:
        return Skip("rows with no apparel category", cell_text(row.get("category")) or "(blank)")
    values = {name: normalize_value(name, cell_text(row.get(name))) for name in ("pattern", "style", "occasion", "material",
                                                                            "sleeve", "length")}
    colors = _colours(row.get("colors", row.get("color")))
    gender = GENDERS.get(cell_text(row.get("gender")).lower(), "unisex")
    season = SEASONS.get(cell_text(row.get("season")).lower(), "")
    title = cell_text(row.get("title")) or category
    extra = {str(k): cell_text(v) for k, v in row.items() if k not in _OWN_COLUMNS and cell_text(v)}
    if isinstance(row.get("extra"), dict):
        extra.update({str(k): cell_text(v) for k, v in row["extra"].items() if cell_text(v)})
    extra["source"] = source
    garment = Garment(category=category, colors=colors, **values)
    caption = cell_text(row.get("caption")) or outfit_caption([garment])
    product = Product(id=item_id, title=title, caption=caption, garment=garment, gender=gender, season=season,
                      price=_price(row.get("price")), url=cell_text(row.get("url")), extra=extra)
    image = row.get("image", row.get("image_path"))
    if image is None and base_dir is not None:
        image = f"{IMAGES_DIR}/{item_id}.jpg"
    return ProductRow(product, image, base_dir, {})


def product_examples(rows: Iterator[ProductRow], tally: Tally) -> Iterator[Example]:
    try:
        for row in rows:
            product = row.product
            try:
                image = decode_image(row.image, row.base_dir)
            except (ValueError, OSError) as exc:
                tally.skip(Skip("unreadable images", f"{product.id}: {exc}"))
                continue
            garment = product.garment
            yield Example(image=image, prefix=DEFAULT_PROMPT, suffix=garments_to_json([garment]), caption=product.caption,
                          garments=[garment], id=product.id, hierarchy=row.hierarchy)
    finally:
        rows.close()
