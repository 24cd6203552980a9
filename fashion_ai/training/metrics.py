"""Evaluation of the two model kinds: attribute extraction and text-to-image retrieval."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from fashion_ai.schema import FIELDS, Garment, ParseResult


def _field_value(garment: Garment | None, name: str) -> str | None:
    if garment is None:
        return None
    value = getattr(garment, name)
    if name == "colors":  # scored on the primary colour: the one a shopper names first
        return value[0] if value else None
    return value


def _match(predicted: list[Garment], truth: Garment) -> Garment | None:
    """The predicted garment that stands for the true one: same category first, else the first."""
    for garment in predicted:
        if garment.category == truth.category:
            return garment
    return predicted[0] if predicted else None


def class_scores(pairs: Sequence[tuple[str, str | None]]) -> dict[str, dict]:
    """Per class: precision, recall, F1 and support of (true, predicted) pairs; a missing prediction (None) is a
    miss of the true class and a false alarm of none."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for true, pred in pairs:
        if true == pred:
            tp[true] += 1
        else:
            fn[true] += 1
            if pred is not None:
                fp[pred] += 1
    per_class = {}
    for value in sorted(set(tp) | set(fn) | set(fp)):
        p = tp[value] / (tp[value] + fp[value]) if tp[value] + fp[value] else 0.0
        r = tp[value] / (tp[value] + fn[value]) if tp[value] + fn[value] else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        per_class[value] = {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f1, 4),
                            "support": tp[value] + fn[value]}
    return per_class


def classification_metrics(truth: Sequence[str], predicted: Sequence[str | None]) -> dict:
    """Single-label classification: accuracy, macro F1, support-weighted F1 (the figure FashionCLIP reports) and
    per-class precision / recall / F1. A missing prediction (None) counts as wrong."""
    if len(truth) != len(predicted):
        raise ValueError(f"{len(predicted)} predictions for {len(truth)} truths")
    if not truth:
        raise ValueError("nothing to score: no examples")
    per_class = class_scores(list(zip(truth, predicted)))
    supported = [v for v in per_class.values() if v["support"]]
    total = sum(v["support"] for v in supported)
    return {"accuracy": round(sum(t == p for t, p in zip(truth, predicted)) / len(truth), 4),
            "macro_f1": round(float(np.mean([v["f1"] for v in supported])), 4),
            "weighted_f1": round(sum(v["f1"] * v["support"] for v in supported) / total, 4),
            "support": len(truth), "per_class": per_class}


def confusion_matrix(truth: Sequence[str], predicted: Sequence[str | None], rows: Sequence[str],
                     columns: Sequence[str]) -> dict:
    """Counts of each (true row, predicted column). Predictions outside ``columns`` go to an "other" column and
    missing ones to "none", each added only when used."""
    extra = [name for name, used in (("other", any(p is not None and p not in columns for p in predicted)),
                                     ("none", any(p is None for p in predicted))) if used]
    cols = [*columns, *extra]
    matrix = np.zeros((len(rows), len(cols)), dtype=int)
    for true, pred in zip(truth, predicted):
        col = "none" if pred is None else pred if pred in columns else "other"
        matrix[list(rows).index(true), cols.index(col)] += 1
    return {"rows": list(rows), "columns": cols, "matrix": matrix.tolist()}


def extraction_metrics(results: Sequence[ParseResult], truths: Sequence[Garment],
                       fields: Sequence[str] | None = None) -> dict:
    """JSON-validity rate and per-field accuracy and class-wise precision / recall / F1.

    A field is scored on the images whose true garment has it set; a missing prediction counts as wrong.
    ``colors`` is scored on the primary colour.
    """
    if len(results) != len(truths):
        raise ValueError(f"{len(results)} predictions for {len(truths)} truths")
    fields = list(fields or FIELDS)
    report: dict = {
        "images": len(truths),
        "json_valid_rate": float(np.mean([r.valid_json for r in results])) if results else 0.0,
        "clean_rate": float(np.mean([r.ok for r in results])) if results else 0.0,
        "fields": {},
    }
    for name in fields:
        pairs = [(_field_value(truth, name), _field_value(_match(r.garments, truth), name))
                 for r, truth in zip(results, truths) if _field_value(truth, name) is not None]
        if not pairs:
            continue
        per_class = class_scores(pairs)
        supported = [v for v in per_class.values() if v["support"]]
        report["fields"][name] = {
            "accuracy": round(sum(true == pred for true, pred in pairs) / len(pairs), 4),
            "macro_f1": round(float(np.mean([v["f1"] for v in supported])), 4) if supported else 0.0,
            "support": len(pairs),
            "per_class": per_class,
        }
    return report


def retrieval_metrics(similarity: np.ndarray, relevant: np.ndarray, ks: Sequence[int] = (1, 5, 10)) -> dict:
    """Text-to-image recall@k and MRR.

    ``similarity[q, i]`` scores image i for query q; ``relevant[q, i]`` is True where image i answers query q.
    Recall@k is the share of queries with at least one relevant image in the top k.
    """
    if similarity.shape != relevant.shape:
        raise ValueError(f"similarity {similarity.shape} and relevance {relevant.shape} differ in shape")
    order = np.argsort(-similarity, axis=1)
    hits = np.take_along_axis(relevant, order, axis=1)
    first = np.where(hits.any(axis=1), hits.argmax(axis=1), -1)
    report = {f"recall@{k}": round(float(np.mean((first >= 0) & (first < k))), 4) for k in ks}
    report["mrr"] = round(float(np.mean(np.where(first >= 0, 1.0 / np.maximum(first + 1, 1), 0.0))), 4)  # no 1/0
    # Precision in the top k where k = min(5, relevant count): "do the first results all match?"
    precisions = []
    for q in range(len(hits)):
        k = int(min(5, relevant[q].sum()))
        if k:
            precisions.append(hits[q, :k].mean())
    report["match_rate@k"] = round(float(np.mean(precisions)), 4) if precisions else 0.0
    report["queries"] = int(len(hits))
    return report


def guess_metrics(guesses: Sequence[dict], truths: Sequence[Garment], fields: Sequence[str]) -> dict:
    """Per field, for extractors that choose among allowed values: accuracy of the best value (a field not answered
    counts as wrong), the share answered surely, and the accuracy of the sure answers alone.

    ``guesses[i]`` maps field -> FieldGuess for the first garment of image i (empty when none was read).
    """
    if len(guesses) != len(truths):
        raise ValueError(f"{len(guesses)} answers for {len(truths)} truths")
    report = {}
    for name in fields:
        rows = [(_field_value(truth, name), scored.get(name)) for scored, truth in zip(guesses, truths)
                if _field_value(truth, name) is not None]
        if not rows or all(guess is None for _, guess in rows):
            continue  # a field the extractor never answers (CLIP zero-shot has no sleeve question)
        sure = [(true, guess) for true, guess in rows if guess is not None and guess.sure]
        report[name] = {
            "accuracy": round(sum(guess is not None and guess.value == true for true, guess in rows) / len(rows), 4),
            "sure_share": round(len(sure) / len(rows), 4),
            "sure_accuracy": round(sum(guess.value == true for true, guess in sure) / len(sure), 4) if sure else None,
            "support": len(rows),
        }
    return report
