"""Tagging a catalog: the attribute extractor reads each item's photo and the query reader its title, for the fields
the shop left empty (fashion_ai.catalog.tags keeps what they read). CLI: ``python -m fashion_ai.tagging``."""
