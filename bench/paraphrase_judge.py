"""How bench/bench_paraphrases.py judges a chat turn: against what the shopper meant (the set's expectations, kept
turn by turn as a `Meant`), by catalog metadata and by the wish the chat kept, never by the code's own reading.

The expectation keys are bench_conversation.py's (mode, max_price, total_budget, gender, wanted, refused, picks,
empty_wish, category, colour, levels_move, cheaper, like, reject, swap, verdict) with the same meaning, and these:

- refused {category: [...]}: the wish refuses the kind in any of its forms (refused category, a refused kind of
  that category, the outfit slot skipped); the picks hold none of it.
- wanted_any {field: [...]}: the wish wants at least one of the values ("teal": green or blue).
- not_refused / not_wanted {field: [...]}: the wish does not refuse / want them ("no red, actually red is fine").
- colour, pattern, material: a value or a list of acceptable ones; in a list of items every pick shows one, in an
  outfit at least one pick does.
- pricier: the picks' mean price rose.
- fresh: nothing said before this turn is left in the wish, unless this turn says it again ("scratch that").
- undo: the wish is again what it was before the last turn ("go back").
- unchanged: the wish is what it was before this turn (a message of only emoji); picks still shown.
- or_unchanged: a turn in a language the model may not read is also honoured when it left the wish untouched.

Whatever the turn, its picks must keep everything meant so far (per-item and total caps, every refused colour,
pattern, material, style or kind, no rejected or swapped-out item, the kinds asked for in a list of items), and a
non-empty wish shows picks. A polarity flip is a value the shopper refused that the wish now wants or a pick shows,
or a value the shopper asked for this turn that the wish now refuses.
"""

from __future__ import annotations

import copy
import statistics
from dataclasses import dataclass, field

from bench_conversation import mean_level

# The wish's parts a reading can change (not what was shown, nor counters).
SEMANTIC = ("mode", "wanted", "refused", "kinds", "refused_kinds", "max_price", "total_budget", "price_preference",
            "gender", "levels", "slot_caps", "garment", "liked", "rejected", "swapped", "skipped", "words", "unsold")
PICK_VALUES = {"colors": lambda it: set(it.colors), "pattern": lambda it: {it.pattern},
               "material": lambda it: {it.material}, "category": lambda it: {it.category},
               "style": lambda it: {it.style}, "season": lambda it: {it.season}}


@dataclass
class Meant:
    """What the shopper meant so far in one conversation, built from the set's expectations alone."""

    mode: str | None = None
    category: list[str] = field(default_factory=list)  # the kinds of a list of items
    refused: dict[str, set[str]] = field(default_factory=dict)
    max_price: float | None = None
    total_budget: float | None = None
    banned: set[str] = field(default_factory=set)  # rejected or swapped-out item ids

    def is_empty(self) -> bool:
        return self.mode is None and not self.refused and self.max_price is None and self.total_budget is None


def wish_state(wish) -> dict:
    """The parts of a wish a reading can change, as plain data."""
    data = wish.to_dict()
    return {key: data.get(key) for key in SEMANTIC}


def next_meant(meants: list[Meant], expect: dict, before) -> Meant:
    """What the shopper means after this turn (`meants`: after each earlier turn, the empty one first, the newest
    last; `before`: the wish the chat showed last turn)."""
    meant = meants[-1]
    if expect.get("undo"):
        meant = copy.deepcopy(meants[-2] if len(meants) > 1 else Meant())
    elif expect.get("fresh") or expect.get("empty_wish"):
        meant = Meant()
    else:
        meant = copy.deepcopy(meant)
    if "mode" in expect:
        meant.mode = expect["mode"]
        if expect["mode"] == "outfit":
            meant.category = []
    if "category" in expect:
        meant.mode, meant.category = "items", list(expect["category"])
    for key in ("max_price", "total_budget"):
        if key in expect:
            setattr(meant, key, expect[key])
    for name, values in expect.get("refused", {}).items():
        meant.refused.setdefault(name, set()).update(values)
    for key in ("wanted", "not_refused"):
        for name, values in expect.get(key, {}).items():
            meant.refused[name] = meant.refused.get(name, set()) - set(values)
    for key in ("colour", "pattern", "material"):
        if key in expect:
            name = "colors" if key == "colour" else key
            meant.refused[name] = meant.refused.get(name, set()) - set(_listed(expect[key]))
    meant.refused = {name: values for name, values in meant.refused.items() if values}
    shown = before.shown if before else []
    if "reject" in expect and len(shown) >= expect["reject"]:
        meant.banned.add(shown[expect["reject"] - 1].id)
    if "swap" in expect:
        meant.banned.update(s.id for s in shown if s.slot == expect["swap"])
    return meant


def _listed(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def check_picks(meant: Meant, items: dict, picks: list[str], expect: dict, mode: str) -> list[str]:
    """What in the picks (shown as `mode`) breaks what the shopper meant so far (empty: all kept)."""
    chosen = [items[i] for i in picks]
    failures = []
    # A verdict on a photo may come with fixes or without; any other turn of a wish shows picks.
    wants_picks = expect.get("picks", "some" if not meant.is_empty() and "verdict" not in expect else "any")
    if meant.mode is not None and chosen and mode != meant.mode:
        failures.append(f"shown as {mode}, not {meant.mode}")
    if wants_picks == "some" and not chosen:
        failures.append("no picks")
    if wants_picks == "none" and chosen:
        failures.append("picks after a fresh start")
    if meant.max_price is not None and any(it.price is None or it.price > meant.max_price for it in chosen):
        failures.append(f"over ${meant.max_price:g} each")
    if meant.total_budget is not None and meant.mode == "outfit" and \
            sum(it.price or 0 for it in chosen) > meant.total_budget:
        failures.append(f"over ${meant.total_budget:g} in all")
    for name, values in meant.refused.items():
        failures += [f"{it.title} shows refused {name} {sorted(PICK_VALUES[name](it) & values)}"
                     for it in chosen if PICK_VALUES[name](it) & values]
    if set(picks) & meant.banned:
        failures.append("a rejected or swapped-out item is back")
    if meant.mode == "items" and meant.category:
        failures += [f"{it.title} is not {meant.category}" for it in chosen if it.category not in meant.category]
    return failures


def _refuses_kind(wish, category: str) -> bool:
    from fashion_ai.retrieval.kinds import category_of
    from fashion_ai.retrieval.outfits import group_of

    return (category in wish.refused.get("category", []) or group_of(category) in wish.skipped
            or any(category_of(kind) == category for kind in wish.refused_kinds))


def check_wish_read(expect: dict, wish) -> list[str]:
    """Whether the wish the chat kept says what the shopper meant this turn."""
    failures = []
    for key in ("mode", "max_price", "total_budget", "gender"):
        if key in expect and getattr(wish, key) != expect[key]:
            failures.append(f"{key} is {getattr(wish, key)!r}, not {expect[key]!r}")
    for name, values in expect.get("wanted", {}).items():
        if not set(values) <= set(wish.wanted.get(name, [])):
            failures.append(f"wanted {name} lacks {values}")
    for name, values in expect.get("wanted_any", {}).items():
        if not set(values) & set(wish.wanted.get(name, [])):
            failures.append(f"wanted {name} has none of {values}")
    for name, values in expect.get("refused", {}).items():
        missing = [v for v in values if not (_refuses_kind(wish, v) if name == "category"
                                             else v in wish.refused.get(name, []))]
        if missing:
            failures.append(f"refused {name} lacks {missing}")
    for key, part in (("not_refused", wish.refused), ("not_wanted", wish.wanted)):
        for name, values in expect.get(key, {}).items():
            if set(values) & set(part.get(name, [])):
                failures.append(f"{key.split('_')[1]} {name} still has {sorted(set(values) & set(part[name]))}")
    if expect.get("empty_wish") and not wish.is_empty():
        failures.append("the wish was not emptied")
    return failures


def check_moves(expect: dict, result, before, items: dict, embeddings: dict) -> list[str]:
    """The turn's own edit seen in the picks: kinds, colours, dress code, prices, pointing at a pick, a verdict."""
    wish, picks = result.wish, [p.id for p in result.picks]
    chosen = [items[i] for i in picks]
    old = [items[s.id] for s in before.shown] if before else []
    failures = []
    if "category" in expect and (not chosen or any(it.category not in expect["category"] for it in chosen)):
        failures.append(f"not all {expect['category']}")
    for key, name in (("colour", "colors"), ("pattern", "pattern"), ("material", "material")):
        if key in expect:
            has = [bool(PICK_VALUES[name](it) & set(_listed(expect[key]))) for it in chosen]
            if not chosen or not (all(has) if wish.mode == "items" else any(has)):
                failures.append(f"no {key} {expect[key]} in the picks")
    if "levels_move" in expect:
        new, was = mean_level(chosen), mean_level(old)
        if new is None or was is None or not (new < was if expect["levels_move"] == "down" else new > was):
            failures.append(f"dress code did not move {expect['levels_move']} ({was} -> {new})")
    if expect.get("cheaper") or expect.get("pricier"):
        new_price = statistics.mean(it.price or 0 for it in chosen) if chosen else None
        old_price = statistics.mean(it.price or 0 for it in old) if old else None
        if expect.get("cheaper") and wish.mode == "outfit" and before:
            was = {s.slot: s.price for s in before.shown if s.slot and s.price is not None}
            now = {p.slot: p.price for p in result.picks if p.slot in was and p.price is not None}
            if not now or any(now[slot] >= was[slot] for slot in now if slot not in set(wish.liked.values())):
                failures.append("not cheaper slot by slot")
        elif expect.get("cheaper") and (not chosen or not old or
                                        max(it.price or 0 for it in chosen) >= max(it.price or 0 for it in old)):
            failures.append("not cheaper than the last list")
        if expect.get("pricier") and (new_price is None or old_price is None or new_price <= old_price):
            failures.append(f"not pricier ({old_price} -> {new_price})")
    shown = before.shown if before else []
    for key in ("reject", "like"):
        if key not in expect:
            continue
        if len(shown) < expect[key]:
            failures.append(f"there was no number {expect[key]} to point at")
            continue
        target = shown[expect[key] - 1].id
        if key == "reject" and target in picks:
            failures.append("the rejected item is still shown")
        if key == "like":
            near_new = [float(embeddings[i] @ embeddings[target]) for i in picks if i != target]
            near_old = [float(embeddings[s.id] @ embeddings[target]) for s in shown if s.id != target]
            if wish.mode == "outfit" and target not in picks:
                failures.append("the liked piece was dropped")
            if (statistics.mean(near_new) if near_new else 0) <= (statistics.mean(near_old) if near_old else 0):
                failures.append("not closer to the liked item")
    if "swap" in expect:
        was = {s.slot: s.id for s in shown}
        now = {p.slot: p.id for p in result.picks}
        if was.get(expect["swap"]) is None or now.get(expect["swap"]) in (None, was.get(expect["swap"])):
            failures.append(f"the {expect['swap']} was not swapped")
        if any(now.get(s) != i for s, i in was.items() if s != expect["swap"] and s in now):
            failures.append("other pieces changed on a swap")
    if "verdict" in expect and (not result.verdict or any(v["fits"] != expect["verdict"] for v in result.verdict)):
        failures.append(f"verdict {[v['fits'] for v in result.verdict]} not {expect['verdict']}")
    return failures


def check_state(expect: dict, state: dict, wishes: list[dict]) -> list[str]:
    """fresh / undo / unchanged: the wish against the ones before it (`wishes`: after each earlier turn, newest
    last, the empty wish first)."""
    failures = []
    previous = wishes[-1]
    if expect.get("unchanged") and state != previous:
        failures.append(f"the wish changed: {_diff(previous, state)}")
    if expect.get("undo") and state != (wishes[-2] if len(wishes) > 1 else wishes[0]):
        failures.append(f"not undone: {_diff(wishes[-2] if len(wishes) > 1 else wishes[0], state)}")
    if expect.get("fresh"):
        restated = {(name, v) for key in ("wanted", "refused") for name, vs in expect.get(key, {}).items() for v in vs}
        for key in ("wanted", "refused"):
            kept = [(name, v) for name, vs in (previous[key] or {}).items() for v in vs
                    if v in (state[key] or {}).get(name, []) and (name, v) not in restated]
            if kept:
                failures.append(f"{key} kept {kept}")
        for key in ("max_price", "total_budget", "gender", "levels"):
            if previous[key] is not None and state[key] == previous[key] and key not in expect:
                failures.append(f"{key} kept")
        for key in ("kinds", "refused_kinds", "liked", "rejected", "swapped", "skipped"):
            if set(previous[key] or []) & set(state[key] or []):
                failures.append(f"{key} kept")
    return failures


def _diff(was: dict, now: dict) -> str:
    return ", ".join(f"{k}: {was[k]!r} -> {now[k]!r}" for k in SEMANTIC if was[k] != now[k])[:300]


def polarity_flips(meant: Meant, expect: dict, wish, items: dict, picks: list[str]) -> list[str]:
    """A refused value the wish now wants or a pick shows; a value asked for this turn that the wish refuses."""
    flips = []
    for name, values in meant.refused.items():
        wanted = set(wish.wanted.get(name, []))
        if name == "category":
            from fashion_ai.retrieval.kinds import category_of

            wanted |= {category_of(kind) for kind in wish.kinds}
        flips += [f"refused {name} {v} is wanted" for v in sorted(values & wanted)]
        shown = set().union(*(PICK_VALUES[name](items[i]) for i in picks)) if picks else set()
        flips += [f"refused {name} {v} is in the picks" for v in sorted(values & shown)]
    asked = {(n, v) for key in ("wanted", "wanted_any") for n, vs in expect.get(key, {}).items() for v in vs}
    asked |= {(n, v) for key, n in (("colour", "colors"), ("pattern", "pattern"), ("material", "material"))
              for v in _listed(expect.get(key, []))}
    flips += [f"asked-for {n} {v} is refused" for n, v in sorted(asked) if v in wish.refused.get(n, [])]
    return flips


def judge_turn(expect: dict, meants: list[Meant], meant: Meant, result, before, wishes: list[dict], items: dict,
               embeddings: dict) -> tuple[list[str], list[str]]:
    """A turn's failures and polarity flips (`meant`: next_meant's answer for this turn; `meants` and `wishes`:
    after each earlier turn, newest last)."""
    picks = [p.id for p in result.picks]
    state = wish_state(result.wish)
    if expect.get("or_unchanged") and state == wishes[-1]:
        # Not understood, and nothing corrupted (what the issue asks of a language the model does not read): the
        # picks are judged by what was meant before this turn.
        expect, meant = {"unchanged": True}, meants[-1]
    failures = (check_wish_read(expect, result.wish) + check_moves(expect, result, before, items, embeddings)
                + check_state(expect, state, wishes) + check_picks(meant, items, picks, expect, result.wish.mode))
    return failures, polarity_flips(meant, expect, result.wish, items, picks)
