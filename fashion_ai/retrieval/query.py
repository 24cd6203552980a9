"""Reading a shopper's words: text cleaned and refused with a plain message when unusable, and the schema values
it names, matched against the schema and the shoppers' lexicon."""

from __future__ import annotations

import re
import unicodedata

from fashion_ai.errors import BadQueryError
from fashion_ai.schema import shopper_vocabulary

DEFAULT_MAX_CHARS = 300


def clean_text(text: str | None) -> str:
    """Text with control and invisible characters removed and whitespace collapsed (may be empty)."""
    chars = []
    for ch in unicodedata.normalize("NFKC", text or ""):
        kind = unicodedata.category(ch)
        if kind == "Cc" or kind in ("Zl", "Zp"):
            chars.append(" ")  # newlines and tabs separate words
        elif not kind.startswith("C"):  # drop format, surrogate, private-use and unassigned characters
            chars.append(ch)
    return " ".join("".join(chars).split())


def clean_query(text: str | None, max_chars: int) -> str:
    """The query ready to embed; BadQueryError with a plain message when it is empty or too long."""
    cleaned = clean_text(text)
    if not cleaned:
        raise BadQueryError('Type what you are looking for, for example "a red dress for a summer wedding".')
    if len(cleaned) > max_chars:
        raise BadQueryError(f"That query is {len(cleaned)} characters long; please keep it under {max_chars}.")
    return cleaned


def _vocabulary() -> dict[str, list[tuple[re.Pattern, str]]]:
    """field -> (word pattern, canonical value), longest phrases first."""
    vocab = {}
    for name, table in shopper_vocabulary().items():
        ordered = sorted(table.items(), key=lambda kv: -len(kv[0]))
        vocab[name] = [(re.compile(r"(?<![a-z0-9])" + re.escape(w) + r"(?![a-z0-9])"), v) for w, v in ordered]
    return vocab


_VOCABULARY = _vocabulary()


def parse_terms(query: str) -> dict[str, list[str]]:
    """Schema values the query mentions, per field, in the order the query says them."""
    text = clean_text(query).lower().replace("_", " ").replace("’", "'")
    found: dict[str, list[str]] = {}
    for name, patterns in _VOCABULARY.items():
        taken: list[tuple[int, int]] = []  # per field: "t-shirt" must not also count as "shirt"
        hits: list[tuple[int, str]] = []
        for pattern, value in patterns:
            for match in pattern.finditer(text):
                start, end = match.span()
                if any(start < e and s < end for s, e in taken):
                    continue
                taken.append((start, end))
                hits.append((start, value))
        values = list(dict.fromkeys(v for _, v in sorted(hits)))
        if values:
            found[name] = values
    return found


def query_terms(query: str) -> dict[str, str]:
    """Shopper words of the query mapped to schema fields (several colours come comma-joined).

    "a classic dress for a summer wedding" -> {"category": "dress", "style": "classic", "occasion": "wedding",
    "season": "summer"}
    """
    return {name: ",".join(values) if name == "colors" else values[0] for name, values in parse_terms(query).items()}
