"""Generated training data: the same data whether drawn in one process or in workers."""

import pytest
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


# --------------------------------------------------------------------------------------------- empty scenes
def test_empty_scenes_are_taught_as_no_garment_and_background():
    from fashion_ai.demo_world import generate_item
    from fashion_ai.training.demo_data import BACKGROUND, LABELS, empty_rows
    from fashion_ai.training.paligemma import demo_inputs

    processor, _ = build_tiny_paligemma()
    tensors, labels, patches = empty_rows(30, 4, lambda images, items: demo_inputs(processor, images, items), grid=4)
    answer = tensors["labels"][0][tensors["labels"][0] != -100]
    assert processor.tokenizer.decode(answer, skip_special_tokens=True).replace(" ", "") == "[]"
    assert all(torch.equal(row[row != -100], answer) for row in tensors["labels"])  # every scene: "[]"
    assert tensors["pixel_values"].shape == (30, 3, 64, 64) and tensors["pixel_values"].dtype == torch.float16
    assert BACKGROUND == len(LABELS["category"])
    assert (labels["category"] == BACKGROUND).all() and all((labels[name] == -100).all() for name in LABELS
                                                            if name != "category")
    assert patches.shape == (30, 16, 3) and (patches[..., 0] == BACKGROUND).all() and (patches[..., 1:] == -100).all()
    # A demo item next to them keeps its garment as the target.
    item, image = generate_item(0, 4)
    row = demo_inputs(processor, [image], [item])["labels"][0]
    assert processor.tokenizer.decode(row[row != -100], skip_special_tokens=True).replace(" ", "").startswith(
        '[{"category":"' + item.category)


def test_empty_rows_are_the_same_drawn_in_workers_or_not():
    from fashion_ai.training.demo_data import empty_rows

    processor, _ = build_tiny_paligemma()

    def encode(images, items):
        assert all(item is None for item in items)
        return {"pixel_values": processor.image_processor(images=images, return_tensors="pt")["pixel_values"]}

    one = empty_rows(300, 2, encode, grid=4, chunk=100, workers=1)
    two = empty_rows(300, 2, encode, grid=4, chunk=100, workers=2)
    assert torch.equal(one[0]["pixel_values"], two[0]["pixel_values"]) and torch.equal(one[2], two[2])
    assert not torch.equal(one[0]["pixel_values"], empty_rows(300, 3, encode, grid=4, chunk=100)[0]["pixel_values"])


def test_each_added_block_fills_its_share_of_every_batch():
    from fashion_ai.training.demo_data import LABELS, TrainingSet, empty_label_tensors

    def rows(n, value):
        return {"pixel_values": torch.full((n, 3, 4, 4), float(value), dtype=torch.float16)}

    demo = TrainingSet([object()] * 50, rows(50, 0), torch.zeros(50, 4, 3, dtype=torch.long),
                       {name: torch.zeros(50, dtype=torch.long) for name in LABELS})
    both = demo.extended(rows(200, 1), empty_label_tensors(200), 0.5).extended(rows(30, 2), empty_label_tensors(30), 0.125)
    assert len(both) == 280 and both.block_start(1) == 250
    gen = torch.Generator().manual_seed(0)
    for _ in range(5):
        idx = both.sample(32, gen)
        kinds = both.tensors["pixel_values"][idx, 0, 0, 0].tolist()
        assert (kinds.count(0.0), kinds.count(1.0), kinds.count(2.0)) == (12, 16, 4)
    with pytest.raises(ValueError, match="room for demo items"):
        both.extended(rows(10, 3), empty_label_tensors(10), 0.4)
    # The main phase may draw the first block at another share; the rows and the other block stay as they were.
    main = both.with_share(0, 0.25)
    kinds = main.tensors["pixel_values"][main.sample(32, gen), 0, 0, 0].tolist()
    assert (kinds.count(0.0), kinds.count(1.0), kinds.count(2.0)) == (20, 8, 4) and len(main) == 280
    assert both.blocks[0][1] == 0.5  # the warm-up's set is untouched
    with pytest.raises(ValueError, match="room for demo items"):
        both.with_share(0, 0.9)
