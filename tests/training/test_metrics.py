import numpy as np
import pytest

from fashion_ai.schema import Garment, ParseResult
from fashion_ai.training.metrics import classification_metrics, confusion_matrix, extraction_metrics, retrieval_metrics


def _result(*garments, valid=True):
    return ParseResult(list(garments), valid_json=valid)


def test_extraction_metrics_per_field_and_class():
    truths = [Garment("dress", ["red"], "floral"), Garment("dress", ["blue"], "solid"), Garment("shoe", ["black"])]
    results = [
        _result(Garment("dress", ["red", "white"], "floral")),  # right (colour scored on the primary)
        _result(Garment("skirt", ["blue"], "solid"), valid=False),  # wrong category, repaired JSON
        _result(),  # nothing recovered: every field counts as wrong
    ]
    report = extraction_metrics(results, truths, ["category", "colors", "pattern"])
    assert report["json_valid_rate"] == pytest.approx(2 / 3, abs=1e-3)
    cat = report["fields"]["category"]
    assert cat["accuracy"] == pytest.approx(1 / 3, abs=1e-3)
    assert cat["per_class"]["dress"] == {"precision": 1.0, "recall": 0.5, "f1": pytest.approx(0.6667, abs=1e-3),
                                         "support": 2}
    assert cat["per_class"]["skirt"]["precision"] == 0.0 and cat["per_class"]["skirt"]["support"] == 0
    assert report["fields"]["colors"]["accuracy"] == pytest.approx(2 / 3, abs=1e-3)
    # pattern is scored only where the truth has one (2 images)
    assert report["fields"]["pattern"]["support"] == 2 and report["fields"]["pattern"]["accuracy"] == 1.0


def test_extraction_metrics_matches_the_garment_of_the_true_category():
    truth = Garment("shoe", ["black"])
    result = _result(Garment("hat", ["red"]), Garment("shoe", ["black"]))
    report = extraction_metrics([result], [truth], ["category", "colors"])
    assert report["fields"]["category"]["accuracy"] == 1.0
    assert report["fields"]["colors"]["accuracy"] == 1.0


def test_extraction_metrics_rejects_mismatched_lengths():
    with pytest.raises(ValueError):
        extraction_metrics([_result()], [], ["category"])


def test_retrieval_metrics():
    sim = np.array([[0.9, 0.1, 0.5], [0.2, 0.3, 0.1], [0.1, 0.2, 0.3]])
    relevant = np.array([[True, False, False], [False, False, True], [False, False, False]])
    report = retrieval_metrics(sim, relevant, ks=(1, 3))
    assert report["recall@1"] == pytest.approx(1 / 3, abs=1e-3)  # query 0 hits at rank 1
    assert report["recall@3"] == pytest.approx(2 / 3, abs=1e-3)  # query 1 hits at rank 3; query 2 never
    assert report["mrr"] == pytest.approx((1 + 1 / 3 + 0) / 3, abs=1e-3)
    # match_rate@k: query 0: top-1 relevant; query 1: top-1 not; query 2 has no relevant items (skipped)
    assert report["match_rate@k"] == pytest.approx(0.5, abs=1e-3)
    with pytest.raises(ValueError):
        retrieval_metrics(sim, relevant[:2])


def test_classification_metrics_weighted_and_macro_f1():
    truth = ["shoe", "shoe", "shoe", "bag"]
    predicted = ["shoe", "shoe", "bag", None]  # None: no answer, wrong
    report = classification_metrics(truth, predicted)
    assert report["accuracy"] == 0.5 and report["support"] == 4
    # shoe: P 1, R 2/3, F1 0.8; bag: P 0 (its one answer was a shoe), R 0, F1 0
    assert report["per_class"]["shoe"] == {"precision": 1.0, "recall": 0.6667, "f1": 0.8, "support": 3}
    assert report["per_class"]["bag"]["f1"] == 0.0
    assert report["macro_f1"] == 0.4 and report["weighted_f1"] == 0.6  # (0.8 * 3 + 0 * 1) / 4
    with pytest.raises(ValueError, match="no examples"):
        classification_metrics([], [])


def test_confusion_matrix_adds_other_and_none_only_when_used():
    cm = confusion_matrix(["Sneaker", "Sneaker", "Bag"], ["shoe", "shoe", "bag"], ["Sneaker", "Bag"], ["shoe", "bag"])
    assert cm == {"rows": ["Sneaker", "Bag"], "columns": ["shoe", "bag"], "matrix": [[2, 0], [0, 1]]}
    cm = confusion_matrix(["Sneaker", "Bag", "Bag"], ["hat", None, "bag"], ["Sneaker", "Bag"], ["shoe", "bag"])
    assert cm["columns"] == ["shoe", "bag", "other", "none"] and cm["matrix"] == [[0, 0, 1, 0], [0, 1, 0, 1]]
