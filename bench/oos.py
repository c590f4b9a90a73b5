"""Out-of-scope detection: in-scope accuracy and out-of-scope recall of the assistant's
intent model with its calibrated confidence threshold, against Rasa's default pipeline
(``baseline``: ``oos`` a class like any other, its fallback counted as out of scope) and
TF-IDF + linear SVM (``tfidf``, ``oos`` just another class). ``--no-rasa`` leaves Rasa
out (``baseline`` is then TF-IDF).

    python -m bench.oos --train ../shared/data/clinc150/finance_plus_oos_train.csv \\
        --test ../shared/data/clinc150/finance_plus_oos_val.csv

Rows labelled ``oos`` are out of scope. A question counts as recognised out of scope
when the model predicts ``oos`` or its confidence is below ``--threshold``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from bench.classify import Reference, labelled, predict_ours, references, train_ours
from bench.data import finish
from bench.rasa_default import FALLBACK
from bot.nlu.intent_model import OUT_OF_SCOPE

DEFAULT_THRESHOLD = 0.5


def scored(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    pairs = list(zip(gold, predicted, strict=True))
    inside = [(g, p) for g, p in pairs if g != OUT_OF_SCOPE]
    outside = [p for g, p in pairs if g == OUT_OF_SCOPE]
    return {
        "in_scope_accuracy": sum(g == p for g, p in inside) / max(len(inside), 1),
        "oos_recall": sum(p == OUT_OF_SCOPE for p in outside) / max(len(outside), 1),
    }


def figures(gold: Sequence[str], reference: Reference) -> dict[str, object]:
    predicted = [OUT_OF_SCOPE if p == FALLBACK else p for p in reference.predicted]
    return {
        "name": reference.name,
        **scored(gold, predicted),
        "train_seconds": reference.train_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--no-rasa", action="store_true", help="leave Rasa's pipeline out")
    args = parser.parse_args()
    train_texts, train_labels = labelled(args.train)
    test_texts, test_labels = labelled(args.test)
    model, seconds = train_ours(train_texts, train_labels)
    predicted = [model.decide(p, args.threshold) for p in predict_ours(model, test_texts)]
    base, tfidf = references(train_texts, train_labels, test_texts, test_labels, not args.no_rasa)
    ours = {**scored(test_labels, predicted), "train_seconds": seconds, "threshold": args.threshold}
    theirs, lexical = figures(test_labels, base), figures(test_labels, tfidf)
    print(
        f"in-scope accuracy {ours['in_scope_accuracy']:.2%} (baseline "
        f"{theirs['in_scope_accuracy']:.2%}, TF-IDF {lexical['in_scope_accuracy']:.2%}), "
        f"out-of-scope recall {ours['oos_recall']:.2%} (baseline {theirs['oos_recall']:.2%}, "
        f"TF-IDF {lexical['oos_recall']:.2%})"
    )
    finish({**ours, "baseline": theirs, "tfidf": lexical})


if __name__ == "__main__":
    main()
