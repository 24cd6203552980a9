"""A shopper's words as a structured wish: text cleaned (or refused with a plain message), then what it asks for and
refuses per schema field, its price and audience, and one line saying what was understood.

The reading itself (lexicon, colour names, negation scopes, prices, the text model for near words) is
``fashion_ai.retrieval.reading``; this module holds the result and the small regular-language parts.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from fashion_ai.errors import BadQueryError, TextTooLongError
from fashion_ai.schema import Garment

# Raw text beyond max(4 x the cap, 20,000 characters) is refused before cleaning: cleaning costs about 0.3 s per
# million characters of the search queue; 20,000 (about 6 ms) lets a page pasted by mistake be measured exactly.
RAW_FACTOR = 4
RAW_PAGE_CHARS = 20_000
FIELD_WORDS = {"colors": "colour", "pattern": "pattern", "material": "material", "style": "style",
               "occasion": "for", "season": "season", "category": "category"}

_NUMBER = r"(?:[$€£]\s*)?(\d{1,6}(?:[.,]\d{1,2})?)\s*(?:k\b)?\s*(?:[$€£]|dollars?|bucks|usd|euros?|eur|pounds?|gbp)?"
_MAX = re.compile(r"(?:\b(?:under|below|less than|cheaper than|max(?:imum)?|at most|up to|no more than|not more than|"
                  r"within|for less than|sub-?)|<=?|≤)\s*" + _NUMBER)
# "nothing over 50", "can't go over 200", "not above 80": a cap, not a floor.
_NOT_OVER = re.compile(r"\b(?:nothing|not|no|never|can'?t|cannot|won'?t|shouldn'?t|mustn'?t|don'?t)\s+(?:[a-z']+\s+){0,2}?"
                       r"(?:over|above|more than|past|beyond|exceed(?:ing)?)\s*" + _NUMBER)
# "40 max", "$60 tops", "65 a pop", "90 or less": the cap after the number.
_MAX_AFTER = re.compile(r"(?<![\d.,])" + _NUMBER + r"\s*(?:max(?:imum)?|tops|at most|or less|or under|limit|a pop|"
                        r"apiece|each max)\b")
_MIN = re.compile(r"\b(?:over|above|more than|at least|starting at|from|>=?)\s*" + _NUMBER)
_RANGE = re.compile(r"\b(?:between|from)?\s*" + _NUMBER + r"\s*(?:and|to|-|–)\s*" + _NUMBER)
_BARE = re.compile(r"(?:[$€£]\s*(\d{1,6}(?:[.,]\d{1,2})?)|\b(\d{1,6}(?:[.,]\d{1,2})?)\s*(?:dollars?|bucks|usd|euros?|"
                   r"eur|pounds?|gbp)\b)")
_TOTAL = re.compile(r"\b(?:in all|in total|total|altogether|all in|for everything|(?:for )?(?:the )?whole (?:outfit|look|thing)|"
                    r"for the (?:outfit|look|lot)|(?:the )?full (?:outfit|look)|(?:the )?entire (?:outfit|look)|overall)\b")
_CHEAP = re.compile(r"\b(?:cheap|cheaper|cheapest|affordable|inexpensive|budget|low[- ]cost|bargain|on a budget)\b")
_PRICEY = re.compile(r"\b(?:expensive|luxury|luxurious|premium|high[- ]end|designer|splurge)\b")
_MEN = re.compile(r"\b(?:men'?s|mens|for (?:a )?(?:man|men|him|guys?|boyfriend|husband|dad|father|brother|son)|"
                  r"male|gentlemen'?s?|guys'?)\b")
_WOMEN = re.compile(r"\b(?:women'?s|womens|ladies'?|lady'?s|for (?:a )?(?:woman|women|her|girlfriend|wife|mum|mom|"
                    r"mother|sister|daughter)|female|womans)\b")
_UNISEX = re.compile(r"\bunisex\b")
NEGATION = re.compile(r"\b(?:not|no|without|non|never|except|excluding|anything but|but not|avoid|minus|nothing|rather than|"
                      r"instead of|sin|sans|ohne|kein|keine|senza)\b|n't\b")
# Words that end a negation's reach ("not black, for a wedding"); "or" keeps it going ("not black or white").
_SCOPE_END = re.compile(r"[,.;!?]|\b(?:and|but|for|with|in|to|that|which|under|over|below|above|like)\b")
_SCOPE_WORDS = 4
# Markup a client could render from echoed words: tags, Markdown links and images, angle brackets, script URLs.
_TAG = re.compile(r"<[^<>]*>")
_LINK = re.compile(r"!?\[([^\[\]]*)\]\((?:[^()]|\([^()]*\))*\)")
_UNSAFE = re.compile(r"[<>]|\]\s*\(|\b(?:javascript|vbscript|data)\s*:", re.IGNORECASE)


def raw_limit(max_chars: int) -> int:
    """The longest raw text worth cleaning for a cap of ``max_chars``: room for the whitespace and invisible
    characters cleaning removes, and for a page pasted by mistake to be measured exactly."""
    return max(RAW_FACTOR * max_chars, RAW_PAGE_CHARS)


def clean_text(text: str | None, max_chars: int | None = None, what: str = "query") -> str:
    """Text with control and invisible characters removed and whitespace collapsed (may be empty).

    With ``max_chars``: TextTooLongError for a longer text, refused unread when even its raw length is beyond
    reason (cleaning walks every character), so a megabyte costs nothing. BadQueryError for something not text."""
    if text is None:
        return ""
    if not isinstance(text, str):
        raise BadQueryError(f"The {what} must be text.")
    if max_chars is not None and len(text) > raw_limit(max_chars):
        raise TextTooLongError(what, len(text), max_chars)
    chars = []
    for ch in unicodedata.normalize("NFKC", text):
        kind = unicodedata.category(ch)
        if kind == "Cc" or kind in ("Zl", "Zp"):
            chars.append(" ")  # newlines and tabs separate words
        elif not kind.startswith("C"):  # drop format, surrogate, private-use and unassigned characters
            chars.append(ch)
    cleaned = " ".join("".join(chars).split())
    if max_chars is not None and len(cleaned) > max_chars:
        raise TextTooLongError(what, len(cleaned), max_chars)
    return cleaned


def clean_query(text: str | None, max_chars: int) -> str:
    """The query ready to embed; BadQueryError with a plain message when it is empty or too long."""
    cleaned = clean_text(text, max_chars)
    if not cleaned:
        raise BadQueryError('Type what you are looking for, for example "a red dress for a summer wedding".')
    return cleaned


def plain(text: str) -> str:
    """Shopper words made safe to echo in any client, as HTML or Markdown: HTML tags go, a Markdown link or image
    keeps its text only, and no angle bracket, link syntax or script URL is left. Whitespace is left as it is."""
    text = _TAG.sub(" ", _LINK.sub(r" \1 ", text))
    while not is_plain(text):  # a removal can join what is left ("]<(" -> "] (")
        text = _UNSAFE.sub(" ", text)
    return text


def plain_words(text: str) -> str:
    """plain() with whitespace collapsed: words to echo in a sentence."""
    return " ".join(plain(text).split())


def is_plain(text: str) -> bool:
    """Whether text holds nothing plain() removes."""
    return not _UNSAFE.search(text)


def normalise(text: str) -> str:
    """Lower case, one kind of apostrophe, underscores as spaces: the form every pattern here reads."""
    return clean_text(text).lower().replace("_", " ").replace("’", "'").replace("‘", "'")


@dataclass
class ShopperQuery:
    """What a shopper's words ask for: values wanted and refused per field, price, audience, and notes."""

    text: str
    wanted: dict[str, list[str]] = field(default_factory=dict)  # field -> values, in the order said
    refused: dict[str, list[str]] = field(default_factory=dict)
    # Nouns narrower than a category still wanted ("boots"; retrieval.kinds): the reader and the wish drop the rest.
    kinds: list[str] = field(default_factory=list)
    refused_kinds: list[str] = field(default_factory=list)  # "not sneakers": those items left out, not every shoe
    max_price: float | None = None
    min_price: float | None = None
    total_budget: float | None = None  # "under $200 in all": for a whole outfit
    price_preference: str | None = None  # "low" (cheap) or "high" (luxury)
    gender: str | None = None
    near: dict[str, str] = field(default_factory=dict)  # shopper word -> "field:value" read by the text model
    unsold: list[str] = field(default_factory=list)  # garment words no schema category covers ("bikini")
    notes: list[str] = field(default_factory=list)
    category_is_soft: bool = False  # a photo's unsure category: preferred in the ranking, not required

    def first(self, name: str) -> str | None:
        values = self.wanted.get(name)
        return values[0] if values else None

    def understood(self) -> str:
        """One plain line: "dress · colour red · colour not black · under $80 · for women"."""
        parts = []
        if self.wanted.get("category"):
            parts.append(" or ".join(self.wanted["category"]) + (f" ({' or '.join(self.kinds)})" if self.kinds else ""))
        for name in ("colors", "pattern", "material", "style", "occasion", "season"):
            values = self.wanted.get(name)
            if values:
                parts.append(f"{FIELD_WORDS[name]} {' or '.join(values)}")
        for name, values in self.refused.items():
            label = "not" if name == "category" else f"{FIELD_WORDS[name]} not"
            parts.append(f"{label} {' or '.join(values)}")
        if self.refused_kinds:
            parts.append(f"not {' or '.join(self.refused_kinds)}")
        if self.min_price is not None and self.max_price is not None:
            parts.append(f"${self.min_price:,.0f}-${self.max_price:,.0f}")
        elif self.max_price is not None:
            parts.append(f"under ${self.max_price:,.0f}")
        elif self.min_price is not None:
            parts.append(f"over ${self.min_price:,.0f}")
        if self.total_budget is not None:
            parts.append(f"${self.total_budget:,.0f} in all")
        if self.price_preference:
            parts.append("cheaper first" if self.price_preference == "low" else "pricier first")
        if self.gender:
            parts.append(f"for {self.gender}")
        words = [f"{word} = {meaning.split(':', 1)[1]}" for word, meaning in self.near.items()]
        if words:
            parts.append("read as " + ", ".join(words))
        parts.extend(f"no {word} in this catalog" for word in self.unsold)
        parts.extend(self.notes)
        return " · ".join(parts) if parts else "nothing the catalog's attributes name; searching by meaning"


def _amount(text: str) -> float:
    return float(text.replace(",", "."))


_UNITS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                                       "fourteen fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if i > 1}
_NUMBER_WORDS = re.compile(r"\b(?:(?:a|one|two|three|four|five|six|seven|eight|nine)\s+hundred(?:\s+(?:and\s+)?"
                           r"(?:" + "|".join(_TENS) + r")(?:[\s-]+(?:" + "|".join(list(_UNITS)[1:10]) + r"))?)?|"
                           r"(?:" + "|".join(_TENS) + r")(?:[\s-]+(?:" + "|".join(list(_UNITS)[1:10]) + r"))?|"
                           r"hundred)\b")


def _spelt(match: re.Match) -> str:
    words = re.findall(r"[a-z]+", match.group(0))
    total, value = 0, 0
    for word in words:
        if word in ("a", "and"):
            value = value or (1 if word == "a" else 0)
        elif word == "hundred":
            total, value = total + max(value, 1) * 100, 0
        else:
            value += _TENS.get(word, _UNITS.get(word, 0))
    return str(total + value)


def spell_numbers(text: str) -> str:
    """Numbers written in words as digits: "fifty" -> "50", "two hundred" -> "200" (prices shoppers spell out)."""
    return _NUMBER_WORDS.sub(_spelt, text)


def read_price(text: str, query: ShopperQuery) -> list[tuple[int, int]]:
    """Fill the query's price fields from the (normalised) text; returns the spans that said them."""
    spans: list[tuple[int, int]] = []
    text = spell_numbers(text) if _NUMBER_WORDS.search(text) else text
    total = _TOTAL.search(text)
    for match in _RANGE.finditer(text):
        if match.group(0).strip()[:1].isdigit() or match.group(0).strip().startswith(("between", "from", "$", "€", "£")):
            low, high = sorted((_amount(match.group(1)), _amount(match.group(2))))
            query.min_price, query.max_price = low, high
            spans.append(match.span())
            break
    if query.max_price is None:
        for pattern in (_NOT_OVER, _MAX, _MAX_AFTER):
            for match in pattern.finditer(text):
                if not any(s <= match.start() < e for s, e in spans):
                    query.max_price = _amount(match.group(1))
                    spans.append(match.span())
    if query.min_price is None:
        for match in _MIN.finditer(text):
            if any(s <= match.start() < e for s, e in spans):
                continue
            query.min_price = _amount(match.group(1))
            spans.append(match.span())
    if query.max_price is None and query.min_price is None:
        bare = _BARE.search(text)  # "a $60 dress": at most that
        if bare:
            query.max_price = _amount(bare.group(1) or bare.group(2))
            spans.append(bare.span())
    if total and query.max_price is not None:
        query.total_budget, query.max_price = query.max_price, None
        spans.append(total.span())
    for pattern, preference in ((_CHEAP, "low"), (_PRICEY, "high")):
        match = pattern.search(text)
        if match:
            query.price_preference = query.price_preference or preference
            spans.append(match.span())
    return spans


def read_gender(text: str, query: ShopperQuery) -> list[tuple[int, int]]:
    """Fill the query's audience ("men's", "for her", "unisex"); returns the spans that said it."""
    found = [(m.span(), gender) for pattern, gender in ((_MEN, "men"), (_WOMEN, "women"), (_UNISEX, "unisex"))
             for m in pattern.finditer(text)]
    genders = {gender for _, gender in found}
    if len(genders) == 1:
        query.gender = genders.pop()
    elif len(genders) > 1:
        query.notes.append("for anyone (both men and women named)")
    return [span for span, _ in found]


def negation_scopes(text: str) -> list[tuple[int, int]]:
    """The spans a negation reaches: from its cue to the next comma, conjunction or a few words on."""
    scopes = []
    for cue in NEGATION.finditer(text):
        start = cue.end()
        end_match = _SCOPE_END.search(text, start + 1)
        end = end_match.start() if end_match else len(text)
        words = list(re.finditer(r"\S+", text[start:end]))
        if len(words) > _SCOPE_WORDS:
            end = start + words[_SCOPE_WORDS - 1].end()
        scopes.append((cue.start(), end))
    return scopes


def garment_query(garment: Garment) -> ShopperQuery:
    """A garment (read from a photo, or edited by the shopper) as the wish to find items like it."""
    values = garment.to_dict()
    wanted = {name: (list(value) if isinstance(value, list) else [value]) for name, value in values.items()
              if name in FIELD_WORDS}
    return ShopperQuery(text=garment_phrase(garment), wanted=wanted)


def garment_phrase(garment: Garment) -> str:
    """A garment in a few words for the models: "red floral silk dress"."""
    words = [garment.colors[0] if garment.colors else "", garment.pattern if garment.pattern != "solid" else "",
             garment.material or "", garment.category]
    return " ".join(w for w in words if w)


def edited(base: ShopperQuery, words: ShopperQuery) -> ShopperQuery:
    """The base wish (a photo's garment) changed by the shopper's words: what the words name replaces the base's
    value of that field ("like this but in blue"), what they refuse is dropped, their price and audience hold."""
    wanted = {name: list(values) for name, values in base.wanted.items()}
    wanted.update({name: list(values) for name, values in words.wanted.items()})
    for name, values in words.refused.items():
        kept = [v for v in wanted.get(name, []) if v not in values]
        if kept:
            wanted[name] = kept
        else:
            wanted.pop(name, None)
    kinds = list(words.kinds) if words.wanted.get("category") else list(base.kinds)
    return ShopperQuery(text=words.text or base.text, wanted=wanted, refused=dict(words.refused), kinds=kinds,
                        refused_kinds=list(words.refused_kinds), max_price=words.max_price, min_price=words.min_price,
                        total_budget=words.total_budget, price_preference=words.price_preference, gender=words.gender,
                        near=dict(words.near), notes=list(words.notes))
