"""Reading a shopper's words into a ShopperQuery.

In order: prices and audience (regular language), negation scopes, then every phrase of the lexicon (the schema's
values, shoppers' synonyms, plurals, and the colour-survey names), longest first, each wanted or refused by the
scope it falls in. Words left over go to the text model: a word whose embedding is nearest to one schema value of a
field, above a threshold and clearly ahead of that field's runner-up, reads as that value ("gown" -> dress,
"snow" -> winter). Generic shopping words ("outfit", "something", "nice") never do.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np

from fashion_ai.language.intents import IntentClassifier
from fashion_ai.language.spelling import Speller
from fashion_ai.retrieval.kinds import is_kind, live_kinds
from fashion_ai.retrieval.query import ShopperQuery, negation_scopes, normalise, read_gender, read_price, spell_numbers
from fashion_ai.schema import SEARCH_FIELDS, colour_names, shopper_vocabulary

if TYPE_CHECKING:
    from fashion_ai.models.text import TextEmbedder

logger = logging.getLogger(__name__)

# A leftover word reads as a schema value when its similarity to it (each in its field's phrase) reaches
# NEAR_THRESHOLD and beats the field's next value by NEAR_MARGIN. Chosen on a word list (tests/retrieval), not on
# the search development set.
NEAR_THRESHOLD = 0.78
NEAR_MARGIN = 0.08
# A leftover word as close as this to the word "clothing" names a kind of garment the schema lacks ("bikini",
# "lingerie", "pajamas"): the reader says the catalog has none instead of silently searching by meaning. Chosen on
# a word list (tests/retrieval: garments the schema lacks against occasion, mood and fit words), like the above.
UNSOLD_THRESHOLD = 0.45
IDIOM_FIELDS = ("occasion",)
# Recent phrases' vectors kept (1.5 MB at 384-d): a message's clauses and words are embedded in one batch, then read.
PHRASE_CACHE = 1024
UNSOLD_PROBE = "clothing"
NEAR_TEMPLATES = {"category": "a {} (clothing)", "colors": "the colour {}", "pattern": "a {} pattern",
                  "material": "made of {}", "occasion": "clothes for {}", "style": "{} style", "season": "clothes for {}"}
# Words that name no attribute however close they sit to one in the text model's space.
GENERIC_WORDS = frozenset("""
a an the and or but if so to of in on at by for from with without into onto over under up down out off about as
is are was were be been being am do does did have has had can could would should will shall may might must
i me my mine we us our you your he him his she her it its they them their this that these those there here
what which who whom whose when where why how all any some each every both either neither other another such
one ones thing things something anything everything nothing item items piece pieces outfit outfits look looks
clothes clothing wear wearing worn wardrobe style styles fashion fashionable garment garments
nice pretty beautiful lovely cute good great best better perfect new old nicest favourite favorite cool fun
want wants wanted need needs needed looking find show give get buy shop shopping please thanks like love
match matching pair pairs set go goes going day days time event events occasion occasions season weather
really very too also just only more less most least same similar kind sort type sorts kinds bit little lot
size sizes fit fits small large big long short tall
""".split())


def _pattern(word: str) -> re.Pattern:
    # A hyphen binds: "black-tie" is no colour, "t-shirt" no shirt.
    return re.compile(r"(?<![a-z0-9-])" + re.escape(word) + r"(?![a-z0-9]|-[a-z])")


def _overlaps(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in spans)


class QueryReader:
    """Reads shoppers' words; the text model (optional) maps words the lexicon lacks."""

    def __init__(self, text_model: TextEmbedder | None = None):
        self.text_model = text_model
        # What each clause of a chat message asks (language.intents): by example, over the same text model.
        self.intents = IntentClassifier(text_model) if text_model is not None else None
        words = shopper_vocabulary()
        for word, colour in colour_names().items():
            words["colors"].setdefault(word, colour)
        self.vocabulary = words  # field -> {word or phrase: value}: what this reader reads (and its speller corrects to)
        # Per field, longest phrase first, so "navy blue" wins over "navy" and "t-shirt" over "shirt"; fields
        # read independently, so "knit scarf" is a scarf and knit.
        self._compiled = {name: [(_pattern(word), value) for word, value in sorted(table.items(), key=lambda kv: -len(kv[0]))]
                          for name, table in words.items()}
        self._near_index: dict[str, np.ndarray] | None = None
        self._speller: Speller | None = None
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()

    def read(self, text: str) -> ShopperQuery:
        """The structured wish of a shopper's words."""
        lowered, fixed = self.spell(spell_numbers(normalise(text)))
        query = ShopperQuery(text=text)
        for typo, meant in fixed.items():
            query.near[typo] = f"spelling:{meant}"
        said = read_price(lowered, query) + read_gender(lowered, query)
        scopes = negation_scopes(lowered)
        hits: list[tuple[int, str, str, bool, str]] = []  # (position, field, value, refused, the words said)
        spans: list[tuple[int, int]] = []
        idioms: list[tuple[int, int]] = []  # event and look phrases: their words say nothing of a garment
        covered = list(said)
        for name, patterns in self._compiled.items():
            taken = list(said)
            for pattern, value in patterns:
                for match in pattern.finditer(lowered):
                    if _overlaps(match.span(), taken):
                        continue
                    taken.append(match.span())
                    hits.append((match.start(), name, value, _overlaps(match.span(), scopes), match.group(0)))
                    spans.append(match.span())
                    if name in IDIOM_FIELDS and " " in match.group(0).strip(" -"):
                        idioms.append(match.span())
            covered += taken
        # "black tie" is a dress code, not a black tie: an event's phrase swallows the words inside it.
        keep = [not any(s <= a and b <= e and (e - s) > (b - a) for s, e in idioms) for a, b in spans]
        hits = [hit for hit, kept in zip(hits, keep, strict=True) if kept]
        if self.text_model is not None:
            # The shopper's own words win: the text model only fills the fields they left unsaid ("a loose dress"
            # is a dress, not tights).
            named = {hit[1] for hit in hits}
            hits += self._near_words(lowered, covered, scopes, query, named)
        # "shoes or boots": a category also named plainly is wanted whole, whatever kinds of it were said.
        plain = {value for _, name, value, refused, said in hits
                 if name == "category" and not refused and not (said and is_kind(said, value))}
        for _, name, value, refused, said in sorted(hits):
            if name == "category" and said and is_kind(said, value) and not (value in plain and not refused):
                # "boots, not sneakers": a refused kind leaves those items out, not the whole category.
                kinds = query.refused_kinds if refused else query.kinds
                if said not in kinds:
                    kinds.append(said)
                if refused:
                    continue
            target = query.refused if refused else query.wanted
            if value not in target.setdefault(name, []):
                target[name].append(value)
        self._reconcile(query)
        return query

    def spell(self, lowered: str) -> tuple[str, dict[str, str]]:
        """Lower-case words with each misspelt schema word read as the word meant (language.spelling), and the
        words so read; as it is without a text model, whose vocabulary tells a real word from a typo."""
        if self._speller is None:
            known = self.text_model.known_words() if hasattr(self.text_model, "known_words") else []
            if not known:
                return lowered, {}
            self._speller = Speller(known, self.vocabulary)
        return self._speller.correct(lowered)

    def embed(self, texts: list[str]) -> np.ndarray:
        """The text model's vectors of ``texts``: recent ones from a small cache, the others embedded in one batch."""
        # The cached vectors are taken while the lock is held: a full cache (or another thread) may evict them before
        # this batch is done (a long chat once lost a phrase that way: KeyError).
        with self._cache_lock:
            found = {t: self._cache[t] for t in texts if t in self._cache}
            for t in found:
                self._cache.move_to_end(t)  # recently used: kept longest
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            found.update(zip(missing, self.text_model.embed(missing), strict=True))
            with self._cache_lock:
                self._cache.update((t, found[t]) for t in missing)
                while len(self._cache) > PHRASE_CACHE:
                    self._cache.popitem(last=False)
        vectors = [found[t] for t in texts]
        return np.stack(vectors) if vectors else np.zeros((0, self.text_model.dim), dtype=np.float32)

    def near_phrases(self, text: str) -> list[str]:
        """The phrases reading ``text`` may embed (each word no lexicon phrase covers, alone and in every field's
        phrase), for a caller to embed in one batch with its own texts before reading."""
        if self.text_model is None:
            return []
        lowered = self.spell(spell_numbers(normalise(text)))[0]
        probe = ShopperQuery(text=text)
        covered = read_price(lowered, probe) + read_gender(lowered, probe)
        covered += [m.span() for patterns in self._compiled.values() for pattern, _ in patterns
                    for m in pattern.finditer(lowered)]
        return [phrase for m in _leftover(lowered, covered) for phrase in _phrases(m.group(0), list(NEAR_TEMPLATES))]

    def _near_words(self, text: str, taken: list[tuple[int, int]], scopes: list[tuple[int, int]],
                    query: ShopperQuery, named: set[str]) -> list[tuple[int, str, str, bool, str]]:
        words = _leftover(text, taken)
        if not words:
            return []
        index = self._index()
        names = [name for name in NEAR_TEMPLATES if name not in named]
        # One batch for every leftover word: itself, and in every open field's phrase.
        vectors = self.embed([phrase for m in words for phrase in _phrases(m.group(0), names)])
        found = []
        for w, match in enumerate(words):
            row = w * (len(names) + 1)
            best: tuple[float, str, str] | None = None
            for f, name in enumerate(names):
                scores = index[name] @ vectors[row + 1 + f]
                order = np.argsort(-scores)
                top, runner = float(scores[order[0]]), float(scores[order[1]])
                if top >= NEAR_THRESHOLD and top - runner >= NEAR_MARGIN and (best is None or top > best[0]):
                    best = (top, name, SEARCH_FIELDS[name][order[0]])
            if best is not None:
                query.near[match.group(0)] = f"{best[1]}:{best[2]}"
                found.append((match.start(), best[1], best[2], _overlaps(match.span(), scopes), ""))
            elif ("category" not in named and not _overlaps(match.span(), scopes)
                  and float(index[UNSOLD_PROBE][0] @ vectors[row]) >= UNSOLD_THRESHOLD):
                query.unsold.append(match.group(0))
        return found

    def prepare(self) -> None:
        """Embed the schema's values now (the first query would otherwise pay for it)."""
        if self.text_model is not None:
            self._index()
            self.intents.prepare()

    def _index(self) -> dict[str, np.ndarray]:
        if self._near_index is None:
            self._near_index = {name: self.text_model.embed([NEAR_TEMPLATES[name].format(v) for v in values])
                                for name, values in SEARCH_FIELDS.items()}
            self._near_index[UNSOLD_PROBE] = self.text_model.embed([UNSOLD_PROBE])
        return self._near_index

    @staticmethod
    def _reconcile(query: ShopperQuery) -> None:
        """A value both wanted and refused is refused; several colours wanted read as either of them; a kind
        ("boots") only narrows a category still wanted."""
        for name, refused in query.refused.items():
            kept = [v for v in query.wanted.get(name, []) if v not in refused]
            if name in query.wanted:
                if kept:
                    query.wanted[name] = kept
                else:
                    del query.wanted[name]
        query.kinds[:] = live_kinds(query.kinds, query.wanted.get("category", []))


_LEXICON_READER: QueryReader | None = None


def lexicon_reader() -> QueryReader:
    """A reader without a text model (lexicon and colour names only), built once: its tables never change."""
    global _LEXICON_READER
    if _LEXICON_READER is None:
        _LEXICON_READER = QueryReader()
    return _LEXICON_READER


_NEGATIVE = re.compile(r"^(?:not|no|without|non|never|except|excluding|avoid|minus|nothing)$")


def _leftover(text: str, taken: list[tuple[int, int]]) -> list[re.Match]:
    """The words of ``text`` outside ``taken`` that may name a value (not generic, not a negation)."""
    return [m for m in re.finditer(r"[a-z][a-z'-]{2,}", text)
            if m.group(0) not in GENERIC_WORDS and not _overlaps(m.span(), taken) and not _NEGATIVE.match(m.group(0))]


def _phrases(word: str, names: list[str]) -> list[str]:
    """The word itself, then in each field's phrase (the order _near_words reads the vectors in)."""
    return [word] + [NEAR_TEMPLATES[name].format(word) for name in names]
