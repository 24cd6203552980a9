"""The prompt our PaliGemma is taught, and its answer's length: constants that data and docs modules read without
loading torch (this module imports nothing)."""

DEFAULT_PROMPT = "extract data in JSON format"
DEFAULT_MAX_NEW_TOKENS = 160
