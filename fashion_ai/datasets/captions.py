"""Shopper captions from garments, in the demo catalog's voice: "A floral mini dress with long sleeves, worn
with a bag and shoes."
"""

from __future__ import annotations

from fashion_ai.schema import Garment

_PLURAL_NOUNS = {"shoe": "shoes", "sock": "socks", "glove": "gloves", "leg warmer": "leg warmers"}
_LENGTH_WORDS = {"hip": "hip-length", "knee": "knee-length", "floor": "floor-length", "ankle": "ankle-length"}
_NECKLINE_AS_IS = frozenset({"v-neck", "turtleneck", "collared", "off-the-shoulder", "one-shoulder", "halter"})


def with_article(phrase: str, plural: bool = False) -> str:
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
    return with_article(phrase, plural=noun.endswith("s") and not noun.endswith("ss"))


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
