"""The Chroma client under a catalog store: a server's (``http://host:port``), or an embedded folder's, locked
for this process (locking.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from fashion_ai.catalog.failures import plain_failure
from fashion_ai.catalog.locking import lock_folder, unlock_folder
from fashion_ai.config import DEFAULT_DATA_DIR


def open_client(path: str | Path | None, url: str) -> tuple[Any, str, str]:
    """(client, location, lock key): the server at url, else the embedded store in path (default: the data
    folder's chroma/), whose folder lock the key gives back (unlock_folder). ValueError for a malformed url;
    StoreUnavailableError when the server cannot be reached, IndexLockedError when another process has the folder."""
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    if url:
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"Chroma url must look like http://host:port, not {url!r}")
        port = parsed.port or (443 if parsed.scheme == "https" else 8000)
        try:
            return chromadb.HttpClient(host=parsed.hostname, port=port, ssl=parsed.scheme == "https",
                                       settings=settings), url, ""
        except Exception as exc:
            failure = plain_failure(exc, "connecting", url)
            if failure is not None:
                raise failure from exc
            raise
    folder = Path(path) if path is not None else Path(DEFAULT_DATA_DIR) / "chroma"
    folder.mkdir(parents=True, exist_ok=True)
    key = lock_folder(folder)
    try:
        return chromadb.PersistentClient(path=str(folder), settings=settings), str(folder), key
    except BaseException:
        unlock_folder(key)
        raise
