"""Generated training data: the same data whether drawn in one process or in workers."""

import torch

from fashion_ai.models.paligemma.tiny import build_tiny_paligemma
from fashion_ai.training.demo_data import training_set


def test_demo_data_made_in_worker_processes_is_the_same_data():
    processor, _ = build_tiny_paligemma()

    def encode(images, items):
        return {"pixel_values": processor.image_processor(images=images, return_tensors="pt")["pixel_values"]}

    one = training_set(600, 3, encode, grid=4, chunk=200, workers=1)
    two = training_set(600, 3, encode, grid=4, chunk=200, workers=2)
    assert [i.id for i in one.items] == [i.id for i in two.items]
    assert torch.equal(one.tensors["pixel_values"], two.tensors["pixel_values"])
    assert torch.equal(one.patch_labels, two.patch_labels) and one.patch_labels.shape == (600, 16, 3)
