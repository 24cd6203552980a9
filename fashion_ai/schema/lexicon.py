"""Shoppers' words for the schema's values, in one place: what taggers and shoppers say, and what we store.

``SYNONYMS`` is what the parser accepts from a model or a dataset in place of a canonical value; ``SHOPPER_WORDS``
adds the looser words shoppers type into a search box ("trainers", "boho", "office"). ``shopper_vocabulary``
joins both with the schema's own values into the table that query reading matches against.
"""

from __future__ import annotations

from functools import lru_cache

from fashion_ai.schema.values import CATEGORIES, COLORS, MATERIALS, OCCASIONS, PATTERNS, SEASONS, STYLES

# Words shoppers and other taggers use for our canonical values (accepted in model output too).
SYNONYMS: dict[str, dict[str, str]] = {
    "category": {
        "t-shirt": "top", "tshirt": "top", "tee": "top", "sweatshirt": "top", "blouse": "shirt",
        "jumper": "sweater", "pullover": "sweater", "trousers": "pants", "jeans": "pants", "sneakers": "shoe",
        "sneaker": "shoe", "boots": "shoe", "boot": "shoe", "shoes": "shoe", "sandals": "shoe", "heels": "shoe",
        "handbag": "bag", "wallet": "bag", "purse": "bag", "cap": "hat", "beanie": "hat", "tights": "tights",
        "stockings": "tights", "socks": "sock", "gloves": "glove", "sunglasses": "glasses", "overcoat": "coat",
        "blazer": "jacket", "gown": "dress",
    },
    "colors": {"gray": "grey", "cream": "beige", "ivory": "white", "tan": "beige", "maroon": "red",
               "burgundy": "red", "olive": "khaki", "violet": "purple", "teal": "green"},
    "pattern": {"plain": "solid", "stripes": "striped", "stripe": "striped", "plaid": "checked",
                "check": "checked", "polka dot": "dotted", "dots": "dotted", "flowers": "floral",
                "colour block": "colour-block", "color-block": "colour-block", "color block": "colour-block",
                "leopard": "animal", "camo": "camouflage"},
    "sleeve": {"short sleeve": "short", "long sleeve": "long", "3/4": "three-quarter"},
}

# Shopper words beyond the schema's own values and SYNONYMS: search reads them, the parser does not.
SHOPPER_WORDS: dict[str, dict[str, str]] = {
    "category": {"tank top": "top", "tank": "top", "hoodie": "top", "trainers": "shoe", "loafers": "shoe",
                 "pumps": "shoe", "flats": "shoe", "chinos": "pants", "slacks": "pants", "trench": "coat",
                 "parka": "coat", "tote": "bag", "clutch": "bag", "backpack": "bag", "fedora": "hat",
                 "beanie": "hat", "scarves": "scarf", "sundress": "dress", "oxford shirt": "shirt",
                 "denim jacket": "jacket", "trench coat": "coat", "a-line skirt": "skirt", "flared skirt": "skirt",
                 "denim shorts": "shorts", "bermuda shorts": "shorts", "ankle boots": "shoe", "tote bag": "bag",
                 "shoulder bag": "bag", "sun hat": "hat", "wrap scarf": "scarf", "knit scarf": "scarf",
                 # nouns of real product catalogs (the ashraq / Kaggle article types, Fashionpedia's labels)
                 "sweatshirt": "top", "tunic": "top", "kurta": "top", "kurti": "top", "camisole": "top", "polo": "shirt",
                 "polo shirt": "shirt", "shrug": "cardigan", "waistcoat": "vest", "gilet": "vest", "romper": "jumpsuit",
                 "playsuit": "jumpsuit", "overalls": "jumpsuit", "jeggings": "pants", "leggings": "pants",
                 "track pants": "pants", "joggers": "pants", "capris": "pants", "culottes": "pants", "flip flops": "shoe",
                 "flip-flops": "shoe", "stilettos": "shoe", "mules": "shoe", "espadrilles": "shoe",
                 "oxfords": "shoe", "brogues": "shoe", "slippers": "shoe", "wedges": "shoe", "footwear": "shoe",
                 "rucksack": "bag", "satchel": "bag", "duffel": "bag", "crossbody": "bag", "shopper": "bag",
                 "stole": "scarf", "muffler": "scarf", "shawl": "scarf", "bandana": "scarf", "beret": "hat",
                 "bucket hat": "hat", "trilby": "hat", "mittens": "glove", "shades": "glasses", "spectacles": "glasses",
                 "peacoat": "coat", "raincoat": "coat", "puffer": "jacket", "anorak": "jacket",
                 "windbreaker": "jacket", "bomber": "jacket", "suit jacket": "jacket", "gown": "dress", "frock": "dress",
                 "maxi dress": "dress", "cocktail dress": "dress", "skort": "skirt"},
    "colors": {"golden": "gold", "navy blue": "navy", "off white": "white", "off-white": "white", "royal blue": "blue",
               "nude": "beige", "camel": "beige", "charcoal": "grey", "burgundy": "red", "wine": "red"},
    "pattern": {"polka dots": "dotted", "polka-dot": "dotted", "spotted": "dotted", "checkered": "checked",
                "gingham": "checked", "tartan": "checked", "flowery": "floral", "floral print": "floral",
                "stripy": "striped", "pinstripe": "striped"},
    "material": {"woollen": "wool", "woolen": "wool", "knitted": "knit", "jean": "denim"},
    "style": {"boho": "bohemian", "minimal": "minimalist", "street": "streetwear", "athletic": "sporty",
              "chic": "elegant", "smart": "business"},
    "occasion": {"office": "work", "interview": "work", "meeting": "work", "date": "date night", "dinner": "date night",
                 "night out": "party", "parties": "party", "weddings": "wedding", "wedding guest": "wedding",
                 "gala": "formal", "black tie": "formal", "black-tie": "formal", "cocktail": "party", "prom": "party",
                 "gym": "sport", "workout": "sport", "running": "sport", "sports": "sport",
                 "hiking": "outdoor", "camping": "outdoor", "holiday": "travel", "vacation": "travel",
                 "trip": "travel", "daily": "everyday", "every day": "everyday", "weekend": "everyday",
                 "pool": "beach", "white tie": "formal", "funeral": "formal", "opera": "formal",
                 "graduation": "party", "birthday": "party", "brunch": "everyday", "errands": "everyday",
                 "seaside": "beach", "yoga": "sport", "pilates": "sport", "jogging": "sport", "a run": "sport",
                 "law firm": "work", "client meeting": "work", "presentation": "work", "boardroom": "work",
                 "conference": "work", "fancy restaurant": "formal", "fancy dinner": "formal"},
    # Months read as the northern hemisphere's seasons (a shop elsewhere edits this table); not "may", a verb too.
    "season": {"fall": "autumn", "summery": "summer", "wintry": "winter", "springtime": "spring", "hot": "summer",
               "heatwave": "summer", "heat": "summer", "freezing": "winter", "snowy": "winter", "snow": "winter",
               "ski": "winter", "skiing": "winter", "chalet": "winter",
               "june": "summer", "july": "summer", "august": "summer", "december": "winter", "january": "winter",
               "february": "winter", "march": "spring", "april": "spring", "september": "autumn",
               "october": "autumn", "november": "autumn"},
}

# Emoji shoppers type for things the schema names, spelt as the word the reader reads (the chat spells them out
# before reading; an emoji with no word here stays unread). Hearts of a colour are that colour; money is price talk.
EMOJI_WORDS: dict[str, str] = {
    "👟": "sneakers", "👠": "heels", "👡": "sandals", "👢": "boots", "👞": "shoes", "🥿": "flats", "🎩": "hat",
    "👒": "sun hat", "🧢": "cap", "👗": "dress", "👚": "blouse", "👕": "t-shirt", "👔": "shirt", "👖": "jeans",
    "🩳": "shorts", "🧥": "coat", "🧣": "scarf", "🧤": "gloves", "🧦": "socks", "👜": "handbag", "👛": "purse",
    "🎒": "backpack", "🕶": "sunglasses", "👙": "bikini", "🩱": "swimsuit",
    "❤": "red", "🩷": "pink", "🧡": "orange", "💛": "yellow", "💚": "green", "💙": "blue", "🩵": "light blue",
    "💜": "purple", "🤎": "brown", "🖤": "black", "🤍": "white", "🩶": "grey",
    "🌸": "floral", "🌺": "floral", "☀": "summer", "🏖": "beach", "❄": "winter", "🎉": "party", "💍": "wedding",
    "💸": "expensive", "💰": "expensive", "👎": "no", "🚫": "no", "❌": "no",
}

# The fields a shopper's words are read for, with the values each may take.
SEARCH_FIELDS: dict[str, tuple[str, ...]] = {"category": CATEGORIES, "colors": COLORS, "pattern": PATTERNS,
                                              "material": MATERIALS, "style": STYLES, "occasion": OCCASIONS,
                                              "season": SEASONS}


@lru_cache(maxsize=1)
def _inflect():
    import inflect

    return inflect.engine()


@lru_cache(maxsize=4096)
def plural(noun: str) -> str:
    """The plural shoppers type for a noun ("dress" -> "dresses", "scarf" -> "scarves"), by inflect; nouns that are
    plural already ("jeans", "shorts", "leggings") stay."""
    engine = _inflect()
    if engine.singular_noun(noun):
        return noun
    return engine.plural_noun(noun)


@lru_cache(maxsize=8192)
def singular(noun: str) -> str:
    """The singular of a plural noun ("boots" -> "boot", "scarves" -> "scarf"), by inflect; a singular stays."""
    if len(noun) < 3:
        return noun
    return _inflect().singular_noun(noun) or noun


def shopper_vocabulary() -> dict[str, dict[str, str]]:
    """field -> {shopper word or phrase: canonical value}: the schema's values, category plurals, SYNONYMS and
    SHOPPER_WORDS. "solid" is left out: in a query it reads as an adjective ("solid shoes") more than a pattern."""
    words: dict[str, dict[str, str]] = {name: {v: v for v in values} for name, values in SEARCH_FIELDS.items()}
    for table in (SYNONYMS, SHOPPER_WORDS):
        for name, mapping in table.items():
            if name in words:
                for word, value in mapping.items():
                    words[name].setdefault(word, value)
    for noun, category in list(words["category"].items()):  # "dresses", "hoodies", "tank tops"
        words["category"].setdefault(plural(noun), category)
    words["pattern"].pop("solid", None)
    return words
