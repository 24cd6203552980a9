"""Trial (issue 34 point 1): the chat with SetFit's logistic-regression head on the shipped MiniLM choosing each
clause's intent instead of the nearest example, played on the paraphrase set like bench_paraphrases.py.

    python bench/trial_intent_head.py --split dev --threads 2 [--c 10] [--margin 0.2] [--out FILE]

The head (scikit-learn's LogisticRegression, what SetFit fits on a frozen body) is fitted on the shipped example
vectors when the classifier prepares. It picks the intent and the runner-up; a clause is unsure when the head's
probabilities of the two are closer than --margin (the chat then asks back, as it does for close nearest-example
scores); a clause like no example (best cosine under MIN_SCORE) still has no intent. Everything else is the chat as
shipped. The trial replaces the classifier's methods in this process only; the library keeps nearest example, which
the trial lost to (docs/chat.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]


def use_head(c: float, margin: float) -> None:
    """Make IntentClassifier choose by a logistic-regression head of inverse regularisation ``c``."""
    from sklearn.linear_model import LogisticRegression

    from fashion_ai.language import intents

    nearest_prepare = intents.IntentClassifier.prepare

    def prepare(self) -> None:
        nearest_prepare(self)
        if getattr(self, "head", None) is None:
            self.head = LogisticRegression(C=c, max_iter=3000).fit(self._vectors, self._owner)

    def scores_of(self, vectors: np.ndarray) -> list[tuple]:
        self.prepare()
        sims, probs = vectors @ self._vectors.T, self.head.predict_proba(vectors)
        rows = []
        for sim, prob in zip(sims, probs, strict=True):
            best, runner = (int(i) for i in np.argsort(-prob)[:2])
            rows.append((best, runner, float(sim[self._owner == best].max()), float(sim.max()),
                         float(prob[best] - prob[runner])))
        return rows

    def guesses(self, rows: list[tuple]) -> list:
        out = []
        for best, runner, cosine, closest, lead in rows:
            if closest < intents.MIN_SCORE:
                out.append(intents.IntentGuess(None, closest))
                continue
            # IntentGuess.sure reads the lead of score over runner_score in cosine units: say the head's verdict so.
            runner_score = cosine - 2 * intents.UNSURE_MARGIN if lead >= margin else cosine
            out.append(intents.IntentGuess(self.names[best], cosine, self.names[runner], runner_score))
        return out

    intents.IntentClassifier.prepare = prepare
    intents.IntentClassifier.scores_of = scores_of
    intents.IntentClassifier.guesses = guesses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--c", type=float, default=10.0, help="the head's inverse regularisation strength")
    parser.add_argument("--margin", type=float, default=0.2, help="probability lead under which a clause is unsure")
    args, rest = parser.parse_known_args()
    use_head(args.c, args.margin)
    import bench_paraphrases

    return bench_paraphrases.main(rest)


if __name__ == "__main__":
    raise SystemExit(main())
