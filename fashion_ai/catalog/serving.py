"""Which Chroma collection serves a store's name, decided in one atomic step, and what is left over.

A rebuild fills a collection of its own (``<name>.build-<ms>-<hex>``, unique per rebuild, so two rebuilds never
reset each other's) while the one serving stays untouched. A small pointer collection, ``<name>.serving``, names
the collection that serves in its metadata; a swap rewrites that metadata in one call (one SQLite transaction,
embedded or on a server), so a process killed at any instant leaves the old index serving or the new one, never
none. Without a pointer the collection named ``<name>`` serves (a store never rebuilt, or built before pointers).

What a killed rebuild or swap leaves (its build, the collection it retired, the ``-next`` / ``-old-<ms>`` ones of
earlier versions) is removed when the store is next opened, unless a running rebuild owns it: one of this process
(kept in a registry), or, on a server that other processes share, one whose heartbeat is recent.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

POINTER_TAG = ".serving"
BUILD_TAG = ".build-"
SERVES_KEY = "serves"
RETIRED_KEY = "retired"
ALIVE_KEY = "build_alive_at"  # a rebuild's heartbeat (epoch seconds), refreshed while it adds
HEARTBEAT_S = 60.0
# A shared server's build with no heartbeat for this long is taken for dead: far above the time between two
# batches of a rebuild, and above any clock skew between the machines that write and read the heartbeat.
STALE_BUILD_S = 1800.0

_building: set[tuple[str, str]] = set()  # (store place, collection) of this process's running rebuilds
_guard = threading.Lock()


@dataclass(frozen=True)
class Pointer:
    """What a store's pointer says: the collection that serves, and the one the last swap retired."""

    serves: str
    retired: str = ""


def pointer_name(name: str) -> str:
    return f"{name}{POINTER_TAG}"


def build_name(name: str) -> str:
    """A new rebuild's collection: unique, and ordered by when the rebuild began."""
    return f"{name}{BUILD_TAG}{int(time.time() * 1000)}-{secrets.token_hex(3)}"


def read_pointer(client: Any, name: str) -> Pointer | None:
    """The store's pointer; None when it has none (the collection ``name`` serves)."""
    from chromadb.errors import NotFoundError

    try:
        meta = client.get_collection(pointer_name(name), embedding_function=None).metadata or {}
    except NotFoundError:
        return None
    serves = meta.get(SERVES_KEY)
    return Pointer(str(serves), str(meta.get(RETIRED_KEY) or "")) if serves else None


def serving_name(client: Any, name: str) -> str:
    """The collection that serves the store ``name``."""
    pointer = read_pointer(client, name)
    return pointer.serves if pointer else name


def point(client: Any, name: str, serves: str) -> str:
    """Make ``serves`` the collection serving ``name`` (the one write that decides a swap); the collection that
    served until then, which it retires (read from the pointer: another process may have swapped meanwhile)."""
    from chromadb.errors import NotFoundError

    retired = serving_name(client, name)
    meta = {SERVES_KEY: serves, RETIRED_KEY: retired}
    try:
        client.get_collection(pointer_name(name), embedding_function=None).modify(metadata=meta)
    except NotFoundError:
        try:  # the first swap of this store: the pointer is born pointing
            client.create_collection(pointer_name(name), metadata=meta, embedding_function=None)
        except Exception as exc:
            if "already exists" not in str(exc):
                raise
            client.get_collection(pointer_name(name), embedding_function=None).modify(metadata=meta)
    return retired


def drop_serving(client: Any, name: str) -> list[str]:
    """Delete the collection serving ``name`` and its pointer (a reset); the names deleted."""
    serving = serving_name(client, name)
    names = [pointer_name(name), *dict.fromkeys((serving, name))]  # without the pointer, `name` serves: it goes last
    return [collection for collection in names if drop(client, collection)]


def drop(client: Any, collection: str) -> bool:
    """Delete a collection; False when it was already gone."""
    from chromadb.errors import NotFoundError

    try:
        client.delete_collection(collection)
    except NotFoundError:
        return False
    return True


def swap_step(step: str) -> None:
    """Called after each step of a swap ("staged", "pointed", "retired"); does nothing. (Tests kill the process
    here, to show that a swap cut short at any step leaves a whole index.)"""


# ------------------------------------------------------------------------------------------- running rebuilds
def register(place: str, collection: str) -> None:
    """A rebuild of this process began filling `collection` of the store at `place`."""
    with _guard:
        _building.add((place, collection))


def unregister(place: str, collection: str) -> None:
    with _guard:
        _building.discard((place, collection))


def building_here(place: str) -> set[str]:
    """The collections this process's running rebuilds fill at `place`."""
    with _guard:
        return {collection for where, collection in _building if where == place}


# ------------------------------------------------------------------------------------------- leftovers
def leftovers(collections: Iterable[tuple[str, dict | None]], name: str, pointer: Pointer | None,
              owned: set[str], shared: bool, now: float) -> list[str]:
    """The collections of the store ``name`` that nothing serves and no running rebuild owns.

    collections: (name, metadata) of every collection there is; owned: this process's running rebuilds'; shared:
    other processes may be rebuilding too (a server), so a build with a recent heartbeat is theirs and stays.
    """
    serving = pointer.serves if pointer else name
    builds = re.compile(re.escape(name + BUILD_TAG) + r"\d+-[0-9a-f]+")
    legacy = re.compile(re.escape(name) + r"-(next|old-\d+)")  # staging and retired ones of earlier versions
    found = []
    for collection, meta in collections:
        if collection in (serving, pointer_name(name)) or collection in owned:
            continue
        if collection == name or legacy.fullmatch(collection):
            found.append(collection)
        elif builds.fullmatch(collection):
            alive_at = (meta or {}).get(ALIVE_KEY)
            fresh = isinstance(alive_at, (int, float)) and now - alive_at < STALE_BUILD_S
            if not (shared and fresh and collection != (pointer.retired if pointer else "")):
                found.append(collection)
    return found


def remove_leftovers(client: Any, name: str, place: str, shared: bool) -> list[str]:
    """Delete the store's leftovers (see leftovers()); the names deleted."""
    listed = [(col.name, col.metadata) for col in client.list_collections()]
    pointer = read_pointer(client, name)  # read after the listing: a swap before it is seen, so its build stays
    removed = []
    for collection in leftovers(listed, name, pointer, building_here(place), shared, time.time()):
        if drop(client, collection):
            removed.append(collection)
            logger.info("removed %r, left over by a rebuild of %r that did not finish", collection, name)
    return removed
