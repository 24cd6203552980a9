"""Empty scenes: photos with no garment, varied, deterministic per seed."""

from collections import Counter

import numpy as np
import pytest

from fashion_ai.demo_world import EMPTY_KINDS, generate_empty_scene, generate_item


def test_an_empty_scene_is_the_same_for_a_seed_and_index_and_differs_otherwise():
    a, mask_a, kind_a = generate_empty_scene(12, seed=3)
    b, mask_b, kind_b = generate_empty_scene(12, seed=3)
    c, _, kind_c = generate_empty_scene(12, seed=4)
    assert kind_a == kind_b == kind_c  # the kind follows the index: every chunk of rows gets all kinds
    assert np.array_equal(np.asarray(a), np.asarray(b)) and np.array_equal(np.asarray(mask_a), np.asarray(mask_b))
    assert not np.array_equal(np.asarray(a), np.asarray(c))
    # ... and its own namespace: not the demo item of the same seed and index.
    assert a.size == generate_item(12, seed=3)[1].size


def test_empty_scenes_have_no_garment_mask_and_come_in_every_kind():
    kinds = Counter()
    for index in range(70):
        image, mask, kind = generate_empty_scene(index, seed=9)
        kinds[kind] += 1
        assert image.mode == "RGB" and image.size == (256, 256) and mask.size == image.size
        assert mask.mode == "L" and mask.getbbox() is None  # nothing is garment
    assert set(kinds) == set(EMPTY_KINDS) and len(EMPTY_KINDS) >= 7
    assert max(kinds.values()) - min(kinds.values()) <= 1


def test_empty_scenes_vary_within_a_kind():
    for kind in EMPTY_KINDS:
        photos = [np.asarray(generate_empty_scene(i, seed=5, size=64, kinds=(kind,))[0], dtype=np.float32)
                  for i in range(6)]
        means = [p.mean(axis=(0, 1)) for p in photos]
        # No two scenes of a kind are the same picture (two light backdrops may differ by a grey level or two).
        assert all(np.abs(photos[i] - photos[j]).mean() > 0 for i in range(6) for j in range(i)), kind
        assert np.ptp(np.stack(means), axis=0).max() > 10, kind


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="uniform"):
        generate_empty_scene(0, seed=1, kinds=("landscape",))
