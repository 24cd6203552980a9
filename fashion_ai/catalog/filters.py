"""The shop's filters: Chroma-style ``where`` clauses over the facets (category, gender, colours, pattern, price,
material, style, occasion, season).

The same clause runs in two places with the same meaning: in Python over the facets a record id carries (the
store's fast path, `compile_where`), and in Chroma over the stored metadata (`chroma_where`). Colours are
filtered as flags, ``{"color_red": True}``: an item has every one of its colours.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable
from operator import attrgetter
from typing import Any

from fashion_ai.catalog.records import Facets, colour_key
from fashion_ai.schema import normalize_value

_COLOR_FLAG = "color_"
_ANY = frozenset({"", "any", "all", "none"})
_STRING_FACETS = ("category", "gender", "pattern", "material", "style", "occasion", "season")
_COMPARISONS = {"$gt": lambda a, b: a > b, "$gte": lambda a, b: a >= b, "$lt": lambda a, b: a < b,
                "$lte": lambda a, b: a <= b}
Predicate = Callable[[Facets], bool]


def color_flag(color: str) -> str:
    """The filter key that selects items having a colour: ``{color_flag("red"): True}``."""
    return _COLOR_FLAG + colour_key(color)


def _is_set(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and value.strip().lower() in _ANY)


def build_where(gender: str | None = None, category: str | None = None, color: str | None = None,
                max_price: float | None = None) -> dict | None:
    """A where filter for the shop's facets, or None when nothing is set.

    Empty, None and "any" values are ignored; so is a max_price that is not a positive number. Women's and men's
    searches include unisex items. Category and colour accept shopper words ("sneakers", "gray").
    """
    clauses: list[dict] = []
    if _is_set(gender):
        wanted = gender.strip().lower()
        clauses.append({"gender": {"$in": [wanted, "unisex"]}} if wanted in ("women", "men") else {"gender": wanted})
    if _is_set(category):
        text = category.strip().lower()
        clauses.append({"category": normalize_value("category", text) or text})
    if _is_set(color):
        text = color.strip().lower()
        clauses.append({color_flag(normalize_value("colors", text) or text): True})
    if max_price is not None and not isinstance(max_price, str) and math.isfinite(max_price) and max_price > 0:
        clauses.append({"price": {"$lte": float(max_price)}})
    return combine_where(*clauses)


def combine_where(*clauses: dict | None) -> dict | None:
    """AND together where filters, flattening nested $and (Chroma wants two or more terms in an $and)."""
    terms: list[dict] = []
    for clause in clauses:
        if not clause:
            continue
        terms.extend(clause["$and"] if set(clause) == {"$and"} else [clause])
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else {"$and": terms}


# --------------------------------------------------------------------------------------------- evaluation
# Each clause compiles to a small closure over a record's facets, specialised by the kind of value asked for:
# the store runs them on thousands of records per filtered query. Chroma's semantics are kept: a value only
# matches stored values of its own kind (text, number), an absent price matches nothing but $ne / $nin.
def _number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _never(facets: Facets) -> bool:
    return False


def _always(facets: Facets) -> bool:
    return True


def _negate(test: Predicate) -> Predicate:
    return lambda f: not test(f)


def _colour_term(key: str, op: str, wanted: Any, condition: Any) -> Predicate:
    if key == "colors":
        if op not in ("$contains", "$not_contains") or not isinstance(wanted, str):
            raise ValueError(f"colours are filtered with $contains or $not_contains and a colour, not {condition!r}")
        flag, positive = colour_key(wanted), op == "$contains"
    else:
        if wanted is not True or op not in ("$eq", "$ne"):
            raise ValueError(f"colour flags are filtered with True, not {condition!r}")
        flag, positive = key[len(_COLOR_FLAG):], op == "$eq"
    return (lambda f: flag in f.colors) if positive else (lambda f: flag not in f.colors)


def facet_of(key: str) -> str:
    """The facet a clause on this key reads: colour flags and ``colors`` read the colours, other keys themselves."""
    return "colors" if key == "colors" or key.startswith(_COLOR_FLAG) else key


def _term(key: str, condition: Any) -> Predicate:
    if isinstance(condition, dict):
        if len(condition) != 1:
            raise ValueError(f"a filter on {key!r} needs exactly one operator, not {condition!r}")
        (op, wanted), = condition.items()
    else:
        op, wanted = "$eq", condition
    if facet_of(key) == "colors":
        return _colour_term(key, op, wanted, condition)
    if key not in _STRING_FACETS and key != "price":
        raise ValueError(f"the catalog store filters by {', '.join(_STRING_FACETS)}, colours and price, not {key!r}")
    kind = _number if key == "price" else _text  # what is stored under the key (price may be absent: None)
    get = attrgetter(key)
    if op in ("$in", "$nin"):
        if not isinstance(wanted, list) or not wanted:
            raise ValueError(f"{op} needs a non-empty list, not {wanted!r}")
        values = frozenset(w for w in wanted if kind(w))
        test: Predicate = lambda f: get(f) in values  # noqa: E731 (None is never in values)
        return test if op == "$in" else _negate(test)
    if op in ("$eq", "$ne"):
        test = (lambda f: get(f) == wanted) if kind(wanted) else _never
        return test if op == "$eq" else _negate(test)
    if op in _COMPARISONS:
        if not kind(wanted):
            return _never
        compare = _COMPARISONS[op]
        return lambda f: (value := get(f)) is not None and compare(value, wanted)
    raise ValueError(f"unknown filter operator {op!r}")


def _both(a: Predicate, b: Predicate) -> Predicate:
    return lambda f: a(f) and b(f)


def _either(a: Predicate, b: Predicate) -> Predicate:
    return lambda f: a(f) or b(f)


def compile_where(where: dict) -> Predicate:
    """A test of a record's facets that agrees with Chroma's where on the stored metadata.

    Raises ValueError for a malformed clause or a key the store does not filter by.
    """
    if not isinstance(where, dict) or len(where) != 1:
        raise ValueError(f"a where clause has exactly one key or operator, not {where!r}")
    (key, value), = where.items()
    if key in ("$and", "$or"):
        if not isinstance(value, list) or not value:
            raise ValueError(f"{key} needs a non-empty list of clauses, not {value!r}")
        parts = [compile_where(part) for part in value]
        return functools.reduce(_both if key == "$and" else _either, parts)
    return _term(key, value)


def leaf_clauses(where: dict) -> list[dict]:
    """The single-key clauses a where is made of (each one is a separate SQLite look-up in Chroma's filter)."""
    (key, value), = where.items()
    if key in ("$and", "$or"):
        return [leaf for part in value for leaf in leaf_clauses(part)]
    return [where]


def chroma_where(where: dict) -> dict:
    """The clause in terms of the stored metadata: colour flags become $contains / $not_contains on colors."""
    (key, value), = where.items()
    if key in ("$and", "$or"):
        return {key: [chroma_where(part) for part in value]}
    if key.startswith(_COLOR_FLAG):
        op = next(iter(value)) if isinstance(value, dict) else "$eq"
        return {"colors": {"$contains" if op == "$eq" else "$not_contains": key[len(_COLOR_FLAG):]}}
    return {key: value}
