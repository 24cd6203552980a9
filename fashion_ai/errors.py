"""Domain errors: each carries a message a shopper can read; the app shows it as it is."""

from __future__ import annotations


class FashionAIError(Exception):
    """Base of every error whose message is meant for the user."""


class BadImageError(FashionAIError, ValueError):
    """The upload is not an image we can use (not an image, corrupt, empty, too large, absurd shape)."""


class BadQueryError(FashionAIError, ValueError):
    """The text query is empty, too long or unusable."""


class IndexMissingError(FashionAIError):
    """The catalog index does not exist yet or is empty."""


class ModelUnavailableError(FashionAIError, RuntimeError):
    """A model could not be loaded (not cached and the Hub unreachable, or files missing)."""


class StoreUnavailableError(FashionAIError):
    """The catalog index cannot be used now (its server is gone, its disk is full); what was indexed is kept."""


class IndexLockedError(StoreUnavailableError):
    """Another process has the embedded catalog index open."""
