"""What can go wrong under the store, said in one plain sentence: a server gone, a disk full, an index broken.

A full disk is refused before a write, not reported after it: Chroma 1.5.9 writes its HNSW files in place, and
a write cut short by a full disk leaves ``index_metadata.pickle`` truncated and the whole collection unreadable,
even once space is freed (reproduced on a 12 MB tmpfs). So an embedded store checks the free space first.

Shoppers read these sentences as they are, so they name no file paths: an embedded index's folder goes to the
log, and a failure's own text has its paths cut to their last part (fashion_ai.errors.without_paths, which this module
hands on). A server is named by its url.
"""

from __future__ import annotations

import errno
import logging
import shutil
from pathlib import Path

from fashion_ai.errors import StoreUnavailableError, without_paths

logger = logging.getLogger(__name__)

RESERVE_BYTES = 32 * 2**20  # always left free
GROWTH_SHARE = 0.25  # Chroma grows its HNSW files by a fifth at once and rewrites its id map on every save
BYTES_PER_ITEM_WRITTEN = 4096  # metadata, write-ahead log and graph links, on top of 3x the vector
_CONNECTION_ERRORS = ("ConnectError", "ConnectTimeout", "ReadError", "ReadTimeout", "RemoteProtocolError",
                      "WriteError", "PoolTimeout")
def _folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def check_room(folder: Path, items: int, dim: int) -> None:
    """StoreUnavailableError, before anything is written, when the disk under an index folder has too little
    room for `items` more vectors of `dim` floats and the index's own growth."""
    free = shutil.disk_usage(folder).free
    needed = RESERVE_BYTES + GROWTH_SHARE * _folder_bytes(folder) + items * (3 * 4 * dim + BYTES_PER_ITEM_WRITTEN)
    if free < needed:
        logger.warning("the disk holding the catalog index at %s is nearly full: %.0f MB free", folder, free / 2**20)
        raise StoreUnavailableError(
            f"The disk holding the catalog index is nearly full ({free / 2**20:.0f} MB free, "
            f"{needed / 2**20:.0f} MB needed to add {items} items safely), so indexing stopped before writing. "
            f"What was indexed is kept: free some space and run the same command again to go on.")


def plain_failure(exc: Exception, doing: str, server: str = "") -> StoreUnavailableError | None:
    """The plain-message error for a failure of the index itself (of the Chroma server at `server`, or else of an
    embedded index), or None when it is not one."""
    text = without_paths(f"{exc.__class__.__name__}: {' '.join(str(exc).split())}")
    lowered = text.lower()
    index = f"catalog index server at {server}" if server else "catalog index"
    if exc.__class__.__name__ in _CONNECTION_ERRORS or isinstance(exc, ConnectionError) \
            or "could not connect to a chroma server" in lowered:
        return StoreUnavailableError(
            f"The {index} cannot be reached ({text[:160]}), so {doing} failed. Search is back as soon as the server "
            f"is; everything else still works.")
    if getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) \
            or "disk is full" in lowered or "no space left" in lowered:
        return StoreUnavailableError(
            f"The disk holding the {index} is full, so {doing} stopped. Free some space and run it again.")
    if exc.__class__.__name__ == "InternalError" and ("hnsw" in lowered or "backfill" in lowered):
        return StoreUnavailableError(
            f"The {index} failed ({text[:200]}), so {doing} failed. If its disk is full, free some space; if it "
            f"stays broken, rebuild it with `python -m fashion_ai.catalog.index --rebuild`.")
    return None
