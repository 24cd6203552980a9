"""The non-garment photos of kinds training never draws: deterministic, and apart from the empty scenes."""

import ast
from pathlib import Path

import numpy as np
import pytest

from fashion_ai.training.unseen_scenes import UNSEEN_KINDS, unseen_scene, unseen_scenes

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("kind", UNSEEN_KINDS)
def test_each_kind_is_deterministic_per_seed_and_varied(kind):
    a, b = unseen_scene(kind, 3, seed=8), unseen_scene(kind, 3, seed=8)
    assert a.mode == "RGB" and a.size == (256, 256) and np.array_equal(np.asarray(a), np.asarray(b))
    others = unseen_scenes(kind, 4, seed=9)
    assert all(np.abs(np.asarray(x, np.float32) - np.asarray(a, np.float32)).mean() > 3 for x in others)


def test_training_never_imports_the_unseen_kinds():
    """Only the held-out evaluation may draw them: no training or model module imports this one."""
    for path in [*(ROOT / "fashion_ai").rglob("*.py"), ROOT / "train_space.py"]:
        if path.name in ("unseen_scenes.py", "presence.py"):  # the kinds themselves, and the report that uses them
            continue
        imported = {node.module for node in ast.walk(ast.parse(path.read_text()))
                    if isinstance(node, ast.ImportFrom) and node.module}
        assert "fashion_ai.training.unseen_scenes" not in imported, path
