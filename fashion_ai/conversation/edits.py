"""One message's edits to the wish: "more casual", "cheaper", "under $50 each", "in navy", "no stripes", "show me shoes
instead", "swap the bag", "like number 2" / "not the red one", "start over", and everything the query reader reads
(occasion, season, colours, patterns, materials, styles, prices, audience).

The picks a message points at are resolved first (conversation/pointers.py); pointers and edit phrases are taken
out of the text before the reader reads the rest, so "not the red one" rejects one item instead of refusing red.
"""

from __future__ import annotations

import re
import statistics

from fashion_ai.conversation.pointers import EDIT_WORDS, resolve_pointers
from fashion_ai.conversation.polarity import place_price, settle_polarity
from fashion_ai.conversation.undo import UNDO, undo
from fashion_ai.conversation.wish import ITEMS, OUTFIT, SINGLE, WISH_FIELDS, Edit, Wish
from fashion_ai.language.clauses import correction_number, refusals_take_values, spell_emoji, split_clauses
from fashion_ai.language.intents import IntentGuess, masked
from fashion_ai.retrieval.kinds import names_kind
from fashion_ai.retrieval.query import normalise, plain_words
from fashion_ai.retrieval.reading import QueryReader
from fashion_ai.retrieval.rules import LEVELS, TITLE_LEVELS

RESTART = re.compile(r"\b(?:start (?:over|again|afresh)|restart|reset|from scratch|new search|forget (?:it|that|"
                     r"everything|all (?:of )?that)|clear (?:it|everything|all))\b")
CASUAL = re.compile(r"\b(?:more (?:casual|relaxed|laid[- ]back)|less (?:formal|dressy|fancy)|dress(?:ed)?(?: it)? down|"
                    r"too (?:formal|dressy|fancy|smart))\b")
FORMAL = re.compile(r"\b(?:more (?:formal|dressy|elegant|polished|sophisticated)|dressier|fancier|smarter|"
                    r"less casual|dress(?:ed)?(?: it)? up|too (?:casual|sporty|relaxed))\b")
CHEAPER = re.compile(r"\b(?:cheaper|less expensive|lower (?:price|prices)|too (?:expensive|pricey|much)|"
                     r"more affordable|save (?:some )?money)\b")
PRICIER = re.compile(r"\b(?:more expensive|pricier|higher[- ]end|more premium|better quality|splurge)\b")
WARMER = re.compile(r"\b(?:warmer|too cold|cos(?:y|ier)|coz(?:y|ier)|for the cold)\b")
COOLER = re.compile(r"\b(?:cooler|lighter|too (?:hot|warm)|more breathable|for the heat)\b")
MORE_OPTIONS = re.compile(r"\b(?:show me (?:some )?more(?= *(?:please)? *[.!?]* *$)|more options|other options|"
                          r"something else|anything else|different ones|new ones|see others|other ones)\b")
ANY_PRICE = re.compile(r"\b(?:any price|no budget|forget the budget|price (?:does not|doesn't) matter|money is no object)\b")
OUTFIT_WORDS = re.compile(r"\b(?:outfits?|looks?|complete|goes? with|wear (?:it )?with|head to toe|ensemble|whole thing|"
                          r"what (?:should|can|do) i wear|style (?:it|this|me))\b")
BACK_TO_OUTFIT = re.compile(r"\b(?:back to the (?:outfit|look)|(?:the )?(?:whole|full|complete) (?:outfit|look))\b")
VERDICT = re.compile(r"\b(?:(?:is|are|would|will|does|do) (?:this|it|that|these|they|those)\b.{0,20}?"
                     r"\b(?:right|ok|okay|good|fine|appropriate|suitable|work|works|enough|go|do)\b|"
                     r"(?:can|could|should|may) i wear (?:this|it|these|them)\b)")

def apply_message(wish: Wish, text: str, reader: QueryReader) -> tuple[Wish, Edit]:
    """The wish edited by one message (the shopper's words, already cleaned); the returned wish may be a new one.

    With the reader's intent classifier (a text model), the message is read clause by clause, each by its intent;
    without one, the message is read whole by the rules alone."""
    edit = Edit()
    # The clauses' intents read the words meant ("no pnk" refuses a colour).
    lowered = reader.spell(normalise(spell_emoji(text)))[0]
    classifier = getattr(reader, "intents", None)
    if classifier is None:
        wish = _apply(wish, lowered, reader, edit, None)
    else:
        clauses = split_clauses(lowered) or [lowered]
        # One batch for the message: its clauses (masked, for their intents) and the words the reader may look up.
        vectors = reader.embed([masked(c) for c in clauses] + [p for c in clauses for p in reader.near_phrases(c)])
        price_field: str | None = None
        guesses = classifier.guesses(classifier.scores_of(vectors[:len(clauses)]))
        for clause, guess in refusals_take_values(clauses, guesses):
            number = correction_number(clause)
            if number is not None and price_field:  # "under 50. no, make that 80"
                setattr(wish, price_field, number)
                edit.said.append(f"under ${number:,.0f} each" if price_field == "max_price" else f"${number:,.0f} in all")
                continue
            caps = (wish.max_price, wish.total_budget)
            wish = _apply(wish, clause, reader, edit, guess)
            if (wish.max_price, wish.total_budget) != caps:
                price_field = "max_price" if wish.max_price != caps[0] else "total_budget"
    if edit.verdict == "" and wish.occasion:
        edit.verdict = wish.occasion
    edit.understood_anything = bool(edit.understood_anything or edit.said or edit.problems or edit.unsold
                                    or edit.verdict is not None)
    return wish, edit


def _apply(wish: Wish, lowered: str, reader: QueryReader, edit: Edit, guess: IntentGuess | None) -> Wish:
    """One clause (or a whole message, read by the rules alone) applied to the wish."""
    intent = guess.intent if guess is not None and guess.sure else None
    if RESTART.search(lowered) or intent == "start_over":
        wish, edit.restarted = Wish(), True
        edit.said.append("starting over")
        lowered = RESTART.sub(" ", lowered) if RESTART.search(lowered) else ""
    if UNDO.search(lowered) or intent == "undo":
        restored = undo(wish)
        if restored is None:
            edit.problems.append("There is nothing to undo yet.")
        else:
            wish, edit.undone = restored, True
            edit.said.append("back to your wish before the last change")
        lowered = UNDO.sub(" ", lowered) if UNDO.search(lowered) else ""
    verdict = VERDICT.search(lowered)
    if verdict:  # the question is not part of the wish ("would this work?" asks for no work clothes)
        edit.verdict = ""
        lowered = lowered[:verdict.start()] + " " + lowered[verdict.end():]
    elif intent == "photo_question":
        edit.verdict = ""  # the clause's occasion and weather are still read ("ok for a job interview?")
    lowered = resolve_pointers(wish, lowered, edit, intent)
    lowered = _formality(wish, lowered, edit, intent)
    lowered = _beat_shown(wish, lowered, edit, intent, pricier=False)
    lowered = _beat_shown(wish, lowered, edit, intent, pricier=True)
    lowered = _more_options(wish, lowered, edit, intent)
    for pattern, season, word in ((WARMER, "winter", "warmer, for the cold"), (COOLER, "summer", "lighter, for the heat")):
        if pattern.search(lowered):
            wish.wanted["season"] = [season]
            edit.said.append(word)
            lowered = pattern.sub(" ", lowered)
    if ANY_PRICE.search(lowered) or intent == "any_price":
        wish.max_price = wish.min_price = wish.total_budget = wish.price_preference = None
        wish.slot_caps = {}
        edit.said.append("any price")
        lowered = ANY_PRICE.sub(" ", lowered) if ANY_PRICE.search(lowered) else ""
    back = BACK_TO_OUTFIT.search(lowered)
    if back and wish.mode == ITEMS:
        wish.mode = OUTFIT
        wish.wanted.pop("category", None)
        edit.said.append("the whole outfit again")
    if intent == "none" and guess is not None and guess.score >= 0.8:
        return wish  # "thanks", "lol": nothing to read
    _read_words(wish, lowered, reader, edit, outfit=bool(OUTFIT_WORDS.search(lowered)) or bool(back), guess=guess)
    return wish


def _more_options(wish: Wish, text: str, edit: Edit, intent: str | None = None) -> str:
    """"Something else": everything shown is swapped out (what was liked stays)."""
    if not (MORE_OPTIONS.search(text) or intent == "more_options") or not wish.shown:
        return text
    if not MORE_OPTIONS.search(text):
        text = ""
    wish.swapped += [s.id for s in wish.shown if s.id not in wish.liked and s.id not in wish.swapped]
    edit.said.append("other options")
    return MORE_OPTIONS.sub(" ", text)


def _formality(wish: Wish, text: str, edit: Edit, intent: str | None = None) -> str:
    for pattern, step, word in ((CASUAL, -1, "more casual"), (FORMAL, 1, "more formal")):
        said = pattern.search(text)
        if not said and intent != ("less_formal" if step < 0 else "more_formal"):
            continue
        low, high = wish.dress_levels() or _shown_levels(wish) or (2, 3)
        new_low, new_high = max(1, min(4, low + step)), max(1, min(4, high + step))
        if (new_low, new_high) == (low, high):
            edit.problems.append(f"the picks are already as {'casual' if step < 0 else 'formal'} as the catalog goes")
        else:
            wish.levels = [new_low, new_high]
            wish.slot_caps = {}
            edit.said.append(f"{word}: {LEVELS[new_low]}" + (f" to {LEVELS[new_high]}" if new_high != new_low else ""))
        text = pattern.sub(" ", text) if said else ""  # the intent's words are no style ("too corporate")
    return text


def _shown_levels(wish: Wish) -> tuple[int, int] | None:
    """The dress-code range the last picks sat in, when no occasion set one."""
    ranges = [levels for s in wish.shown for pattern, levels in TITLE_LEVELS if pattern.search(s.title.lower())]
    if not ranges:
        return None
    return (round(statistics.mean(r[0] for r in ranges)), round(statistics.mean(r[1] for r in ranges)))


def _beat_shown(wish: Wish, text: str, edit: Edit, intent: str | None, pricier: bool) -> str:
    """"cheaper" (or "pricier") than what was shown: an outfit's pieces each beat the price shown in their slot; a
    list goes under (over) what most of it cost, or the one item's price. The text less the words read."""
    pattern, word = (PRICIER, "pricier") if pricier else (CHEAPER, "cheaper")
    if not pattern.search(text) and intent != word:
        return text
    if not pattern.search(text):
        text = ""
    prices = [s.price for s in wish.shown if s.price is not None]
    if pricier:
        wish.slot_caps = {}  # a list's floor replaces an outfit's prices to beat
    if wish.mode == OUTFIT and any(s.slot for s in wish.shown):
        wish.slot_caps = {s.slot: s.price for s in wish.shown if s.slot and s.price is not None}
    elif prices:
        middle = statistics.median(prices) if len(prices) > 2 else (max(prices) if pricier else min(prices))
        if pricier:
            floor = round(middle + 0.01, 2)
            wish.min_price = max(floor, wish.min_price) if wish.min_price is not None else floor
            if wish.max_price is not None and wish.max_price <= wish.min_price:
                wish.max_price = None  # the older cap is below what pricier now means
        else:
            cap = round(middle - 0.01, 2)
            wish.max_price = min(cap, wish.max_price) if wish.max_price is not None else cap
    wish.price_preference = "high" if pricier else "low"
    if not pricier:
        wish.min_price = None  # a floor from "pricier" is meant no more
    edit.said.append(f"{word} than the last picks" if prices else f"{word} first")
    return pattern.sub(" ", text)


def _read_words(wish: Wish, text: str, reader: QueryReader, edit: Edit, outfit: bool,
                guess: IntentGuess | None = None) -> None:
    """Everything the query reader reads, applied as edits: a field's new values replace its old ones; with the
    clause's intent, refused by a refusing clause and asked back where the clause is unsure."""
    query = reader.read(text)
    question = settle_polarity(wish, query, guess)
    if question:
        edit.problems.append(question)
    place_price(query, text, guess.intent if guess is not None and guess.sure else None)
    if query.unsold:  # a kind of garment the catalog lacks: show the closest single pieces instead
        edit.unsold = list(query.unsold)
        wish.unsold = list(query.unsold)
        wish.mode = ITEMS
        wish.wanted.pop("category", None)
    categories = query.wanted.get("category")
    if categories and not outfit:
        wish.mode = ITEMS
        wish.slot_caps = {}  # "cheaper" was said of an outfit's pieces
    elif outfit and wish.mode == ITEMS and not categories:
        wish.mode = OUTFIT
        wish.wanted.pop("category", None)
    if categories:  # a new category: the kinds said with it (none: any of it)
        wish.kinds = list(query.kinds)
        wish.refused_kinds = [k for k in wish.refused_kinds  # "no boots", then "ankle boots": those are welcome
                              if not any(names_kind(k, [new]) or names_kind(new, [k]) for new in query.kinds)]
    for name in WISH_FIELDS:
        values = query.wanted.get(name)
        if values:
            wish.wanted[name] = list(values[:1] if name in SINGLE else values)
            if name in wish.refused:
                wish.refused[name] = [v for v in wish.refused[name] if v not in values] or []
                if not wish.refused[name]:
                    del wish.refused[name]
            if name == "occasion":
                wish.levels, wish.slot_caps = None, {}
            shown = query.kinds if name == "category" and query.kinds else values
            edit.said.append(" or ".join(shown) if name in ("category", "occasion", "season")
                             else f"{'colour' if name == 'colors' else name} {' or '.join(values)}")
    for name, values in query.refused.items():
        known = wish.refused.setdefault(name, [])
        known += [v for v in values if v not in known]
        if name in wish.wanted:
            wish.wanted[name] = [v for v in wish.wanted[name] if v not in values]
            if not wish.wanted[name]:
                del wish.wanted[name]
        edit.said.append(f"no {' or '.join(values)}")
    if query.refused_kinds:
        wish.refused_kinds += [k for k in query.refused_kinds if k not in wish.refused_kinds]
        wish.kinds = [k for k in wish.kinds if k not in query.refused_kinds]
        edit.said.append(f"no {' or '.join(query.refused_kinds)}")
    if query.max_price is not None or query.total_budget is not None:
        if (query.max_price is not None and query.max_price <= 0) or (
                query.total_budget is not None and query.total_budget <= 0):
            edit.zero_budget = edit.understood_anything = True
        elif query.total_budget is not None:
            wish.total_budget = query.total_budget
            edit.said.append(f"${query.total_budget:,.0f} in all")
        else:
            wish.max_price = query.max_price
            wish.slot_caps = {}
            edit.said.append(f"under ${query.max_price:,.0f} each")
    if query.price_preference and not wish.price_preference:
        wish.price_preference = query.price_preference
    if query.gender:
        wish.gender = query.gender
        edit.said.append(f"for {query.gender}")
    wish.kinds = wish.live_kinds()  # a kind of a category no longer asked for goes with it
    if outfit and wish.mode == OUTFIT and not edit.said:
        edit.said.append("an outfit")
    understood = bool(query.wanted or query.refused or query.refused_kinds or query.max_price or query.total_budget
                      or query.gender or query.price_preference or query.unsold)
    leftover = plain_words(EDIT_WORDS.sub(" ", text))  # echoed and kept: no markup of the shopper's
    if not understood and leftover and not edit.said and (wish.is_empty() or edit.restarted):
        wish.words = leftover  # nothing the schema names: search by meaning
        wish.mode = ITEMS
        edit.said.append(f"“{leftover}”")
