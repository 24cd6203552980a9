"""What a shopper wants so far in a conversation: a structured wish, plain data (it goes to JSON and back, so a
session survives a restart of the worker when stored), edited turn by turn and shown as chips the shopper can
remove one by one.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from fashion_ai.conversation.state import (
    ITEMS,
    MAX_LIKED,
    MAX_NAME_CHARS,
    MAX_PIECES,
    MAX_REASON_CHARS,
    MAX_SHOWN,
    MAX_TITLE_CHARS,
    MAX_UNSOLD,
    MAX_WORDS_CHARS,
    OUTFIT,
    WISH_FIELDS,
    dropped_note,
    read_state,
    state_data,
)
from fashion_ai.retrieval.kinds import category_of, live_kinds
from fashion_ai.retrieval.outfits import GROUP_NOUNS
from fashion_ai.retrieval.query import FIELD_WORDS, ShopperQuery, garment_phrase
from fashion_ai.retrieval.rules import LEVELS, dress_code
from fashion_ai.retrieval.steer import Steer
from fashion_ai.schema import Garment

logger = logging.getLogger(__name__)

__all__ = ["ITEMS", "OUTFIT", "SINGLE", "WISH_FIELDS", "Shown", "Wish"]

SINGLE = ("occasion", "season")  # a new one replaces the old: one event at a time


@dataclass
class Shown:
    """A pick as the shopper saw it, so "number 2", "the red one" and "the bag" can be resolved next turn."""

    id: str
    title: str
    category: str
    colors: list[str]
    price: float | None
    slot: str | None = None
    reason: str = ""


@dataclass
class Wish:
    """Everything the shopper asked for so far; every field is JSON-ready."""

    mode: str = OUTFIT
    wanted: dict[str, list[str]] = field(default_factory=dict)  # schema field -> values, in the order said
    refused: dict[str, list[str]] = field(default_factory=dict)
    kinds: list[str] = field(default_factory=list)  # nouns narrowing the category asked ("boots"): retrieval.kinds
    refused_kinds: list[str] = field(default_factory=list)  # "not sneakers": those items, not the category
    max_price: float | None = None  # per item
    min_price: float | None = None  # per item: "pricier" than a list shown
    total_budget: float | None = None  # the whole outfit
    price_preference: str | None = None  # "low": cheaper first
    gender: str | None = None
    levels: list[int] | None = None  # the dress-code range after "more casual" / "more formal"
    slot_caps: dict[str, float] = field(default_factory=dict)  # "cheaper" / "pricier": outfit slot -> price to beat
    garment: dict[str, Any] | None = None  # the shopper's own garment, read from a photo
    liked: dict[str, str] = field(default_factory=dict)  # item id -> its outfit slot
    rejected: list[str] = field(default_factory=list)  # item ids: never again, and less like them
    swapped: list[str] = field(default_factory=list)  # item ids swapped out: never again
    skipped: list[str] = field(default_factory=list)  # outfit slots the shopper does not want ("remove the hat")
    titles: dict[str, str] = field(default_factory=dict)  # item id -> title, for the chips
    words: str = ""  # words nothing else understood, searched by meaning
    unsold: list[str] = field(default_factory=list)  # garment words the catalog has no kind for
    shown: list[Shown] = field(default_factory=list)
    turns: int = 0
    previous: dict[str, Any] | None = None  # the wish before the last turn that changed it (conversation.undo)

    # ------------------------------------------------------------------------------------------- plain data
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Wish:
        """A wish from its plain form; unknown keys are ignored, parts that do not fit the state's schema
        (conversation.state) dropped and logged (ValueError if not a dict)."""
        if not isinstance(data, dict):
            raise ValueError("a conversation state is a JSON object")
        return cls._validated(data)[0]

    @classmethod
    def from_json(cls, text: str | dict | None) -> Wish:
        """A wish from a state string (or dict); an empty one for none. ValueError for a state we did not write."""
        return cls.from_state(text)[0]

    @classmethod
    def from_state(cls, state: str | dict | None) -> tuple[Wish, list[str]]:
        """A wish from the state a client sent back (JSON text or object), with a sentence for the reply when parts
        of it could not be read and were left out. ValueError for a state too large, not JSON or not an object."""
        if state is None or state == "" or state == {}:
            return cls(), []
        wish, dropped = cls._validated(state_data(state))
        return wish, [dropped_note(dropped)] if dropped else []

    @classmethod
    def _validated(cls, data: dict[str, Any]) -> tuple[Wish, list[str]]:
        state, dropped = read_state(data)
        values = {f.name: getattr(state, f.name) for f in fields(cls)}
        for name in ("wanted", "refused", "garment"):  # in the order the client wrote them, as we did
            if isinstance(values[name], dict) and isinstance(data.get(name), dict):
                values[name] = {k: values[name][k] for k in data[name] if k in values[name]}
        for name in ("wanted", "refused"):  # a field with no values says nothing (and no store filter takes none)
            values[name] = {k: v for k, v in values[name].items() if v}
        values["shown"] = [Shown(**s.model_dump()) for s in state.shown]
        values["previous"] = state.previous.model_dump() if state.previous is not None else None
        return cls(**values), dropped

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    def fit_caps(self) -> None:
        """Keep what a long conversation grows within the state's caps (conversation.state), so every state we
        write reads back whole: the latest pieces set aside, swapped out and liked, names only of the pieces a chip
        or a pointer still needs, and catalog text cut to its cap."""
        self.rejected, self.swapped = self.rejected[-MAX_PIECES:], self.swapped[-MAX_PIECES:]
        self.liked = dict(list(self.liked.items())[-MAX_LIKED:])
        self.shown = self.shown[:MAX_SHOWN]
        for shown in self.shown:
            shown.title, shown.reason = shown.title[:MAX_TITLE_CHARS], shown.reason[:MAX_REASON_CHARS]
            shown.category, shown.colors = shown.category[:MAX_NAME_CHARS], [c[:MAX_NAME_CHARS] for c in shown.colors]
        needed = set(self.liked) | set(self.rejected) | {shown.id for shown in self.shown}
        self.titles = {i: title[:MAX_TITLE_CHARS] for i, title in self.titles.items() if i in needed}
        self.unsold = [word for word in self.unsold if len(word) <= MAX_NAME_CHARS][:MAX_UNSOLD]
        self.words = self.words[:MAX_WORDS_CHARS]

    # ------------------------------------------------------------------------------------------- reading it
    def is_empty(self) -> bool:
        """Nothing asked yet (a fresh conversation, or after "start over")."""
        return not (self.wanted or self.refused or self.refused_kinds or self.garment or self.words or self.liked or self.gender
                    or self.max_price is not None or self.min_price is not None or self.total_budget is not None
                    or self.unsold)

    @property
    def occasion(self) -> str | None:
        return (self.wanted.get("occasion") or [None])[0]

    def dress_levels(self) -> tuple[int, int] | None:
        """The dress-code range the picks must meet: the shopper's own, else the occasion's."""
        return dress_code(self.occasion, tuple(self.levels) if self.levels else None)

    def own_garment(self) -> Garment | None:
        return Garment(**self.garment) if self.garment else None

    def query(self) -> ShopperQuery:
        """The wish as a search query (hard and soft constraints as the search reads them)."""
        return ShopperQuery(text=self.describe(), wanted={k: list(v) for k, v in self.wanted.items()},
                            refused={k: list(v) for k, v in self.refused.items()}, kinds=self.live_kinds(),
                            refused_kinds=list(self.refused_kinds), max_price=self.max_price, min_price=self.min_price,
                            total_budget=self.total_budget, price_preference=self.price_preference, gender=self.gender)

    def live_kinds(self) -> list[str]:
        """The kinds that still narrow a category asked for ("boots" then "no shoes": none)."""
        return live_kinds(self.kinds, self.wanted.get("category", []))

    def steer(self, pinned: dict[str, str] | None = None) -> Steer:
        """The wish's examples and limits for the planner; liked pieces stay in their slot."""
        previous = {s.slot: s.id for s in self.shown if s.slot}
        return Steer(liked=list(self.liked), rejected=list(self.rejected),
                     excluded=set(self.rejected) | set(self.swapped) | (set(self.liked) if self.mode == ITEMS else set()),
                     pinned={**({slot: i for i, slot in self.liked.items() if slot} if self.mode == OUTFIT else {}),
                             **(pinned or {})},
                     levels=tuple(self.levels) if self.levels else None, slot_caps=dict(self.slot_caps),
                     pricier=self.price_preference == "high",
                     skipped=set(self.skipped),
                     previous={slot: i for slot, i in previous.items() if slot in self.slot_caps})

    def describe(self) -> str:
        """The wish in a few words for the models: "casual blue dress for wedding in summer"."""
        words = []
        if self.levels:
            words.append(LEVELS[self.levels[0]])
        words += self.wanted.get("style", [])[:1] + self.wanted.get("colors", [])[:2]
        words += self.wanted.get("pattern", [])[:1] + self.wanted.get("material", [])[:1]
        if self.mode == ITEMS:
            kinds = self.live_kinds()
            words.append(" or ".join([k for c in self.wanted.get("category", [])
                                      for k in ([k for k in kinds if category_of(k) == c] or [c])]) or "clothes")
        elif self.garment:
            words.append(f"outfit to wear with a {garment_phrase(self.own_garment())}")
        else:
            words.append(" or ".join(self.wanted.get("category", [])) or "outfit")
        if self.occasion:
            words += ["for", self.occasion]
        if self.wanted.get("season"):
            words += ["in", self.wanted["season"][0]]
        if self.words:
            words.append(self.words)
        return " ".join(words)

    # ------------------------------------------------------------------------------------------- chips
    def chips(self) -> list[tuple[str, str]]:
        """Every part of the wish as (key, label), in the order a shopper reads them; remove() takes the keys."""
        out: list[tuple[str, str]] = []
        if self.garment:
            out.append(("garment", f"your {garment_phrase(self.own_garment())}"))
        for name in WISH_FIELDS:
            for value in self.wanted.get(name, []):
                label = value if name in ("category", "occasion", "season") else f"{FIELD_WORDS[name]} {value}"
                out.append((f"wanted:{name}:{value}", label))
            if name == "category":
                out += [(f"kind:{kind}", kind) for kind in self.live_kinds()]
        for name in WISH_FIELDS:
            for value in self.refused.get(name, []):
                out.append((f"refused:{name}:{value}", f"no {value}"))
        out += [(f"refused_kind:{kind}", f"no {kind}") for kind in self.refused_kinds]
        if self.levels:
            low, high = self.levels
            out.append(("levels", f"dress code {LEVELS[low]}" + (f" to {LEVELS[high]}" if high != low else "")))
        if self.max_price is not None:
            out.append(("max_price", f"under ${self.max_price:,.0f} each"))
        if self.min_price is not None:
            out.append(("min_price", f"over ${self.min_price:,.0f} each"))
        if self.total_budget is not None:
            out.append(("total_budget", f"${self.total_budget:,.0f} in all"))
        if self.slot_caps:
            out.append(("slot_caps", f"{'pricier' if self.price_preference == 'high' else 'cheaper'} than the last picks"))
        if self.price_preference:
            out.append(("price_preference", "cheaper first" if self.price_preference == "low" else "pricier first"))
        if self.gender:
            out.append(("gender", f"for {self.gender}"))
        out += [(f"liked:{i}", f"♥ {self.titles.get(i, i)}") for i in self.liked]
        out += [(f"rejected:{i}", f"✕ {self.titles.get(i, i)}") for i in self.rejected]
        if self.swapped:
            out.append(("swapped", f"{len(self.swapped)} swapped out"))
        out += [(f"skipped:{slot}", f"no {GROUP_NOUNS.get(slot, slot)}") for slot in self.skipped]
        if self.words:
            out.append(("words", f"“{self.words}”"))
        return out

    def remove(self, keys: list[str] | set[str]) -> list[str]:
        """Take these parts out of the wish; returns the labels removed."""
        labels = dict(self.chips())
        removed = []
        for key in keys:
            if key not in labels:
                continue
            removed.append(labels[key])
            kind, _, rest = key.partition(":")
            if kind in ("wanted", "refused"):
                name, _, value = rest.partition(":")
                table = getattr(self, kind)
                table[name] = [v for v in table.get(name, []) if v != value]
                if not table[name]:
                    del table[name]
                if kind == "wanted" and name == "category" and not self.wanted.get("category"):
                    self.mode, self.kinds = OUTFIT, []
            elif kind == "kind":
                self.kinds = [k for k in self.kinds if k != rest]
            elif kind == "refused_kind":
                self.refused_kinds = [k for k in self.refused_kinds if k != rest]
            elif kind == "liked":
                self.liked.pop(rest, None)
            elif kind == "rejected":
                self.rejected = [i for i in self.rejected if i != rest]
            elif kind in ("levels", "max_price", "min_price", "total_budget", "price_preference", "gender", "garment"):
                setattr(self, kind, None)
            elif kind == "slot_caps":
                self.slot_caps = {}
            elif kind == "swapped":
                self.swapped = []
            elif kind == "skipped":
                self.skipped = [slot for slot in self.skipped if slot != rest]
            elif kind == "words":
                self.words = ""
        return removed

    def keep_only(self, keys: list[str] | set[str]) -> list[str]:
        """Remove every part whose key is not in keys (the chips the shopper left ticked)."""
        return self.remove([key for key, _ in self.chips() if key not in set(keys)])


@dataclass
class Edit:
    """What one message did to the wish, for the reply."""

    said: list[str] = field(default_factory=list)  # the changes, in a shopper's words
    problems: list[str] = field(default_factory=list)  # what could not be done, and what can instead
    restarted: bool = False
    undone: bool = False  # the wish went one step back ("undo that")
    verdict: str | None = None  # the occasion to check the shopper's outfit against ("" for the wish's own)
    pinned: dict[str, str] = field(default_factory=dict)  # this turn only: slots kept while one is swapped
    unsold: list[str] = field(default_factory=list)
    understood_anything: bool = False
    zero_budget: bool = False
