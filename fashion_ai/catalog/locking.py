"""One process per embedded index folder: Chroma's PersistentClient is thread-safe but not process-safe (a second
process writing the same folder can hang or corrupt it), so the store takes a lock on the folder first.

A POSIX record lock (``fcntl.lockf``): held per process, so every store of one process shares it, and released
by the system when the process ends, however it ends.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from fashion_ai.errors import IndexLockedError

logger = logging.getLogger(__name__)

LOCK_FILE = ".fashion-ai.lock"
_held: dict[str, tuple[int, int]] = {}  # folder -> (file descriptor, how many stores use it)
_guard = threading.Lock()


def _holder(path: Path) -> str:
    try:
        pid = path.read_text().strip()
    except OSError:
        return "another process"
    return f"another process (pid {pid})" if pid.isdigit() else "another process"


def lock_folder(folder: Path) -> str:
    """Lock an index folder for this process; the key to give to unlock_folder. IndexLockedError when another
    process holds it."""
    import fcntl

    key = str(Path(folder).resolve())
    with _guard:
        if key in _held:
            fd, users = _held[key]
            _held[key] = (fd, users + 1)
            return key
        path = Path(key) / LOCK_FILE
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            holder = _holder(path)
            logger.warning("the catalog index at %s is in use by %s", key, holder)  # the folder: for the log only
            raise IndexLockedError(
                f"The catalog index is in use by {holder}. One process at a time may open an embedded index: stop "
                f"the other one, or serve the index from a Chroma server (`chroma run --path <its folder>`) and set "
                f"FASHION_AI_CHROMA_URL.") from exc
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        _held[key] = (fd, 1)
        logger.debug("locked %s", key)
        return key


def unlock_folder(key: str) -> None:
    """Give back one use of a folder's lock; the last one releases it."""
    with _guard:
        if key not in _held:
            return
        fd, users = _held[key]
        if users > 1:
            _held[key] = (fd, users - 1)
            return
        del _held[key]
        os.close(fd)  # closing the descriptor releases the lock
        logger.debug("unlocked %s", key)
