"""One process per embedded index folder: Chroma's PersistentClient is thread-safe but not process-safe (a second
process writing the same folder can hang or corrupt it), so the store takes a lock on the folder first.

A ``filelock.FileLock`` (an ``flock`` on the folder's lock file): one lock per folder and process, shared by every
store of the process whatever thread opens or closes it, and released by the system when the process ends, however
it ends. The holder writes its pid into the lock file, so a process that is refused can say who holds it.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from filelock import FileLock, Timeout

from fashion_ai.errors import IndexLockedError

logger = logging.getLogger(__name__)

LOCK_FILE = ".fashion-ai.lock"
_held: dict[str, FileLock] = {}  # folder -> its lock, while a store of this process uses it
_guard = threading.Lock()


def _write_pid(fd: int) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)


def _holder(path: Path) -> str:
    try:
        pid = path.read_text().strip()
    except OSError:
        return "another process"
    return f"another process (pid {pid})" if pid.isdigit() else "another process"


def lock_folder(folder: Path) -> str:
    """Lock an index folder for this process; the key to give to unlock_folder. IndexLockedError when another
    process holds it."""
    key = str(Path(folder).resolve())
    with _guard:
        # thread_local=False: the hold is the process's, counted across threads (a store may close in another
        # thread than it opened in); blocking=False: a held folder is refused at once, not waited for.
        lock = _held.get(key) or FileLock(Path(key) / LOCK_FILE, thread_local=False, blocking=False,
                                          on_acquired=_write_pid)
        try:
            lock.acquire()
        except Timeout as exc:
            holder = _holder(Path(key) / LOCK_FILE)
            logger.warning("the catalog index at %s is in use by %s", key, holder)  # the folder: for the log only
            raise IndexLockedError(
                f"The catalog index is in use by {holder}. One process at a time may open an embedded index: stop "
                f"the other one, or serve the index from a Chroma server (`chroma run --path <its folder>`) and set "
                f"FASHION_AI_CHROMA_URL.") from exc
        if key not in _held:
            _held[key] = lock
            logger.debug("locked %s", key)
        return key


def unlock_folder(key: str) -> None:
    """Give back one use of a folder's lock; the last one releases it."""
    with _guard:
        lock = _held.get(key)
        if lock is None:
            return
        lock.release()
        if not lock.is_locked:
            del _held[key]
            logger.debug("unlocked %s", key)
