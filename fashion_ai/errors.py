"""Domain errors: each carries a message a shopper can read; the app shows it as it is."""

from __future__ import annotations


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
