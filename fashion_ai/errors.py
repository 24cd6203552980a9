"""Domain errors: each carries a message a shopper can read; the app shows it as it is.

Shoppers read these messages as they are, so they name no file paths: a folder goes to the log, and a failure's
own text has its paths cut to their last part (without_paths).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath, PureWindowsPath

# A url (kept whole), or an absolute path: POSIX after a start, a space, a quote, a bracket, '=' or ':'; Windows
# with a drive letter. A path ends at a space, a quote, a bracket, a comma or a colon, and not with a full stop.
_URL_OR_PATH = re.compile(r"""(?P<url>\b[a-zA-Z][\w+.-]*://[^\s'"`]*)"""
                          r"""|(?P<path>(?:(?<=^)|(?<=[\s'"`(\[=:]))(?:/|[A-Za-z]:\\)[^\s'"`()\[\],:]*[^\s'"`()\[\],:.])""")


def without_paths(text: str) -> str:
    """The text with each absolute file path cut to its last part ("/srv/data/chroma/x.bin" -> "x.bin")."""
    def cut(match: re.Match) -> str:
        if match.group("url"):
            return match.group("url")
        path = match.group("path")
        name = (PureWindowsPath(path) if "\\" in path else PurePosixPath(path)).name
        return name or "the folder"

    return _URL_OR_PATH.sub(cut, text)


class FashionAIError(Exception):
    """Base of every error whose message is meant for the user."""


class BadImageError(FashionAIError, ValueError):
    """The upload is not an image we can use (not an image, corrupt, empty, too large, absurd shape)."""


class BadQueryError(FashionAIError, ValueError):
    """The text query is empty, too long or unusable."""


class TextTooLongError(BadQueryError):
    """A text is longer than its cap: ``length`` characters (raw, when refused unread) against ``limit``."""

    def __init__(self, what: str, length: int, limit: int):
        super().__init__(f"That {what} is {length} characters long; please keep it under {limit}.")
        self.what, self.length, self.limit = what, length, limit

    def __reduce__(self):  # pickles (to and from a worker process) with its own arguments
        return type(self), (self.what, self.length, self.limit)


class IndexMissingError(FashionAIError):
    """The catalog index does not exist yet or is empty."""


class ModelUnavailableError(FashionAIError, RuntimeError):
    """A model could not be loaded (not cached and the Hub unreachable, or files missing)."""


class StoreUnavailableError(FashionAIError):
    """The catalog index cannot be used now (its server is gone, its disk is full); what was indexed is kept."""


class IndexLockedError(StoreUnavailableError):
    """Another process has the embedded catalog index open."""
