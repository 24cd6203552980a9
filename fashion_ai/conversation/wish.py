"""What a shopper wants so far in a conversation: a structured wish, plain data (it goes to JSON and back, so a
session survives a restart of the worker when stored), edited turn by turn and shown as chips the shopper can
remove one by one.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, fields
from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

from fashion_ai.retrieval.kinds import category_of, live_kinds
from fashion_ai.retrieval.outfits import GROUP_NOUNS
from fashion_ai.retrieval.query import FIELD_WORDS, ShopperQuery, garment_phrase
from fashion_ai.retrieval.rules import LEVELS, dress_code
from fashion_ai.retrieval.steer import Steer
from fashion_ai.schema import Garment

logger = logging.getLogger(__name__)

OUTFIT, ITEMS = "outfit", "items"  # one piece per slot, or several items of the kinds asked
WISH_FIELDS = ("category", "colors", "pattern", "material", "style", "occasion", "season")
SINGLE = ("occasion", "season")  # a new one replaces the old: one event at a time
MAX_STATE_CHARS = 200_000  # a state larger than this was not written by us


def _lenient(name: str, value: Any) -> Any:
    """A state's wanted, refused and kinds as plain strings (entries of unknown fields dropped); others as they are."""
    if name in ("wanted", "refused") and isinstance(value, dict):
        return {k: [str(v) for v in vs] for k, vs in value.items() if k in WISH_FIELDS and isinstance(vs, list)}
    if name in ("kinds", "refused_kinds"):
        return [str(v) for v in value] if isinstance(value, list) else []
    return value


def _fits(value: Any, hint: Any) -> bool:
    """Whether a JSON value is of a field's type (unions, lists and dicts checked through; a bool is no number)."""
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, UnionType):
        return any(_fits(value, arg) for arg in args)
    if hint is Any:
        return True
    if hint is type(None) or value is None:
        return value is None and hint is type(None)
    if isinstance(value, bool):
        return hint is bool
    if hint is float:
        return isinstance(value, (int, float))
    if origin is list:
        return isinstance(value, list) and all(_fits(v, args[0]) for v in value)
    if origin is dict:
        return isinstance(value, dict) and all(_fits(k, args[0]) and _fits(v, args[1]) for k, v in value.items())
    return isinstance(value, hint)


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
    total_budget: float | None = None  # the whole outfit
    price_preference: str | None = None  # "low": cheaper first
    gender: str | None = None
    levels: list[int] | None = None  # the dress-code range after "more casual" / "more formal"
    slot_caps: dict[str, float] = field(default_factory=dict)  # "cheaper": outfit slot -> price to beat
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

    # ------------------------------------------------------------------------------------------- plain data
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Wish:
        """A wish from its plain form; unknown keys are ignored, malformed parts dropped (ValueError if not a dict):
        a part whose JSON is not of its field's type keeps the field's default."""
        if not isinstance(data, dict):
            raise ValueError("a conversation state is a JSON object")
        wish = cls()
        for f in fields(cls):
            if f.name in data and f.name != "shown":
                value = _lenient(f.name, data[f.name])
                if _fits(value, _FIELD_TYPES[f.name]):
                    setattr(wish, f.name, value)
        wish.shown = [Shown(**s) for s in data.get("shown", []) if isinstance(s, dict)]
        if wish.mode not in (OUTFIT, ITEMS):
            wish.mode = OUTFIT
        if wish.levels is not None and not (len(wish.levels) == 2 and all(level in LEVELS for level in wish.levels)):
            wish.levels = None
        if wish.garment is not None:
            try:
                Garment(**wish.garment)
            except (TypeError, ValueError):
                wish.garment = None
        return wish

    @classmethod
    def from_json(cls, text: str | dict | None) -> Wish:
        """A wish from a state string (or dict); an empty one for none. ValueError for a state we did not write."""
        if text is None or text == "" or text == {}:
            return cls()
        if isinstance(text, dict):
            return cls.from_dict(text)
        if len(text) > MAX_STATE_CHARS:
            raise ValueError("the conversation state is too large")
        try:
            return cls.from_dict(json.loads(text))
        except (json.JSONDecodeError, TypeError) as exc:
            raise ValueError(f"the conversation state is not valid JSON ({exc})") from exc

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    # ------------------------------------------------------------------------------------------- reading it
    def is_empty(self) -> bool:
        """Nothing asked yet (a fresh conversation, or after "start over")."""
        return not (self.wanted or self.refused or self.refused_kinds or self.garment or self.words or self.liked or self.gender
                    or self.max_price is not None or self.total_budget is not None or self.unsold)

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
                            refused_kinds=list(self.refused_kinds), max_price=self.max_price,
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
        if self.total_budget is not None:
            out.append(("total_budget", f"${self.total_budget:,.0f} in all"))
        if self.slot_caps:
            out.append(("slot_caps", "cheaper than the last picks"))
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
            elif kind in ("levels", "max_price", "total_budget", "price_preference", "gender", "garment"):
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


_FIELD_TYPES = get_type_hints(Wish)  # what from_dict checks a state's parts against
