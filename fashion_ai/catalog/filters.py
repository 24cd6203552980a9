"""The shop's filters: which items a search may return, as one typed object (CatalogFilter) that search builds and
the store translates once, to Chroma's ``where`` over the stored metadata or to a test of the facets a record id
carries (the store's fast path and its in-memory mirror).

A filter is a conjunction of rules, each on one facet (a leaf of Chroma's where): a text facet's values allowed or
refused, a group of colours of which an item shows at least one, a colour refused, a price bound. Chroma's meaning is
kept: a price bound never passes an item without a price, a refusal passes an item without the value.

Chroma-style where dicts (``{"category": "dress"}``, ``{"$and": [...]}``, colour flags ``{"color_red": True}``) are
still read at the store's door (CatalogFilter.from_where), for callers that build them.
"""

from __future__ import annotations

import functools
import math
import numbers
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from types import MappingProxyType
from typing import Any

from fashion_ai.catalog.records import TEXT_FACETS, Facets, colour_key
from fashion_ai.schema import normalize_value

_COLOR_FLAG = "color_"
_ANY = frozenset({"", "any", "all", "none"})
_PRICE_BOUNDS = {"$gte": "min_price", "$lte": "max_price", "$lt": "price_below"}
_EMPTY: Mapping[str, tuple[str, ...]] = MappingProxyType({})
Predicate = Callable[[Facets], bool]


def color_flag(color: str) -> str:
    """The where-dict key that selects items having a colour: ``{color_flag("red"): True}``."""
    return _COLOR_FLAG + colour_key(color)


@dataclass(frozen=True)
class Rule:
    """One condition on one facet: ``$in`` / ``$nin`` a text facet's values, ``$contains`` (any of a group of colour
    keys) / ``$not_contains`` (a colour key), or a price bound (``$gte``, ``$lte``, ``$lt``)."""

    facet: str
    op: str
    values: tuple[str, ...] = ()
    bound: float = 0.0

    def test(self) -> Callable[[Any], bool]:
        """Whether a stored value of the facet passes (the one meaning both the store and its mirror run)."""
        op, values, bound = self.op, frozenset(self.values), self.bound
        if op == "$in":
            return values.__contains__
        if op == "$nin":
            return lambda value: value not in values
        if op == "$contains" and len(values) > 1:
            return lambda colours: not values.isdisjoint(colours)
        if op in ("$contains", "$not_contains"):
            (colour,) = values
            return (lambda colours: colour in colours) if op == "$contains" else (lambda colours: colour not in colours)
        compare = {"$gte": operator.ge, "$lte": operator.le, "$lt": operator.lt}[op]
        return lambda price: price is not None and compare(price, bound)

    def where(self, flags: bool) -> dict:
        """The rule as a where term: colours as flags (``{"color_red": True}``, the shop's own form) or as Chroma
        reads the stored metadata (``{"colors": {"$contains": "red"}}``)."""
        if self.op == "$in":
            return {self.facet: self.values[0]} if len(self.values) == 1 else {self.facet: {"$in": list(self.values)}}
        if self.op == "$nin":
            return {self.facet: {"$nin": list(self.values)}}
        if self.op in ("$contains", "$not_contains"):
            terms = [({_COLOR_FLAG + c: True if self.op == "$contains" else {"$ne": True}} if flags
                      else {"colors": {self.op: c}}) for c in self.values]
            return terms[0] if len(terms) == 1 else {"$or": terms}
        return {"price": {self.op: self.bound}}

    def on_facets(self) -> Predicate:
        """The rule as a test of a record's facets."""
        get = attrgetter(self.facet)
        if self.op == "$in":  # the commonest rule, without the call to its test (test()'s meaning, inlined)
            values = frozenset(self.values)
            return lambda facets: get(facets) in values
        test = self.test()
        return lambda facets: test(get(facets))


def _frozen(sets: Mapping[str, Iterable[str]] | None, keep_empty: bool) -> Mapping[str, tuple[str, ...]]:
    frozen = {}
    for name, values in (sets or {}).items():
        if name not in TEXT_FACETS:
            raise ValueError(f"the catalog store filters by {', '.join(TEXT_FACETS)}, colours and price, not {name!r}")
        frozen[name] = tuple(dict.fromkeys(values))
    return MappingProxyType({name: values for name, values in frozen.items() if values or keep_empty})


def _colours(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(colour_key(c) for c in values))


def _price(value: Any, key: str) -> float | None:
    if value is None:
        return None
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise ValueError(f"{key} is a number, not {value!r}")
    return float(value)


def _tighter(a: float | None, b: float | None, pick: Callable[[float, float], float]) -> float | None:
    return b if a is None else a if b is None else pick(a, b)


@dataclass(frozen=True)
class CatalogFilter:
    """Which catalog items a search may return; the empty filter lets every item through (and is falsy).

    ``only``: text facet -> the values an item may have (one of them); ``refused``: text facet -> values it must not
    have; ``colours``: groups of colours, the item showing at least one of each group; ``refused_colours``: colours
    it must not show; ``min_price`` / ``max_price`` (inclusive) and ``price_below`` (exclusive): bounds an item
    without a price never passes. Values keep the order given (they are read out in it); colours are colour keys.
    """

    only: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: _EMPTY)
    refused: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: _EMPTY)
    colours: tuple[tuple[str, ...], ...] = ()
    refused_colours: tuple[str, ...] = ()
    min_price: float | None = None
    max_price: float | None = None
    price_below: float | None = None

    def __post_init__(self) -> None:
        set_ = functools.partial(object.__setattr__, self)
        set_("only", _frozen(self.only, keep_empty=True))  # no value allowed: nothing passes
        set_("refused", _frozen(self.refused, keep_empty=False))
        set_("colours", tuple(dict.fromkeys(_colours(group) for group in self.colours)))
        set_("refused_colours", _colours(self.refused_colours))
        for name in ("min_price", "max_price", "price_below"):
            set_(name, _price(getattr(self, name), name))

    def __hash__(self) -> int:
        return hash((frozenset(self.only.items()), frozenset(self.refused.items()), self.colours,
                     self.refused_colours, self.min_price, self.max_price, self.price_below))

    def __bool__(self) -> bool:
        return bool(self.rules())

    def __and__(self, other: CatalogFilter) -> CatalogFilter:
        """Items passing both."""
        only = dict(self.only)
        for name, values in other.only.items():
            only[name] = tuple(v for v in only[name] if v in values) if name in only else values
        refused = dict(self.refused)
        for name, values in other.refused.items():
            refused[name] = refused.get(name, ()) + values
        return CatalogFilter(only, refused, self.colours + other.colours, self.refused_colours + other.refused_colours,
                             _tighter(self.min_price, other.min_price, max),
                             _tighter(self.max_price, other.max_price, min),
                             _tighter(self.price_below, other.price_below, min))

    # ----------------------------------------------------------------------------------------- building
    @classmethod
    def pinned(cls, gender: str | None = None, category: str | None = None, color: str | None = None,
               max_price: float | None = None) -> CatalogFilter:
        """The facets a shopper pins (the search tab's boxes). Empty, None and "any" values are ignored; so is a
        max_price that is not a positive number. Women's and men's searches include unisex items. Category and
        colour accept shopper words ("sneakers", "gray")."""
        only: dict[str, tuple[str, ...]] = {}
        if isinstance(gender, str) and _is_set(gender):
            wanted = gender.strip().lower()
            only["gender"] = (wanted, "unisex") if wanted in ("women", "men") else (wanted,)
        if isinstance(category, str) and _is_set(category):
            text = category.strip().lower()
            only["category"] = (normalize_value("category", text) or text,)
        colours: tuple[tuple[str, ...], ...] = ()
        if isinstance(color, str) and _is_set(color):
            text = color.strip().lower()
            colours = ((normalize_value("colors", text) or text,),)
        limit = None
        if max_price is not None and not isinstance(max_price, str) and math.isfinite(max_price) and max_price > 0:
            limit = float(max_price)
        return cls(only=only, colours=colours, max_price=limit)

    @classmethod
    def any_of(cls, name: str, values: Iterable[str]) -> CatalogFilter:
        """Items with any of a field's values (a colour as main colour or accent)."""
        return cls(colours=(tuple(values),)) if name == "colors" else cls(only={name: tuple(values)})

    @classmethod
    def none_of(cls, name: str, values: Iterable[str]) -> CatalogFilter:
        """Items with none of a field's values (no colour of them at all)."""
        return cls(refused_colours=tuple(values)) if name == "colors" else cls(refused={name: tuple(values)})

    @classmethod
    def from_where(cls, where: dict) -> CatalogFilter:
        """The filter a Chroma-style where dict says (``$and``; ``$or`` of colours; colour flags); ValueError for a
        malformed clause, a key the store does not filter by, or a shape it does not take."""
        if not isinstance(where, dict) or len(where) != 1:
            raise ValueError(f"a where clause has exactly one key or operator, not {where!r}")
        (key, value), = where.items()
        if key in ("$and", "$or"):
            if not isinstance(value, list) or not value:
                raise ValueError(f"{key} needs a non-empty list of clauses, not {value!r}")
            parts = [cls.from_where(part) for part in value]
            if key == "$and":
                return functools.reduce(operator.and_, parts)
            if not all(len(part.colours) == 1 and part == cls(colours=part.colours) for part in parts):
                raise ValueError(f"the catalog store takes $or over colours only (any of them), not {where!r}")
            return cls(colours=(tuple(c for part in parts for c in part.colours[0]),))
        return _term(key, value)

    # ----------------------------------------------------------------------------------------- reading
    def rules(self) -> list[Rule]:
        """The conditions, one per where term; category ones first (the cheapest for the store's mirror)."""
        return sorted(self._rules(), key=lambda rule: rule.facet != "category")

    def _rules(self) -> list[Rule]:
        """The conditions in the order they were given: facets allowed, refused, colours, prices."""
        rules = [Rule(name, "$in", values) for name, values in self.only.items()]
        rules += [Rule(name, "$nin", values) for name, values in self.refused.items()]
        rules += [Rule("colors", "$contains", group) for group in self.colours]
        rules += [Rule("colors", "$not_contains", (c,)) for c in self.refused_colours]
        rules += [Rule("price", op, bound=bound) for op, name in _PRICE_BOUNDS.items()
                  if (bound := getattr(self, name)) is not None]
        return rules

    def leaves(self) -> list[Rule]:
        """The rules as Chroma's filter looks them up, one SQLite look-up each (a colour group: one per colour)."""
        leaves: list[Rule] = []
        for rule in self.rules():
            if rule.op == "$contains":
                leaves.extend(Rule("colors", "$contains", (c,)) for c in rule.values)
            else:
                leaves.append(rule)
        return leaves

    @property
    def matches_nothing(self) -> bool:
        """True when no item can pass (values allowed that exclude each other): no store is asked."""
        return any(not values for values in self.only.values()) or any(not group for group in self.colours)

    def predicate(self) -> Predicate:
        """A test of a record's facets: the store's fast path, thousands of records per filtered query."""
        tests = [rule.on_facets() for rule in self.rules()]
        if not tests:
            return lambda facets: True
        return functools.reduce(lambda a, b: lambda f: a(f) and b(f), tests)

    def where(self) -> dict | None:
        """The filter as a where dict with colour flags (what build_where returns); None for the empty filter."""
        return _joined([rule.where(flags=True) for rule in self._rules()])

    def chroma_where(self) -> dict | None:
        """The filter as Chroma's where over the stored metadata (records with facet keys)."""
        return _joined([rule.where(flags=False) for rule in self._rules()])


def _joined(terms: list[dict]) -> dict | None:
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else {"$and": terms}


def _is_set(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and value.strip().lower() in _ANY)


def _term(key: str, condition: Any) -> CatalogFilter:
    """One where term as a filter (see CatalogFilter.from_where)."""
    if isinstance(condition, dict):
        if len(condition) != 1:
            raise ValueError(f"a filter on {key!r} needs exactly one operator, not {condition!r}")
        (op, wanted), = condition.items()
    else:
        op, wanted = "$eq", condition
    if key == "colors":
        if op not in ("$contains", "$not_contains") or not isinstance(wanted, str):
            raise ValueError(f"colours are filtered with $contains or $not_contains and a colour, not {condition!r}")
        return CatalogFilter.any_of("colors", [wanted]) if op == "$contains" else CatalogFilter.none_of("colors", [wanted])
    if key.startswith(_COLOR_FLAG):
        if wanted is not True or op not in ("$eq", "$ne"):
            raise ValueError(f"colour flags are filtered with True, not {condition!r}")
        flag = [key[len(_COLOR_FLAG):]]
        return CatalogFilter.any_of("colors", flag) if op == "$eq" else CatalogFilter.none_of("colors", flag)
    if key == "price":
        if op not in _PRICE_BOUNDS:
            raise ValueError(f"price is filtered with {', '.join(_PRICE_BOUNDS)} and a number, not {condition!r}")
        return CatalogFilter(**{_PRICE_BOUNDS[op]: wanted})
    if key not in TEXT_FACETS:
        raise ValueError(f"the catalog store filters by {', '.join(TEXT_FACETS)}, colours and price, not {key!r}")
    if op in ("$in", "$nin"):
        if not isinstance(wanted, list) or not wanted:
            raise ValueError(f"{op} needs a non-empty list, not {wanted!r}")
        values = [w for w in wanted if isinstance(w, str)]  # a value of another kind matches no stored text
    elif op in ("$eq", "$ne"):
        values = [wanted] if isinstance(wanted, str) else []
    else:
        raise ValueError(f"unknown filter operator {op!r}" if op not in ("$gt", "$gte", "$lt", "$lte") else
                         f"{key} is filtered with $eq, $ne, $in or $nin, not {op}")
    return CatalogFilter.any_of(key, values) if op in ("$in", "$eq") else CatalogFilter.none_of(key, values)


def as_filter(where: CatalogFilter | dict | None) -> CatalogFilter | None:
    """The store's door: a filter, or a where dict read into one; None when it lets every item through."""
    if where is None:
        return None
    found = where if isinstance(where, CatalogFilter) else CatalogFilter.from_where(where)
    return found if found else None


# --------------------------------------------------------------------------------------------- where dicts
# Kept for callers that build where dicts (retrieval/outfits.py); new code builds a CatalogFilter.
def build_where(gender: str | None = None, category: str | None = None, color: str | None = None,
                max_price: float | None = None) -> dict | None:
    """CatalogFilter.pinned(...) as a where dict, or None when nothing is set."""
    return CatalogFilter.pinned(gender, category, color, max_price).where()


def combine_where(*clauses: CatalogFilter | dict | None) -> CatalogFilter | dict | None:
    """AND together filters: a CatalogFilter when any of them is one; where dicts otherwise, flattening nested $and
    (Chroma wants two or more terms in an $and)."""
    if any(isinstance(clause, CatalogFilter) for clause in clauses):
        return functools.reduce(operator.and_, (as_filter(clause) or CatalogFilter() for clause in clauses))
    terms: list[dict] = []
    for clause in clauses:
        if not clause:
            continue
        terms.extend(clause["$and"] if set(clause) == {"$and"} else [clause])
    return _joined(terms)
