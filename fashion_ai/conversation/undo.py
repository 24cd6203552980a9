""""Undo that", "go back": the wish as it was before the last turn that changed it.

The state carries one step back, compactly (conversation.state.PreviousState): the last turn's earlier wish, less
what only grows (pieces set aside and swapped out), of which it keeps the ids that turn added. So the state's cap
holds: the step back is at most the size of the wish's own small parts plus one turn's picks.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

from pydantic import ValidationError

from fashion_ai.conversation.state import MAX_SHOWN, PreviousState
from fashion_ai.conversation.wish import Wish

logger = logging.getLogger(__name__)

# The wish's parts a step back restores whole; "rejected" and "swapped" are restored by the ids the turn added.
UNDO_FIELDS = tuple(name for name in PreviousState.model_fields if not name.endswith("_new"))
# The exact forms; other phrasings come from the "undo" intent. "go back to the outfit" is no undo.
UNDO = re.compile(r"\b(?:undo|take (?:that|it) back|revert(?: that| it)?)\b|\bgo back\b(?! to (?:the )?(?:whole |full |"
                  r"complete )?(?:outfit|look))")


def snapshot(wish: Wish) -> dict[str, Any]:
    """The parts of the wish a turn may change, copied (compared after the turn, and kept as its step back)."""
    return copy.deepcopy({name: getattr(wish, name) for name in (*UNDO_FIELDS, "rejected", "swapped")})


def remember(wish: Wish, before: dict[str, Any]) -> None:
    """Keep ``before`` as the wish's step back when the turn changed the wish (a turn that changed nothing keeps the
    step back it had, so "thanks" then "undo" still undoes)."""
    if snapshot(wish) == before:
        return
    previous = {name: before[name] for name in UNDO_FIELDS}
    for name in ("rejected", "swapped"):
        was = set(before[name])
        previous[f"{name}_new"] = [i for i in getattr(wish, name) if i not in was][-MAX_SHOWN:]
    try:
        wish.previous = PreviousState.model_validate(previous).model_dump()
    except ValidationError as exc:  # a wish built in code past a cap: no step back rather than a state that fails
        logger.warning("no step back kept: %s", exc.errors()[0]["msg"])
        wish.previous = None


def undo(wish: Wish) -> Wish | None:
    """The wish before the last turn that changed it (what is on show and the turn count stay), or None when there is
    no step back; one step only: the restored wish has none."""
    previous = wish.previous
    if not previous:
        return None
    parts = copy.deepcopy({name: previous[name] for name in UNDO_FIELDS if name in previous})
    added = {name: set(previous.get(f"{name}_new", [])) for name in ("rejected", "swapped")}
    return Wish(**parts, rejected=[i for i in wish.rejected if i not in added["rejected"]],
                swapped=[i for i in wish.swapped if i not in added["swapped"]], titles=dict(wish.titles),
                shown=list(wish.shown), turns=wish.turns)
