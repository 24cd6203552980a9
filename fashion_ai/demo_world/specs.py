"""What the demo world is made of: its colours, patterns, and per category the nouns, audiences, materials,
styles, occasions, seasons and price range an item draws from."""

from __future__ import annotations

from dataclasses import dataclass

# name -> RGB; chosen to stay apart after downscaling to a small model's input size.
DEMO_COLORS: dict[str, tuple[int, int, int]] = {
    "black": (25, 25, 28), "white": (252, 252, 252), "grey": (128, 128, 132), "navy": (22, 36, 92),
    "blue": (45, 110, 225), "red": (205, 30, 35), "pink": (245, 140, 185), "green": (30, 140, 60),
    "yellow": (245, 210, 40), "orange": (245, 125, 20), "purple": (120, 50, 160), "brown": (110, 65, 30),
    "beige": (215, 190, 150),
}
DEMO_PATTERNS: tuple[str, ...] = ("solid", "striped", "checked", "dotted", "floral", "colour-block")


@dataclass(frozen=True)
class _CategorySpec:
    nouns: tuple[str, ...]
    genders: tuple[str, ...]
    materials: tuple[str, ...]
    styles: tuple[str, ...]
    occasions: tuple[str, ...]
    seasons: tuple[str, ...]
    price: tuple[int, int]
    sleeves: tuple[str, ...] = ()
    lengths: tuple[str, ...] = ()


_ALL_SEASONS = ("spring", "summer", "autumn", "winter")
DEMO_CATEGORIES: dict[str, _CategorySpec] = {
    "top": _CategorySpec(("t-shirt", "tank top", "tee"), ("women", "men", "unisex"), ("cotton", "linen", "knit"),
                         ("casual", "sporty", "minimalist", "streetwear"), ("everyday", "beach", "sport", "travel"),
                         ("spring", "summer"), (12, 45), sleeves=("sleeveless", "short")),
    "shirt": _CategorySpec(("shirt", "blouse", "oxford shirt"), ("women", "men"), ("cotton", "linen", "silk"),
                           ("classic", "business", "preppy", "elegant"), ("work", "everyday", "date night", "formal"),
                           _ALL_SEASONS, (25, 90), sleeves=("short", "long")),
    "sweater": _CategorySpec(("sweater", "jumper", "pullover"), ("women", "men", "unisex"), ("wool", "cashmere", "knit"),
                             ("classic", "casual", "minimalist", "preppy"), ("everyday", "work", "travel"),
                             ("autumn", "winter"), (35, 150), sleeves=("long",)),
    "jacket": _CategorySpec(("jacket", "blazer", "denim jacket"), ("women", "men", "unisex"),
                            ("denim", "leather", "wool", "cotton"), ("classic", "streetwear", "business", "casual"),
                            ("work", "everyday", "date night", "party"), ("spring", "autumn"), (60, 220),
                            sleeves=("long",)),
    "coat": _CategorySpec(("coat", "trench coat", "overcoat"), ("women", "men"), ("wool", "cashmere", "cotton"),
                          ("classic", "elegant", "minimalist", "business"), ("work", "formal", "everyday", "travel"),
                          ("autumn", "winter"), (90, 320), sleeves=("long",)),
    "dress": _CategorySpec(("dress", "sundress", "gown"), ("women",), ("silk", "cotton", "chiffon", "satin", "linen"),
                           ("elegant", "romantic", "bohemian", "classic"),
                           ("wedding", "party", "date night", "beach", "formal"), ("spring", "summer", "autumn"),
                           (40, 260), sleeves=("sleeveless", "short", "long"), lengths=("mini", "knee", "maxi")),
    "skirt": _CategorySpec(("skirt", "a-line skirt", "flared skirt"), ("women",), ("cotton", "denim", "wool", "satin"),
                           ("romantic", "classic", "bohemian", "preppy"), ("everyday", "work", "party", "date night"),
                           _ALL_SEASONS, (25, 120), lengths=("mini", "knee", "maxi")),
    "pants": _CategorySpec(("trousers", "jeans", "chinos"), ("women", "men", "unisex"), ("denim", "cotton", "wool", "linen"),
                           ("classic", "casual", "business", "streetwear"), ("work", "everyday", "travel", "formal"),
                           _ALL_SEASONS, (30, 140)),
    "shorts": _CategorySpec(("shorts", "denim shorts", "bermuda shorts"), ("women", "men", "unisex"),
                            ("denim", "cotton", "linen"), ("casual", "sporty", "streetwear"),
                            ("beach", "sport", "everyday", "travel"), ("summer", "spring"), (15, 60)),
    "shoe": _CategorySpec(("sneakers", "ankle boots", "loafers"), ("women", "men", "unisex"),
                          ("leather", "suede", "canvas", "rubber"), ("sporty", "classic", "streetwear", "casual"),
                          ("everyday", "sport", "work", "party"), _ALL_SEASONS, (45, 220)),
    "bag": _CategorySpec(("handbag", "tote bag", "shoulder bag"), ("women", "unisex"), ("leather", "canvas", "straw", "suede"),
                         ("elegant", "classic", "minimalist", "bohemian"), ("work", "party", "wedding", "beach", "everyday"),
                         _ALL_SEASONS, (35, 400)),
    "hat": _CategorySpec(("hat", "sun hat", "fedora"), ("women", "men", "unisex"), ("straw", "wool", "cotton"),
                         ("bohemian", "classic", "casual"), ("beach", "wedding", "outdoor", "travel"),
                         ("summer", "winter", "spring"), (18, 90)),
    "scarf": _CategorySpec(("scarf", "wrap scarf", "knit scarf"), ("women", "men", "unisex"),
                           ("wool", "cashmere", "silk", "knit"),
                           ("classic", "elegant", "bohemian", "casual"), ("everyday", "travel", "work", "outdoor"),
                           ("autumn", "winter", "spring"), (20, 120)),
}
