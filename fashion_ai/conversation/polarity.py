"""A clause's intent held against what the schema reader read in it: values the shopper refuses by a verb the
reader has no negation for ("drop the pink") move to the refusals, a clause unsure between wanting and refusing
asks back instead of guessing, and a price said without "under" or "in all" goes where the intent says.

Polarity never flips by a misreading: a value is added to what the shopper wants only when the clause surely wants
it or the reader read it plainly, and a value refused before is wanted again only when the clause surely wants it
("actually red is fine").
"""

from __future__ import annotations

import re

from fashion_ai.conversation.wish import Wish
from fashion_ai.language.intents import IntentGuess
from fashion_ai.retrieval.query import ShopperQuery

POLAR = ("category", "colors", "pattern", "material", "style")  # what a refusal leaves out of the picks
_EACH = re.compile(r"\b(?:each|per (?:item|piece|thing)|apiece|a pop|an item|a piece|any (?:item|piece)|every (?:item|piece))\b")
_TOTAL = re.compile(r"\b(?:total|in all|altogether|overall|all in|everything|whole|entire|full|the lot|combined)\b")
_BARE_NUMBER = re.compile(r"(?<![\d.,])\$?(\d{1,6}(?:[.,]\d{1,2})?)(?![\d%])")


def settle_polarity(wish: Wish, query: ShopperQuery, guess: IntentGuess | None) -> str | None:
    """Move or drop the wanted values of ``query`` by the clause's intent; returns a question for the shopper when
    the clause is unsure between wanting and refusing what it names (those values are then left out)."""
    named = {name: values for name, values in query.wanted.items() if name in POLAR and values}
    if guess is None or not named:
        return None
    if guess.intent == "refuse" and guess.sure:
        for name, values in named.items():
            refused = query.refused.setdefault(name, [])
            refused += [v for v in values if v not in refused]
            del query.wanted[name]
        query.refused_kinds += [k for k in query.kinds if k not in query.refused_kinds]
        query.kinds.clear()
        return None
    surely_wanted = guess.intent == "want" and guess.sure
    # Unsure between the two, or wanting again what was refused without saying so plainly: ask, change nothing.
    unrefused = [v for name, values in named.items() for v in values if v in wish.refused.get(name, [])]
    # A refusal close behind whatever won ("black is a no-go": want or a question by a hair) is a doubt too.
    doubt = not guess.sure and "refuse" in (guess.intent, guess.runner_up)
    if surely_wanted or not (doubt or (unrefused and guess.intent != "want")):
        return None
    words = " or ".join(unrefused or [v for values in named.values() for v in values])
    for name in named:
        del query.wanted[name]
    query.kinds.clear()
    return f"Should I leave out {words}, or show more {words}?"


def place_price(query: ShopperQuery, clause: str, intent: str | None) -> None:
    """A cap the clause's intent names ("total of 150", "150 for the lot") where the intent says, unless the words
    say it plainly ("each", "in all"); a bare number is taken only when the intent is a price cap."""
    if intent not in ("max_price", "total_budget"):
        return
    amount = query.max_price if query.max_price is not None else query.total_budget
    if amount is None:
        numbers = _BARE_NUMBER.findall(clause)
        if len(numbers) != 1:
            return
        amount = float(numbers[0].replace(",", "."))
    total = bool(_TOTAL.search(clause)) if (_TOTAL.search(clause) or _EACH.search(clause)) else intent == "total_budget"
    if _EACH.search(clause):
        total = False
    query.max_price, query.total_budget = (None, amount) if total else (amount, None)
    query.min_price = None
