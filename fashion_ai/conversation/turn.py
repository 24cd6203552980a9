"""One turn of the stylist chat: the shopper's message (and maybe a photo's garments) edits the wish, the wish picks
catalog items (an outfit, one piece per slot, or several items of the kinds asked), and the reply says what changed,
what could not be done and what can be done instead. Plain data in and out: the wish is the whole state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from fashion_ai.catalog import CatalogItem
from fashion_ai.conversation.edits import Edit, apply_message
from fashion_ai.conversation.undo import remember, snapshot
from fashion_ai.conversation.verdict import PieceVerdict, judge_outfit
from fashion_ai.conversation.wish import ITEMS, OUTFIT, Shown, Wish
from fashion_ai.errors import BadQueryError, TextTooLongError
from fashion_ai.retrieval.kinds import names_kind
from fashion_ai.retrieval.outfits import group_of, plan_outfit
from fashion_ai.retrieval.query import ShopperQuery, clean_text, garment_phrase, plain_words
from fashion_ai.retrieval.rules import climate, suits_occasion, suits_weather
from fashion_ai.retrieval.search import (
    SearchContext,
    SearchFilters,
    SearchHit,
    find_items,
    hard_filter,
    kind_notes,
    named_fields,
    named_notes,
    of_kind,
)
from fashion_ai.schema import Garment, plural

logger = logging.getLogger(__name__)

DEFAULT_PICKS = 6
OPENERS = ("an outfit for a summer wedding", "a navy dress for the office under $80",
           "what goes with this? (send a photo of a garment)")
CAN_SAY = ('"more casual", "cheaper", "under $50 each", "in navy", "no stripes", "show me shoes instead", '
           '"swap the bag", "like number 2", "not number 3", "start over"')


@dataclass
class Pick:
    """One catalog item shown in a turn, as a front end or an API client needs it."""

    number: int
    id: str
    title: str
    price: float | None
    url: str
    image: str  # the photo's file path ("" when the catalog has none here)
    reason: str
    category: str
    colors: list[str]
    slot: str | None = None


@dataclass
class TurnResult:
    """The assistant's turn: its reply, the picks, one line of what it understood, the chips, and the new wish."""

    reply: str
    picks: list[Pick]
    understood: str
    wish: Wish
    verdict: list[dict] = field(default_factory=list)  # the shopper's own pieces: fits, why, fixes (as picks)

    @property
    def chips(self) -> list[tuple[str, str]]:
        return self.wish.chips()

    def to_dict(self) -> dict:
        """The turn as JSON for an API client; `state` is what to send back with the next message."""
        return {"reply": self.reply, "understood": self.understood, "picks": [asdict(p) for p in self.picks],
                "chips": [{"key": k, "label": v} for k, v in self.chips], "verdict": self.verdict,
                "state": self.wish.to_dict()}


def take_turn(ctx: SearchContext, wish: Wish, text: str | None, garments: list[Garment] | None = None, *,
              problems: list[str] | None = None, said: list[str] | None = None, categories: list[str] | None = None,
              max_chars: int = 500, n: int = DEFAULT_PICKS,
              photo_of: Callable[[CatalogItem], Path | None] | None = None,
              before: dict | None = None) -> TurnResult:
    """The wish edited by the message (and photo), and the picks for it. ``problems`` are things the front end already
    knows went wrong this turn (an unreadable photo, a photo without a garment), ``said`` changes it already made
    (chips removed; ``before``: the wish's snapshot before them, for "undo"); the turn goes on with the rest."""
    asked = before if before is not None else snapshot(wish)
    text, unread = read_message(text, max_chars)
    problems = list(problems or []) + unread
    edit = Edit(said=list(said or []))
    if not text and not garments and not problems and not edit.said:
        problems.append("Tell me what you are shopping for (an occasion, a piece, a budget) or send a photo of a "
                        f"garment. For example: “{OPENERS[0]}”.")
    if text:
        wish, edit = apply_message(wish, text, ctx.reader)
        edit.said = list(said or []) + edit.said
        problems += edit.problems
    if edit.zero_budget:
        problems.append(_zero_budget(ctx, wish))
    verdicts: list[PieceVerdict] = []
    if edit.verdict is not None and (garments or wish.garment):
        occasion = edit.verdict or wish.occasion
        if occasion or wish.levels:
            pieces = garments or [wish.own_garment()]
            verdicts = judge_outfit(pieces, ctx, occasion, wish.dress_levels() if wish.levels else None,
                                    (wish.wanted.get("season") or [None])[0], wish.query())
        else:
            problems.append("For which occasion? Ask, for example, “is this right for a wedding?”.")
    if garments and not verdicts:
        wish.garment = garments[0].to_dict()
        wish.mode = OUTFIT
        wish.wanted.pop("category", None)
        edit.said.append(f"styling your {garment_phrase(garments[0])}")
    elif garments:
        wish.garment = garments[0].to_dict()
    if text and not garments and not edit.understood_anything and not wish.is_empty():
        problems.append(f"I did not catch what to change in “{plain_words(text[:80])}”. You can say {CAN_SAY}.")
    if verdicts and not all(v.fits for v in verdicts):  # show the fixes: catalog pieces that would fit
        fixes = [hit for v in verdicts for hit in v.fixes]
        picks = [_pick(i + 1, hit, group_of(hit.item.category), photo_of) for i, hit in enumerate(fixes)]
        notes: list[str] = []
    elif not wish.is_empty():
        picks, notes = _picks(ctx, wish, edit, n, photo_of)
    else:
        picks, notes = [], []
    before = {shown.id: shown.reason for shown in wish.shown}
    for p in picks:  # a piece kept from the last turn keeps the reason it was picked for
        if p.id in before and p.id in edit.pinned.values() | wish.liked.keys():
            p.reason = before[p.id]
    wish.shown = [Shown(p.id, p.title, p.category, p.colors, p.price, p.slot, p.reason) for p in picks]
    wish.turns += 1
    for p in picks:
        wish.titles[p.id] = p.title
    if not edit.undone:
        remember(wish, asked)
    wish.fit_caps()
    reply = _reply(wish, edit, problems, picks, notes, verdicts, categories or [])
    understood = " · ".join(label for _, label in wish.chips()) or "nothing yet"
    logger.info("chat turn %d: %r -> %s; %d picks", wish.turns, text[:80], understood, len(picks))
    return TurnResult(reply, picks, understood, wish, [_verdict_dict(v, photo_of) for v in verdicts])


def read_message(text: str | None, max_chars: int) -> tuple[str, list[str]]:
    """The message cleaned, or "" and what to tell the shopper when it cannot be read (too long: refused before
    it is read, so a megabyte costs nothing)."""
    try:
        return clean_text(text, max_chars, "message"), []
    except TextTooLongError as exc:
        return "", [f"That message is {exc.length:,} characters long; I read messages of up to {max_chars}. "
                    "Tell me in a sentence: the occasion, a budget, colours you like or not."]
    except BadQueryError as exc:
        return "", [str(exc)]


def _zero_budget(ctx: SearchContext, wish: Wish) -> str:
    """A budget of $0 or less: say what the cheapest piece costs, and keep the budget the wish had."""
    rest = ShopperQuery(text="", wanted={k: v for k, v in wish.wanted.items() if k == "category"},
                        refused=wish.refused, gender=wish.gender)
    prices = [item.price for item in ctx.store.get_where(hard_filter(rest), limit=10000) if item.price is not None]
    cheapest = f"; the cheapest piece that fits the rest of your wish is ${min(prices):,.2f}" if prices else ""
    kept = (f"under ${wish.max_price:,.0f} each" if wish.max_price is not None else
            f"${wish.total_budget:,.0f} in all" if wish.total_budget is not None else "no price limit")
    return f"Nothing in the catalog costs $0 or less{cheapest}. I kept your budget as it was ({kept})."


def _picks(ctx: SearchContext, wish: Wish, edit: Edit, n: int, photo_of) -> tuple[list[Pick], list[str]]:
    query = wish.query()
    if wish.mode == ITEMS:
        colours = wish.wanted.get("colors", [])
        filters = SearchFilters(color=colours[0]) if len(colours) == 1 else None
        hits, notes = _items(ctx, wish, query, filters, n)
        if not hits and filters is not None:  # none in that colour: the closest colours (the search says so)
            hits, notes = _items(ctx, wish, query, None, n)
        slots = [None] * len(hits)
    else:
        result = plan_outfit(query.text, ctx, garment=wish.own_garment(), slots=n, query=query,
                             steer=wish.steer(edit.pinned))
        hits, notes = result.hits, list(result.notes)
        slots = [group_of(hit.item.category) for hit in hits]
    return [_pick(i + 1, hit, slot, photo_of) for i, (hit, slot) in enumerate(zip(hits, slots, strict=True))], notes


def _items(ctx: SearchContext, wish: Wish, query: ShopperQuery, filters: SearchFilters | None, n: int
           ) -> tuple[list[SearchHit], list[str]]:
    """Items of the kinds asked that meet the wish's dress code and weather, as the outfit's pieces must."""
    levels, season = wish.dress_levels(), (wish.wanted.get("season") or [None])[0]
    wish_climate = climate(season, wish.occasion)
    result = find_items(query.text, ctx, filters, n=4 * n, query=query, steer=wish.steer(), tell_named=False)
    fitting = [hit for hit in result.hits if suits_occasion(hit.item, wish.occasion, levels)
               and suits_weather(hit.item, wish_climate)]
    named = named_fields(query)
    # How the picks show the colour, pattern and material asked: told of what is shown, after the dress code.
    notes = list(result.notes)
    if fitting:
        notes += kind_notes(fitting, query) + (named_notes(of_kind(fitting, query), n, named) if named else [])
    if result.hits and not fitting:
        what = wish.occasion or "that dress code"
        notes.append(f"none of these suits {what}" + (f" in {season}" if season else "") + "; remove a chip to see more")
    return fitting[:n], notes


def _pick(number: int, hit: SearchHit, slot: str | None, photo_of) -> Pick:
    photo = photo_of(hit.item) if photo_of else Path(hit.item.image_path)
    return Pick(number, hit.item.id, hit.item.title, hit.item.price, hit.item.url, str(photo) if photo else "",
                hit.reason, hit.item.category, list(hit.item.colors), slot)


def _verdict_dict(verdict: PieceVerdict, photo_of) -> dict:
    return {"garment": verdict.garment.to_dict(), "fits": verdict.fits, "why": verdict.why,
            "fixes": [asdict(_pick(i + 1, hit, group_of(hit.item.category), photo_of))
                      for i, hit in enumerate(verdict.fixes)]}


def _reply(wish: Wish, edit: Edit, problems: list[str], picks: list[Pick], notes: list[str],
           verdicts: list[PieceVerdict], categories: list[str]) -> str:
    """The assistant's words: what changed, what could not be done (and what instead), then what it shows."""
    lines = []
    if edit.said:
        lines.append("Got it: " + ", ".join(dict.fromkeys(edit.said)) + ".")
    for word in edit.unsold:
        sold = ", ".join(categories[:12]) if categories else "clothes, shoes, bags and accessories"
        lines.append(f"This catalog has no {word}: it sells {sold}. Here is the closest I can find instead.")
    lines += problems
    for verdict in verdicts:
        fixes = "; try " + " or ".join(f"the {hit.item.title}" for hit in verdict.fixes) if verdict.fixes else ""
        lines.append(("Yes: " if verdict.fits else "Not quite: ") + verdict.why + fixes + ".")
    if verdicts and all(v.fits for v in verdicts) and picks:
        lines.append("To finish the look:")
    if notes:
        lines.append("Note: " + "; ".join(dict.fromkeys(notes)) + ".")
    if picks and verdicts and not all(v.fits for v in verdicts):
        lines.append("From the catalog, pieces that would fit:")
    elif picks:
        total = sum(p.price for p in picks if p.price is not None)
        if wish.mode == OUTFIT:
            lines.append(f"An outfit of {len(picks)} pieces, ${total:,.2f} in all:")
        else:
            kinds = " or ".join(plural(c) if len(picks) > 1 else c for c in wish.wanted.get("category", [])) or (
                "pieces" if len(picks) > 1 else "piece")
            if wish.kinds and all(names_kind(p.title, wish.kinds) for p in picks):
                kinds = " or ".join(wish.kinds)  # "6 ankle boots for you"
            lines.append(f"{len(picks)} {kinds} for you:")
    elif not wish.is_empty() and not verdicts:
        lines.append("Nothing in the catalog fits all of that. Remove a part of your wish (the chips below), or say "
                     "“any price” or “start over”.")
    if wish.is_empty() and not any(p.startswith("Tell me what") for p in problems):
        lines.append("What are you shopping for? Try " + ", ".join(f"“{o}”" for o in OPENERS[:2]) + ", or send a "
                     "photo of a garment.")
    return "\n".join(lines)
