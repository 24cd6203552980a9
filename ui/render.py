"""Rendering what the library answers as HTML and Markdown for the page: garment cards with their attribute chips,
item lists with prices, links and reasons. Everything shown that comes from a catalog or a model is escaped."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from fashion_ai.service import COLOR_RGB

if TYPE_CHECKING:
    from fashion_ai.service import CatalogItem, FashionService, FieldGuess, Garment

CSS = """
.fa-banner p { margin: 0; font-size: 0.9em; opacity: 0.8; }
.fa-garment { border: 1px solid var(--border-color-primary); border-radius: 12px; padding: 10px 14px;
              margin-bottom: 10px; background: var(--background-fill-secondary); }
.fa-garment h4 { margin: 0 0 6px 0; text-transform: capitalize; }
.fa-chip { display: inline-block; margin: 2px 4px 2px 0; padding: 2px 10px; border-radius: 999px;
           background: var(--primary-100); color: var(--primary-800); font-size: 0.85em; }
.fa-chip b { font-weight: 600; margin-right: 4px; opacity: 0.7; }
.fa-conf { margin-left: 5px; font-size: 0.8em; opacity: 0.65; }
.fa-unsure { background: transparent; border: 1px dashed var(--primary-400); }
.fa-swatch { display: inline-block; width: 0.8em; height: 0.8em; border-radius: 50%; margin-right: 4px;
             vertical-align: -0.05em; border: 1px solid rgba(0, 0, 0, 0.25); }
"""
SWATCHES = COLOR_RGB  # the chips' colour dots; names outside the schema get none
# What a shop's URL keeps as it is: RFC 3986's delimiters and "%" (its escapes are not escaped again), but not the
# parentheses, which would end a Markdown link.
URL_SAFE = ":/?#[]@!$&'*+,;=%~"


def esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _percent(probability: float) -> str:
    return f'<span class="fa-conf">{probability:.0%}</span>'


def garment_cards(garments: list[Garment], guesses: list[dict[str, FieldGuess]] | None = None) -> str:
    """Each garment as a card of attribute chips (HTML), with how sure the model was of each scored value and
    the fields it was unsure of (its two best values)."""
    cards = []
    for index, garment in enumerate(garments):
        scored = (guesses or [])[index] if guesses and index < len(guesses) else {}
        chips = []
        for name, value in garment.to_dict().items():
            if name == "category":
                continue
            values = value if isinstance(value, list) else [value]
            shown = " ".join(
                (f'<span class="fa-swatch" style="background:{SWATCHES[v]}"></span>' if v in SWATCHES else "") + esc(v)
                for v in values) if name == "colors" else esc(", ".join(values))
            sure = _percent(scored[name].probability) if name in scored else ""
            chips.append(f'<span class="fa-chip"><b>{esc(name)}</b>{shown}{sure}</span>')
        for guess in scored.values():
            if not guess.sure:
                chips.append(f'<span class="fa-chip fa-unsure" title="left out of the JSON"><b>{esc(guess.field)}?</b>'
                             f'{esc(guess.value)} {_percent(guess.probability)} or {esc(guess.runner_up)} '
                             f'{_percent(guess.runner_up_probability)}</span>')
        body = "".join(chips) or '<span class="fa-chip">no other attributes recognised</span>'
        category = scored.get("category")
        heading = esc(garment.category) + (_percent(category.probability) if category else "")
        cards.append(f'<div class="fa-garment"><h4>{heading}</h4>{body}</div>')
    return "".join(cards) or "<p>No garment recognised.</p>"


def price_text(price: float | None) -> str:
    return f"${price:,.2f}" if price is not None else "price not listed"


def caption(item: CatalogItem) -> str:
    return f"{item.title} — {price_text(item.price)}"


def md(text: str) -> str:
    """Text made inert for Markdown (titles and reasons come from the catalog, not from us)."""
    return "".join("\\" + ch if ch in "\\`*_[]<>|~" else ch for ch in text)


def link_target(url: str) -> str | None:
    """A shop's http(s) URL escaped for a Markdown link (spaces, parentheses, quotes, non-ASCII); None for any other
    kind of URL, which is not linked."""
    return quote(url, safe=URL_SAFE) if url.startswith(("https://", "http://")) else None


def item_lines(hits: list, heading: str) -> str:
    """A Markdown list of items under a heading: linked title, price, category, and why it was picked."""
    lines = [heading, ""]
    for number, hit in enumerate(hits, 1):
        item = hit.item
        url = link_target(item.url)
        title = f"[{md(item.title)}]({url})" if url else md(item.title)
        lines.append(f"{number}. {title} — {md(price_text(item.price))} · _{md(item.category)}_ — {md(hit.reason)}")
    return "\n".join(lines)


def results_heading(result, empty: str | None = None, extra: str | None = None, title: str | None = None) -> str:
    """What a search understood and noted, then how many items (or, given `empty`, why there are none)."""
    count = title or f"{len(result.hits)} item{'s' if len(result.hits) != 1 else ''} for “{md(result.query.text)}”"
    lines = [f"**{count}**" + (f" ({md(extra)})" if extra else "") if empty is None else md(empty),
             f"_Understood: {md(result.query.understood())}_"]
    if result.notes:
        lines.append(md("; ".join(result.notes)).capitalize())
    return "  \n".join(lines)


def gallery_items(service: FashionService, hits: list) -> list[tuple[str, str]]:
    """(photo path, caption) for the gallery; items whose photo is gone stay in the list only."""
    return [(str(path), caption(hit.item)) for hit in hits if (path := service.photo_of(hit.item)) is not None]
