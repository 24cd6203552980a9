"""The chat state as a client sends it back, declared as a schema: every part of a wish typed, prices finite and not
negative, values the garment schema knows, every size capped. The state is the client's to keep, so nothing in it
is trusted: a part that does not fit the schema is dropped and named, so the reply can say what was left out, and a
state too large or not a JSON object is refused whole before any of it is read.
"""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError, create_model
from typing_extensions import NotRequired, Required, TypedDict

from fashion_ai.retrieval.kinds import category_of
from fashion_ai.retrieval.outfits import OUTFIT_GROUPS
from fashion_ai.retrieval.query import is_plain, plain_words
from fashion_ai.retrieval.rules import LEVELS
from fashion_ai.schema import FIELDS, GENDERS, LIST_FIELDS, SEARCH_FIELDS

logger = logging.getLogger(__name__)

OUTFIT, ITEMS = "outfit", "items"  # one piece per slot, or several items of the kinds asked
WISH_FIELDS = tuple(SEARCH_FIELDS)  # category, colors, pattern, material, style, occasion, season

# Caps. Each is far above what a conversation of ours writes (Wish.fit_caps keeps a long one within them), and
# together they keep a state under MAX_STATE_CHARS, so the work a state can ask for stays small.
MAX_STATE_CHARS = 200_000  # the whole state as JSON text: ours stay under about 160,000 at every cap
MAX_PIECES = 200  # pieces set aside, and pieces swapped out (the latest kept): the planner fetches past them
MAX_LIKED = 50  # pieces liked: each one's photo steers the next picks
MAX_SHOWN = 24  # picks shown in one turn (6, or up to 2 fixes per garment of an outfit photo)
MAX_KINDS = 20  # nouns narrowing a category ("ankle boots"), wanted or refused
MAX_UNSOLD = 20  # garment words the catalog has no kind for
MAX_ID_CHARS = 128  # a catalog item id
MAX_NAME_CHARS = 60  # a category or colour as a catalog names it
MAX_TITLE_CHARS = 200  # an item's title (longer ones are cut when written)
MAX_REASON_CHARS = 500  # why a pick was picked
MAX_WORDS_CHARS = 2_000  # words searched by meaning (at most one message's)
MAX_COLORS = len(FIELDS["colors"])
MAX_TURNS = 10**6
SLOTS = tuple(OUTFIT_GROUPS)

_STRICT = ConfigDict(strict=True, extra="forbid")


def _plain_id(value: str) -> str:
    if not is_plain(value):  # an id is never changed: one with markup is no id of ours
        raise ValueError("an item id holds markup")
    return value


def _levels(value: list[int]) -> list[int]:
    if value[0] > value[1]:
        raise ValueError("the dress-code range goes from low to high")
    return value


def _kind(value: str) -> str:
    if category_of(value) is None:
        raise ValueError("not a kind of garment the lexicon knows")
    return value


def _made_plain(value: str) -> str:
    return value if is_plain(value) else plain_words(value)


def _text(max_chars: int) -> Any:
    """Catalog or shopper text the reply may echo: bounded, and made plain (markup removed)."""
    return Annotated[str, StringConstraints(max_length=max_chars), AfterValidator(_made_plain)]


def _values(name: str) -> Any:
    """A list of one field's schema values, each at most once."""
    values = SEARCH_FIELDS.get(name) or FIELDS[name]
    return Annotated[list[Literal[values]], Field(max_length=len(values))]  # type: ignore[valid-type]


ItemId = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID_CHARS), AfterValidator(_plain_id)]
Price = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Slot = Literal[SLOTS]  # type: ignore[valid-type]
Kind = Annotated[str, StringConstraints(max_length=MAX_NAME_CHARS), AfterValidator(_kind)]
Level = Annotated[int, Field(ge=min(LEVELS), le=max(LEVELS))]  # strict: True is no level

# field -> the values wanted (or refused), as the schema names them.
FieldValues = TypedDict("FieldValues", {name: NotRequired[_values(name)] for name in WISH_FIELDS})  # type: ignore[misc]
FieldValues.__pydantic_config__ = _STRICT  # type: ignore[attr-defined]
# The shopper's own garment (read from a photo): Garment.to_dict()'s form, every value the schema's.
GarmentState = TypedDict("GarmentState", {  # type: ignore[misc]
    name: Required[Literal[values]] if name == "category" else NotRequired[  # type: ignore[valid-type]
        _values(name) if name in LIST_FIELDS else Literal[values]]  # type: ignore[valid-type]
    for name, values in FIELDS.items()})
GarmentState.__pydantic_config__ = _STRICT  # type: ignore[attr-defined]


class ShownState(BaseModel):
    """A pick as the shopper saw it (conversation.wish.Shown): catalog data, so typed and bounded, not vetted."""

    model_config = _STRICT

    id: ItemId
    title: _text(MAX_TITLE_CHARS)
    category: _text(MAX_NAME_CHARS)
    colors: Annotated[list[_text(MAX_NAME_CHARS)], Field(max_length=MAX_COLORS)]
    price: Price | None
    slot: Slot | None = None
    reason: _text(MAX_REASON_CHARS) = ""


class WishState(BaseModel):
    """The whole state (conversation.wish.Wish): one field for each of the wish's, with its type and caps."""

    model_config = ConfigDict(strict=True, extra="ignore")  # keys of another version are no part of the wish

    mode: Literal[OUTFIT, ITEMS] = OUTFIT
    wanted: FieldValues = Field(default_factory=dict)
    refused: FieldValues = Field(default_factory=dict)
    kinds: Annotated[list[Kind], Field(max_length=MAX_KINDS)] = Field(default_factory=list)
    refused_kinds: Annotated[list[Kind], Field(max_length=MAX_KINDS)] = Field(default_factory=list)
    max_price: Price | None = None
    min_price: Price | None = None
    total_budget: Price | None = None
    price_preference: Literal["low", "high"] | None = None
    gender: Literal[GENDERS] | None = None  # type: ignore[valid-type]
    levels: Annotated[list[Level], Field(min_length=2, max_length=2), AfterValidator(_levels)] | None = None
    slot_caps: dict[Slot, Price] = Field(default_factory=dict)
    garment: GarmentState | None = None
    liked: Annotated[dict[ItemId, Slot | Literal[""]], Field(max_length=MAX_LIKED)] = Field(default_factory=dict)
    rejected: Annotated[list[ItemId], Field(max_length=MAX_PIECES)] = Field(default_factory=list)
    swapped: Annotated[list[ItemId], Field(max_length=MAX_PIECES)] = Field(default_factory=list)
    skipped: Annotated[list[Slot], Field(max_length=len(SLOTS))] = Field(default_factory=list)
    titles: Annotated[dict[ItemId, _text(MAX_TITLE_CHARS)], Field(max_length=MAX_LIKED + MAX_PIECES + MAX_SHOWN)
                      ] = Field(default_factory=dict)
    words: _text(MAX_WORDS_CHARS) = ""
    unsold: Annotated[list[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z'-]*$", max_length=MAX_NAME_CHARS)]],
                      Field(max_length=MAX_UNSOLD)] = Field(default_factory=list)
    shown: Annotated[list[ShownState], Field(max_length=MAX_SHOWN)] = Field(default_factory=list)
    turns: Annotated[int, Field(ge=0, le=MAX_TURNS)] = 0
    previous: PreviousState | None = None  # one step back, for "undo" (conversation.undo)


# The wish before the last turn that changed it: the wish's own parts with their types and caps, less what only grows
# (pieces set aside and swapped out: of those, the ids that turn added, at most one turn's picks), so the step back
# adds at most about 25,000 characters to a state at every cap.
_UNDONE = ("mode", "wanted", "refused", "kinds", "refused_kinds", "max_price", "min_price", "total_budget",
           "price_preference", "gender", "levels", "slot_caps", "garment", "liked", "skipped", "words", "unsold")
PreviousState = create_model(
    "PreviousState", __config__=_STRICT,
    **{name: (WishState.model_fields[name].annotation, WishState.model_fields[name]) for name in _UNDONE},
    rejected_new=(Annotated[list[ItemId], Field(max_length=MAX_SHOWN)], Field(default_factory=list)),
    swapped_new=(Annotated[list[ItemId], Field(max_length=MAX_SHOWN)], Field(default_factory=list)))
WishState.model_rebuild()


_ORDER = {name: i for i, name in enumerate(WishState.model_fields)}  # what was dropped is said in the wish's order
# How deep a failing part is dropped: an entry of a list or table (a value of wanted's colours), else the field.
_PART_DEPTH = {"wanted": 3, "refused": 3, "kinds": 2, "refused_kinds": 2, "slot_caps": 2, "liked": 2, "rejected": 2,
               "swapped": 2, "skipped": 2, "titles": 2, "unsold": 2, "shown": 2}
_GONE = object()
# What the shopper is told could not be read: (one entry, the whole part).
_NAMES: dict[str, tuple[str, str]] = {
    "mode": ("whether you wanted a whole outfit or single pieces",) * 2,
    "kinds": ("a kind of garment you asked for", "the kinds of garment you asked for"),
    "refused_kinds": ("a kind of garment you ruled out", "the kinds of garment you ruled out"),
    "max_price": ("the price per piece you set",) * 2,
    "min_price": ("the lowest price per piece you asked for",) * 2,
    "total_budget": ("the budget you set",) * 2,
    "price_preference": ("whether you wanted cheaper or pricier first",) * 2,
    "gender": ("who the clothes are for",) * 2,
    "levels": ("the dress code you set",) * 2,
    "slot_caps": ("a price to beat from “cheaper” or “pricier”", "the prices to beat from “cheaper” or “pricier”"),
    "garment": ("your own garment",) * 2,
    "liked": ("a piece you liked", "the pieces you liked"),
    "rejected": ("a piece you set aside", "the pieces you set aside"),
    "swapped": ("a piece you swapped out", "the pieces you swapped out"),
    "skipped": ("a part of the outfit you left out", "the parts of the outfit you left out"),
    "titles": ("a piece's name", "the pieces' names"),
    "words": ("the words you searched for",) * 2,
    "unsold": ("a garment you asked for", "the garments you asked for"),
    "shown": ("a pick I showed you", "the picks I showed you"),
    "turns": ("the turn count",) * 2,
    "previous": ("the step to undo",) * 2,
}
_FIELD_NAMES = {"category": "a kind of garment", "colors": "a colour", "pattern": "a pattern",
                "material": "a material", "style": "a style", "occasion": "an occasion", "season": "a season"}


def state_data(state: str | dict) -> dict[str, Any]:
    """The state as fresh JSON data; ValueError for one too large (measured, whatever its form, without reading
    past the cap), not JSON or not a JSON object."""
    if isinstance(state, dict):
        state = _bounded_json(state)
    elif not isinstance(state, str):
        raise ValueError("a conversation state is a JSON object")
    if len(state) > MAX_STATE_CHARS:
        raise ValueError(f"the conversation state is too large (over {MAX_STATE_CHARS:,} characters)")
    try:
        data = json.loads(state)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"the conversation state is not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ValueError("a conversation state is a JSON object")
    return data


def _bounded_json(data: dict) -> str:
    """A dict as JSON text, encoded piece by piece and given up past MAX_STATE_CHARS (a huge one costs no more)."""
    chunks, size = [], 0
    try:
        for chunk in json.JSONEncoder(ensure_ascii=True).iterencode(data):  # lazy: not the one-shot C encoder
            size += len(chunk)
            if size > MAX_STATE_CHARS:
                raise ValueError(f"the conversation state is too large (over {MAX_STATE_CHARS:,} characters)")
            chunks.append(chunk)
    except (TypeError, RecursionError) as exc:  # not JSON data, or nested past reason
        raise ValueError("the conversation state is not JSON data") from exc
    return "".join(chunks)


def read_state(data: dict[str, Any]) -> tuple[WishState, list[str]]:
    """The state's parts that fit the schema, and what was dropped in a shopper's words (each part once)."""
    dropped: list[str] = []
    data = _purged(data)  # a copy as deep as a part goes: the caller's data is left as it was
    for attempt in range(3):
        try:
            return WishState.model_validate(data), list(dict.fromkeys(dropped))
        except ValidationError as exc:
            # One pass drops entries; should an entry's removal not settle a part, the next drops the whole field.
            parts = {_part(error["loc"], whole=attempt > 0) for error in exc.errors()}
            logger.warning("chat state: dropped %s", sorted(map(str, parts)))
            for part in sorted(parts, key=lambda part: (_ORDER.get(str(part[0]), 0), str(part))):
                dropped.append(_name(part))
                _drop(data, part)
            data = _purged(data)
    raise AssertionError("unreachable: every field's default fits the schema")


def _part(loc: tuple, whole: bool) -> tuple:
    loc = tuple(step for step in loc if step != "[key]")  # a bad key drops its entry
    return loc[:1] if whole else loc[:_PART_DEPTH.get(str(loc[0]), 1)]


def _name(part: tuple) -> str:
    field = str(part[0])
    if field in ("wanted", "refused"):
        what = _FIELD_NAMES.get(str(part[1])) if len(part) > 1 else None
        verb = "asked for" if field == "wanted" else "ruled out"
        return f"{what} you {verb}" if what else f"what you {verb}"
    one, whole = _NAMES.get(field, ("a part of it", "a part of it"))
    return one if len(part) > 1 else whole


def _drop(data: Any, part: tuple) -> None:
    """Mark the part gone (list positions stay put until _purged, so several drops in one list are exact)."""
    for step in part[:-1]:
        try:
            data = data[step]
        except (KeyError, IndexError, TypeError):
            return
    if isinstance(data, dict) and part[-1] in data:
        data[part[-1]] = _GONE
    elif isinstance(data, list) and isinstance(part[-1], int) and 0 <= part[-1] < len(data):
        data[part[-1]] = _GONE


def _purged(value: Any, depth: int = 3) -> Any:
    """The data without the parts marked gone (as deep as a part goes)."""
    if depth == 0:
        return value
    if isinstance(value, dict):
        return {k: _purged(v, depth - 1) for k, v in value.items() if v is not _GONE}
    if isinstance(value, list):
        return [_purged(v, depth - 1) for v in value if v is not _GONE]
    return value


def dropped_note(dropped: list[str]) -> str:
    """The reply's sentence for what a state lost: "I could not read the budget you set, so I left it out."."""
    what = dropped[0] if len(dropped) == 1 else ", ".join(dropped[:-1]) + " and " + dropped[-1]
    return f"I could not read {what} in the conversation you sent back, so I left {'it' if len(dropped) == 1 else 'them'} out."
