"""The non-garment photos of kinds training never draws: deterministic, and apart from the empty scenes."""

import ast
import subprocess
import sys
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
        if path.name in ("unseen_scenes.py", "heldout.py"):  # the kinds themselves, and the held-out report's sets
            continue
        imported = {node.module for node in ast.walk(ast.parse(path.read_text()))
                    if isinstance(node, ast.ImportFrom) and node.module}
        assert "fashion_ai.training.unseen_scenes" not in imported, path


def test_the_training_recipes_do_not_even_load_them():
    code = ("import sys, fashion_ai.training.paligemma, fashion_ai.training.clip, train_space; "
            "print('fashion_ai.training.unseen_scenes' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "False", done.stderr
