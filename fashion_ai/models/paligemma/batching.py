"""Decoders as step generators, driven one photo at a time or many photos in lockstep.

A decoder (constrained.garment_steps, zero_shot's questions) is a generator: each step ``yield``s what it needs
scored (a request) and receives one log-probability per candidate; its ``return`` value is the photo's answer.
``run_steps`` drives one photo with a scorer of its own; ``run_in_lockstep`` drives N photos together: at each
round it gathers the pending request of every unfinished photo and has them all scored in one call (one forward
pass, or a few for a very wide round), so a batch costs the rounds of its longest decode, not the sum of them.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from typing import TypeVar

# Photos decoded together by an extractor's extract_batch: more photos, fewer forward passes, but wider ones (and
# every photo's features held at once); a longer list is read in slices of this many.
DEFAULT_BATCH_SIZE = 32
Request = TypeVar("Request")
Answer = TypeVar("Answer")
Steps = Generator[Request, list[float], Answer]


def run_steps(steps: Steps, score: Callable[[Request], list[float]]) -> Answer:
    """One photo's decode: each request scored by `score`, until the decoder returns its answer."""
    try:
        request = next(steps)
        while True:
            request = steps.send(score(request))
    except StopIteration as done:
        return done.value


def run_in_lockstep(steps: Sequence[Steps],
                    score_round: Callable[[list[tuple[int, Request]]], list[list[float]]]) -> list[Answer]:
    """Every photo's decode advanced together: `score_round` gets each unfinished photo's (index, request) and
    answers one score list per request, in order. Returns the answers in the photos' order."""
    answers: list[Answer | None] = [None] * len(steps)
    pending: dict[int, Request] = {}
    for index, photo_steps in enumerate(steps):
        try:
            pending[index] = next(photo_steps)
        except StopIteration as done:
            answers[index] = done.value
    while pending:
        round_requests = list(pending.items())
        scores = score_round(round_requests)
        for (index, _), photo_scores in zip(round_requests, scores, strict=True):
            try:
                pending[index] = steps[index].send(photo_scores)
            except StopIteration as done:
                answers[index] = done.value
                del pending[index]
    return answers  # type: ignore[return-value]  # every photo finished
