"""Training of the attribute extractor (PaliGemma) and the catalog embedder (CLIP).

The same engine trains the real checkpoints (LoRA / QLoRA on a hub PaliGemma, contrastive fine-tuning of a hub
CLIP) and the demo profile's tiny models of the same classes, which are built from configs because the Hub cannot
be reached offline: config (settings), engine (loop, schedule, checkpoints), demo_data and warmup (the generated
world), examples (real datasets), metrics, and one recipe per model (paligemma, clip).
"""
