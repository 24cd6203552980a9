"""Constrained decoding of the JSON answer: the model writes our garments JSON, but at every point it may only choose
among what the schema allows, each choice scored as a continuation of the JSON written so far.

The grammar is the one training taught (``garments_to_json``: compact JSON, keys in schema order):
``[{"category":"dress","colors":["red"],"pattern":"floral"}]``, or ``[]`` for a photo with no garment. The first
choice is between those two starts: ``[]`` (and the end of the answer) against ``[{"category":``, whose probability
is the garment-or-not decision (NO_GARMENT_THRESHOLD). At a value the candidates are the field's allowed
values; after a value, the next key of the schema or the end of the garment; after a garment, the end of the list
or another garment. The JSON always parses and every value is one the schema knows; a value whose best two
candidates are close is written (the model goes on from its best guess) but left out of the garment as unsure.

The decoder is a generator of scoring requests (``garment_steps``): ``decode_garments`` drives it for one photo with
a scorer, and the extractor's batch drives many photos' decoders in lockstep (batching.run_in_lockstep).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Sequence

from fashion_ai.models.extraction import FieldGuess, guess_from_scores, presence_guess, says_no_garment
from fashion_ai.models.paligemma.batching import run_steps
from fashion_ai.schema import FIELDS, LIST_FIELDS, Garment

DEFAULT_MAX_GARMENTS = 4
MAX_COLORS = 3
NO_ANSWER, GARMENT_START = "[]", '[{"category":'
# "No garment" when the model gives "[]" at least this probability against starting a garment: 0.5, the model's own
# preference, as at every other choice of the decoder. Checked on the recipe's tuning seed 1001 (200 empty scenes,
# 200 demo items) with a tiny model trained at reduced size (2,000 items, 800 + 800 steps): the model puts nearly
# all its mass on one side, so from 0.3 to 0.7 "no garment" on empty scenes moves only 0.89 -> 0.83 and falsely on
# items 0.010 -> 0.000; no hand-set bias either way, for a real PaliGemma fine-tune too.
NO_GARMENT_THRESHOLD = 0.5
# Score(candidates, complete) -> one log-probability per candidate, given the JSON written so far.
Scorer = Callable[[str, Sequence[str], Sequence[bool]], list[float]]
# What a decoding step asks scored: (the JSON written so far, the candidates, whether each ends the answer).
StepRequest = tuple[str, list[str], list[bool]]
# The JSON text chosen, the garments (sure values only), every scored value per garment, the garment-or-not guess.
Decoded = tuple[str, list[Garment], list[dict[str, FieldGuess]], FieldGuess]
DecodeSteps = Generator[StepRequest, list[float], Decoded]


def _quoted(value: str) -> str:
    return json.dumps(value)


def _choose(written: str, options: Sequence[str], complete: Sequence[bool] | None = None
            ) -> Generator[StepRequest, list[float], int]:
    scores = yield written, list(options), list(complete or [False] * len(options))
    return max(range(len(options)), key=lambda i: scores[i])


def _value(written: str, name: str, exclude: Sequence[str] = ()) -> Generator[StepRequest, list[float], FieldGuess]:
    values = [v for v in FIELDS[name] if v not in exclude]
    scores = yield written, [_quoted(v) for v in values], [False] * len(values)
    return guess_from_scores(name, values, scores)


def _presence_steps() -> Generator[StepRequest, list[float], FieldGuess]:
    garment, none = yield "", [GARMENT_START, NO_ANSWER], [False, True]
    return presence_guess(garment, none)


def garment_presence(score: Scorer) -> FieldGuess:
    """The first choice: a garment ("yes", the answer starts ``[{"category":``) or none ("no", the answer is ``[]``)."""
    return run_steps(_presence_steps(), lambda request: score(*request))


def decode_garments(score: Scorer, max_garments: int = DEFAULT_MAX_GARMENTS,
                    threshold: float = NO_GARMENT_THRESHOLD) -> Decoded:
    """The JSON text the model chose, its garments (sure values only), every scored value per garment, and the
    garment-or-not decision ("[]" with no garments when "no" reaches the threshold)."""
    return run_steps(garment_steps(max_garments, threshold), lambda request: score(*request))


def garment_steps(max_garments: int = DEFAULT_MAX_GARMENTS, threshold: float = NO_GARMENT_THRESHOLD) -> DecodeSteps:
    """decode_garments as a generator: yields each (written, candidates, complete) to score, is sent the scores, and
    returns what decode_garments returns."""
    presence = yield from _presence_steps()
    if says_no_garment(presence, threshold):
        return NO_ANSWER, [], [], presence
    names = list(FIELDS)
    written = GARMENT_START
    garments: list[Garment] = []
    guesses: list[dict[str, FieldGuess]] = []
    while True:
        chosen: dict[str, FieldGuess] = {}
        colors: list[str] = []
        name = "category"
        while True:
            if name in LIST_FIELDS:
                written += "["
                guess = yield from _value(written, name)
                chosen[name] = guess
                colors = [guess.value]
                written += _quoted(guess.value)
                while len(colors) < MAX_COLORS:  # another colour, or the end of the list
                    more = [c for c in FIELDS[name] if c not in colors]
                    options = ["]"] + ["," + _quoted(c) for c in more]
                    pick = yield from _choose(written, options)
                    if pick == 0:
                        break
                    colors.append(more[pick - 1])
                    written += options[pick]
                written += "]"
            else:
                guess = yield from _value(written, name)
                chosen[name] = guess
                written += _quoted(guess.value)
            # The next key in schema order, or the end of this garment.
            rest = names[names.index(name) + 1:]
            options = ["}"] + ["," + _quoted(n) + ":" for n in rest]
            pick = yield from _choose(written, options)
            written += options[pick]
            if pick == 0:
                break
            name = rest[pick - 1]
        values = {n: g.value for n, g in chosen.items() if n == "category" or g.sure}
        if "colors" in values:
            values["colors"] = colors if chosen["colors"].sure else []
        garments.append(Garment(**values))
        guesses.append(chosen)
        if len(garments) >= max_garments:
            written += "]"
            break
        pick = yield from _choose(written, ["]", ',{"category":'], [True, False])
        if pick == 0:
            written += "]"
            break
        written += ',{"category":'
    return written, garments, guesses, presence
