"""Intent classification on the paraphrase bench's dev half: every single turn and conversation turn whose intent
the classifier knows, classified as one clause, by nearest examples, by centroids and (optionally) by SetFit.

    python bench/bench_intents.py [--setfit] [--split dev] [--folds 5] [--threads 2]

Each classifier is scored twice: cross-validated on the intent examples themselves (stratified folds) and on the
dev turns after training on every example. SetFit fine-tunes the same MiniLM on pairs of examples, then fits a
logistic-regression head (no reports, a temporary output folder).

Tune on dev only; the test half is the lead's, read once at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def labelled(split: str, known: set[str]) -> list[tuple[str, str]]:
    """(utterance, intent) for every turn of the split whose intent the classifier has."""
    data = json.loads((ROOT / "bench" / "paraphrases" / f"{split}.json").read_text())
    turns = list(data["singles"]) + [t for c in data["conversations"] for t in c["turns"]]
    return [(t["say"], t["intent"]) for t in turns if t.get("intent") in known]


def accuracy(pairs: list[tuple[str, str]], predicted: list[str | None]) -> float:
    return sum(p == gold for (_, gold), p in zip(pairs, predicted, strict=True)) / len(pairs)


def folds(examples: dict[str, list[str]], n: int) -> list[tuple[dict[str, list[str]], list[tuple[str, str]]]]:
    """``n`` stratified folds of the examples: (the training examples, the held-out (example, intent) pairs)."""
    out = []
    for fold in range(n):
        train = {name: [t for i, t in enumerate(texts) if i % n != fold] for name, texts in examples.items()}
        held = [(t, name) for name, texts in examples.items() for i, t in enumerate(texts) if i % n == fold]
        out.append((train, held))
    return out


def nearest_accuracy(text_model, examples: dict[str, list[str]], pairs: list[tuple[str, str]], k: int = 1,
                     method: str = "nearest") -> tuple[float, list]:
    """Accuracy of the nearest-example (or centroid) classifier trained on ``examples``; and its guesses."""
    from fashion_ai.language.intents import IntentClassifier

    clf = IntentClassifier(text_model, examples=examples, method=method, k=k)
    guesses = clf.classify([s for s, _ in pairs])
    return accuracy(pairs, [g.intent for g in guesses]), guesses


def setfit_model(examples: dict[str, list[str]], body_steps: int):
    """SetFit on ``examples`` and the packaged MiniLM: ``body_steps`` steps of contrastive fine-tuning of the body
    (0: the body stays as shipped), then its logistic-regression head; the model and the training seconds."""
    import tempfile

    from datasets import Dataset
    from setfit import SetFitModel, Trainer, TrainingArguments

    from fashion_ai.language.intents import masked
    from fashion_ai.models.text import packaged_model_path

    texts = [masked(t) for name in examples for t in examples[name]]
    labels = [name for name in examples for _ in examples[name]]
    model = SetFitModel.from_pretrained(packaged_model_path(), labels=list(examples), local_files_only=True)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="setfit-") as out:
        args = TrainingArguments(output_dir=out, batch_size=16, num_epochs=1, max_steps=max(body_steps, 1), seed=34,
                                 report_to="none", show_progress_bar=False, save_strategy="no", logging_strategy="no")
        trainer = Trainer(model=model, train_dataset=Dataset.from_dict({"text": texts, "label": labels}), args=args)
        if body_steps:
            trainer.train()
        else:  # the head alone, on the shipped body's embeddings
            trainer.train_classifier(texts, labels)
    return model, time.perf_counter() - start


def setfit_accuracy(model, pairs: list[tuple[str, str]]) -> float:
    from fashion_ai.language.intents import masked

    return accuracy(pairs, list(model.predict([masked(s) for s, _ in pairs])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="dev", choices=["dev"])
    parser.add_argument("--setfit", action="store_true", help="also train and measure SetFit (minutes on 2 cores)")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds over the intent examples")
    parser.add_argument("--body-steps", type=int, default=0, help="SetFit's contrastive steps on the body (batches "
                        "of 16 pairs; 0: the head alone on the shipped MiniLM; each step took 20-30 s on the shared "
                        "2-core box at load 10-12)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--setfit-only", action="store_true", help="measure SetFit alone (the rest was measured)")
    parser.add_argument("--show", action="store_true", help="print the dev turns nearest-k1 misclassifies")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "intents-dev.json")
    args = parser.parse_args()
    os.environ.update(HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    import torch

    from fashion_ai.language.intents import IntentClassifier, intent_examples
    from fashion_ai.models.text import load_text_model

    torch.set_num_threads(args.threads)
    examples = intent_examples()
    pairs = labelled(args.split, set(examples))
    text_model = load_text_model()
    cv = folds(examples, args.folds)
    results: dict[str, dict] = {}
    for method, k in () if args.setfit_only else (("nearest", 1), ("nearest", 3), ("centroid", 1)):
        name = f"{method}-k{k}" if method == "nearest" else method
        clf = IntentClassifier(text_model, method=method, k=k)
        start = time.perf_counter()
        clf.prepare()
        prepared = time.perf_counter() - start
        dev, guesses = nearest_accuracy(text_model, examples, pairs, k, method)
        fold_scores = [nearest_accuracy(text_model, train, held, k, method)[0] for train, held in cv]
        results[name] = {"cv": round(statistics.mean(fold_scores), 3), "dev": round(dev, 3),
                         "prepare_s": round(prepared, 2)}
        if args.show and name == "nearest-k1":
            for (say, gold), g in zip(pairs, guesses, strict=True):
                if g.intent != gold:
                    print(f"  {gold:>14} -> {g.intent!s:>14} ({g.score:.2f} / {g.runner_up} {g.runner_score:.2f}): {say}")
    if args.setfit or args.setfit_only:
        import setfit

        fold_scores, train_s = [], []
        for train, held in cv:
            model, seconds = setfit_model(train, args.body_steps)
            fold_scores.append(setfit_accuracy(model, held))
            train_s.append(seconds)
        model, seconds = setfit_model(examples, args.body_steps)
        start = time.perf_counter()
        dev = setfit_accuracy(model, pairs)
        results["setfit"] = {"cv": round(statistics.mean(fold_scores), 3), "dev": round(dev, 3),
                             "train_s": round(seconds, 1), "predict_ms_per_turn": round(
                                 1000 * (time.perf_counter() - start) / len(pairs), 2),
                             "body_steps": args.body_steps, "version": setfit.__version__}
    report = {"split": args.split, "turns": len(pairs), "examples": sum(map(len, examples.values())),
              "folds": args.folds, "threads": args.threads, "load": os.getloadavg()[0], "results": results}
    print(json.dumps(report, indent=1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
