"""Intent classification on the paraphrase bench's dev half: every single turn and conversation turn whose intent
the classifier knows, classified as one clause, by nearest examples, by centroids and (optionally) by SetFit.

    python bench/bench_intents.py [--setfit] [--split dev]

Tune on dev only; the test half is the lead's, read once at the end.
"""

from __future__ import annotations

import argparse
import json
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="dev", choices=["dev"])
    parser.add_argument("--setfit", action="store_true", help="also train and measure SetFit (minutes on 2 cores)")
    parser.add_argument("--show", action="store_true", help="print the misclassified turns")
    args = parser.parse_args()

    from fashion_ai.language.intents import IntentClassifier, intent_examples
    from fashion_ai.models.text import load_text_model

    examples = intent_examples()
    pairs = labelled(args.split, set(examples))
    text_model = load_text_model()
    results = {}
    for method, k in (("nearest", 1), ("nearest", 3), ("centroid", 1)):
        clf = IntentClassifier(text_model, method=method, k=k)
        start = time.perf_counter()
        clf.prepare()
        prepared = time.perf_counter() - start
        guesses = clf.classify([s for s, _ in pairs])
        name = f"{method}-k{k}" if method == "nearest" else method
        results[name] = {"accuracy": round(accuracy(pairs, [g.intent for g in guesses]), 3),
                         "prepare_s": round(prepared, 2)}
        if args.show and name == "nearest-k1":
            for (say, gold), g in zip(pairs, guesses, strict=True):
                if g.intent != gold:
                    print(f"  {gold:>14} -> {g.intent!s:>14} ({g.score:.2f} / {g.runner_up} {g.runner_score:.2f}): {say}")
    if args.setfit:
        results["setfit"] = setfit_accuracy(examples, pairs)
    print(json.dumps({"split": args.split, "turns": len(pairs), "results": results}, indent=1))


def setfit_accuracy(examples: dict[str, list[str]], pairs: list[tuple[str, str]]) -> dict:
    """SetFit on the same examples and the same MiniLM: contrastive fine-tuning, then a logistic-regression head."""
    import setfit
    from datasets import Dataset
    from setfit import SetFitModel, Trainer, TrainingArguments

    from fashion_ai.language.intents import masked
    from fashion_ai.models.text import packaged_model_path

    texts = [masked(t) for name in examples for t in examples[name]]
    labels = [name for name in examples for _ in examples[name]]
    model = SetFitModel.from_pretrained(packaged_model_path(), labels=list(examples), local_files_only=True)
    trainer = Trainer(model=model, train_dataset=Dataset.from_dict({"text": texts, "label": labels}),
                      args=TrainingArguments(batch_size=32, num_epochs=1, num_iterations=1, seed=34))
    start = time.perf_counter()
    trainer.train()
    trained = time.perf_counter() - start
    predicted = list(model.predict([masked(s) for s, _ in pairs]))
    return {"accuracy": round(accuracy(pairs, predicted), 3), "train_s": round(trained, 1), "setfit": setfit.__version__}


if __name__ == "__main__":
    main()
