"""The garment-or-not report: each decider's share of "no garment" per photo set, with stand-in deciders."""

import numpy as np
import pytest
from PIL import Image

from fashion_ai.training.presence import PhotoSet, presence_report, summary


def _photos(n: int, shade: int) -> list:
    return [Image.new("RGB", (8, 8), (shade, shade, shade)) for _ in range(n)]


def _by_shade(photos) -> np.ndarray:
    """P(no garment): a light photo is empty (1.0), a mid grey one unsure (0.6), a dark one a garment (0.0)."""
    return np.array([{250: 1.0, 128: 0.6}.get(p.getpixel((0, 0))[0], 0.0) for p in photos])


SETS = [PhotoSet("empty scenes", _photos(3, 250) + _photos(1, 10), "empty", ["uniform"] * 2 + ["noise"] * 2),
        PhotoSet("landscape", _photos(4, 128), "unseen"),
        PhotoSet("document", _photos(1, 250) + _photos(3, 10), "unseen"),
        PhotoSet("demo items", _photos(1, 128) + _photos(4, 10), "garment")]


def test_each_set_gets_the_share_said_no_garment_at_the_deciders_threshold():
    report = presence_report({"strict": (_by_shade, 0.7), "lenient": (_by_shade, 0.5)}, SETS)
    assert report["thresholds"] == {"strict": 0.7, "lenient": 0.5}
    assert report["sets"]["demo items"] == {"photos": 5, "role": "garment"}
    strict, lenient = report["strict"], report["lenient"]
    assert strict["empty scenes"]["said_no_garment"] == 0.75 and strict["empty scenes"]["by_kind"] == {
        "uniform": 1.0, "noise": 0.5}
    assert strict["landscape"]["said_no_garment"] == 0.0 and lenient["landscape"]["said_no_garment"] == 1.0
    assert strict["demo items"]["said_no_garment"] == 0.0 and lenient["demo items"]["said_no_garment"] == 0.2
    assert lenient["demo items"]["mean_p_no_garment"] == pytest.approx(0.12)
    lines = summary(report)
    assert lines["strict"] == {"empty scenes": 0.75, "unseen kinds mean": 0.125, "unseen kinds worst": 0.0,
                               "false demo items": 0.0}
    assert lines["lenient"]["unseen kinds mean"] == 0.625 and lines["lenient"]["false demo items"] == 0.2


def test_a_set_has_a_known_role():
    with pytest.raises(ValueError, match="empty, unseen, garment"):
        PhotoSet("sky", [], "background")
