"""PaliGemma, the attribute extractor: loading (hub id, folder, adapter, 4-bit), inference, tiny demo model."""
