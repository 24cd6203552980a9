"""The picks a message points at ("number 2", "the second one", "the red one", "the bag"), resolved against what
the shopper saw last; the words around each pointer say what to do with it (refuse, swap, or like: the default for a
bare number). Pointers are taken out of the text before the reader reads the rest, so "not the red one" rejects one
item instead of refusing the colour red.
"""

from __future__ import annotations

import re

from fashion_ai.conversation.wish import OUTFIT, Edit, Shown, Wish
from fashion_ai.retrieval.outfits import group_of
from fashion_ai.schema import colour_names, normalize_value, shopper_vocabulary

DROP = re.compile(r"\b(?:remove|drop|lose|ditch|skip|get rid of|leave out|no need for|don'?t need)\b")
NUMBER_WORDS = {w: i for i, w in enumerate("one two three four five six seven eight nine ten".split(), start=1)}
# A pick by its number: digits after any of these words or "#"; a number word only after "number" or "no." ("pick one
# for me" and "no one" point at no pick).
NUMBER = re.compile(r"(?:\b(?:number|no\.?|item|pick|option)\s*|#\s*)(\d{1,2})\b|\b(?:number|no\.)\s*("
                    + "|".join(NUMBER_WORDS) + r")\b")
ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "fifth": 5,
            "5th": 5, "sixth": 6, "6th": 6, "last": -1}
ORDINAL = re.compile(r"\bthe (" + "|".join(ORDINALS) + r")(?: one| pick| item| piece)?\b")
BARE_NUMBER = re.compile(r"(?<![\d$.,#])\b([1-9])\b(?![\d.,]|\s*(?:\$|dollars|bucks|%))")
BARE_ORDINAL = re.compile(r"\b(" + "|".join(o for o in ORDINALS if o != "last") + r")\b")
THE_ONE = re.compile(r"\b(?:the|that) ([a-z]+(?: [a-z]+)?) one\b")  # "the red one", "that navy blue one"
# "swap the bag", "drop those shoes", "I don't like the scarf": a piece named by its kind, right after a verb.
POINTER_NOUN = re.compile(r"\b(?:swap|replace|change|switch|drop|remove|lose|ditch|skip|keep|love|like|hate|dislike|not|"
                          r"need)"
                          r"(?: out)? ((?:the|that|this|those|these) ([a-z]+(?: [a-z]+)?))\b")
REJECT = re.compile(r"\b(?:not|no|don'?t|do not|doesn'?t|hate|dislike|without|nope|ugly|too)\b")
SWAP = re.compile(r"\b(?:swap|replace|change|switch|another|different|other)\b")
LIKE = re.compile(r"\b(?:like|love|similar|keep|nice|great|perfect|yes|more of|prefer)\b")
CLAUSE = re.compile(r"[,.;!?]|\b(?:and|but|also|then)\b")
EDIT_WORDS = re.compile(r"\b(?:something|anything|show me|give me|i'?d|i|please|instead|rather|more|less|like|love|"
                        r"similar|to|one|ones|swap|replace|change|switch|another|different|other|keep|drop|remove|"
                        r"don'?t|do not|not|no|hate|dislike|what about|how about|just|only|now|actually)\b")


def resolve_pointers(wish: Wish, text: str, edit: Edit, intent: str | None = None) -> str:
    """Resolve "number 2", "the second one", "the red one", "the bag" in each clause; returns the text without them.
    A clause surely liking, rejecting or swapping a pick also points by a bare number ("2 is the one"), a bare
    ordinal ("that 3rd one") or a kind named anywhere ("can I get another bag"); its intent says what to do."""
    hint = {"like": "like", "reject": "reject", "swap": "swap"}.get(intent or "")
    if intent == "refuse" and wish.mode == OUTFIT:
        hint = "drop"
    for match in NUMBER.finditer(text):
        if not _nth(wish.shown, _number(match)):
            edit.problems.append(f"There is no number {_number(match)} on show" + (
                f": the picks go from 1 to {len(wish.shown)}." if wish.shown else " yet: tell me what you are looking "
                "for first." if wish.is_empty() else ": nothing fits the wish as it stands (remove a chip to see some)."))
    if not wish.shown:
        return NUMBER.sub(" ", text)
    out = text
    for clause in _clauses(text):
        targets: list[tuple[Shown, tuple[int, int]]] = []
        for match in NUMBER.finditer(clause):
            shown = _nth(wish.shown, _number(match))
            if shown:
                targets.append((shown, match.span()))
        for match in ORDINAL.finditer(clause):
            shown = _nth(wish.shown, ORDINALS[match.group(1)])
            if shown:
                targets.append((shown, match.span()))
        for match in THE_ONE.finditer(clause):
            colours = _colour_words(match.group(1))
            # The pick whose main colour it is, else one that shows it at all.
            shown = next((s for s in wish.shown if set(colours) & set(s.colors[:1])), None) or next(
                (s for s in wish.shown if set(colours) & set(s.colors)), None)
            if shown:
                targets.append((shown, match.span()))
        if hint in ("like", "reject", "swap") and not targets:
            for pattern in (BARE_NUMBER, BARE_ORDINAL):
                for match in pattern.finditer(clause):
                    shown = _nth(wish.shown, int(match.group(1)) if match.group(1).isdigit() else ORDINALS[match.group(1)])
                    if shown:
                        targets.append((shown, match.span()))
        explicit = bool(targets)
        if not explicit:
            for match in POINTER_NOUN.finditer(clause):
                shown = _by_kind(wish.shown, match.group(2))
                if shown:
                    targets.append((shown, match.span(1)))
        if not targets and hint in ("swap", "drop") and wish.mode == OUTFIT:
            for match in re.finditer(r"[a-z][a-z-]+", clause):
                shown = _by_kind(wish.shown, match.group(0))
                if shown and all(t[0] is not shown for t in targets):
                    targets.append((shown, match.span()))
        if not targets:
            continue
        rest = clause
        for _, (start, end) in sorted(targets, key=lambda t: -t[1][0]):
            rest = rest[:start] + " " + rest[end:]
        action = hint or ("drop" if DROP.search(rest) and wish.mode == OUTFIT else "reject" if REJECT.search(rest) or
                  DROP.search(rest) else "swap" if SWAP.search(rest) else "like" if LIKE.search(rest) or explicit
                  else None)
        if action is None:
            continue
        for shown, _ in targets:
            _act(wish, shown, action, edit)
        out = out.replace(clause, " " + EDIT_WORDS.sub(" ", rest) + " ", 1)
    return out


def _number(match: re.Match) -> int:
    """A pick's number, said in digits or in a word ("number five")."""
    return int(match.group(1)) if match.group(1) else NUMBER_WORDS[match.group(2)]


def _clauses(text: str) -> list[str]:
    bounds = [0] + [m.end() for m in CLAUSE.finditer(text)] + [len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if text[a:b].strip()]


def _nth(shown: list[Shown], number: int) -> Shown | None:
    if number == -1:
        return shown[-1]
    return shown[number - 1] if 1 <= number <= len(shown) else None


def _colour_words(words: str) -> list[str]:
    colours = []
    for word in (words, *words.split()):
        value = normalize_value("colors", word) or colour_names().get(word)
        if value:
            colours.append(value)
    return colours


def _by_kind(shown: list[Shown], words: str) -> Shown | None:
    nouns = shopper_vocabulary()["category"]
    for word in (words, words.split()[-1]):
        category = nouns.get(word) or normalize_value("category", word)
        if category:  # that kind, else the piece in its slot ("the jacket" when the outerwear is a coat)
            return next((s for s in shown if s.category == category), None) or next(
                (s for s in shown if s.slot and s.slot == group_of(category)), None)
    return None


def _act(wish: Wish, shown: Shown, action: str, edit: Edit) -> None:
    wish.titles[shown.id] = shown.title
    number = wish.shown.index(shown) + 1
    if action == "like":
        wish.liked[shown.id] = shown.slot or ""
        wish.rejected = [i for i in wish.rejected if i != shown.id]
        edit.said.append(f"more like number {number}, the {shown.title}")
    elif action == "drop" and shown.slot:  # "remove the hat": the outfit goes without that piece
        if shown.slot not in wish.skipped:
            wish.skipped.append(shown.slot)
        wish.liked.pop(shown.id, None)
        edit.pinned.update({s.slot: s.id for s in wish.shown if s.slot and s.slot != shown.slot})
        edit.said.append(f"without the {shown.category} (number {number})")
    elif action in ("reject", "drop"):
        if shown.id not in wish.rejected:
            wish.rejected.append(shown.id)
        wish.liked.pop(shown.id, None)
        edit.said.append(f"not number {number}, the {shown.title}")
    else:
        wish.swapped.append(shown.id)
        wish.liked.pop(shown.id, None)
        edit.pinned.update({s.slot: s.id for s in wish.shown if s.slot and s.id != shown.id and s.id not in wish.swapped})
        edit.said.append(f"a different {shown.category} instead of number {number}")
