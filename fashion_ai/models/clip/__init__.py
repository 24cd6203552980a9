"""CLIP, the catalog embedder: loading (hub id or folder), embeddings, tiny demo model."""
