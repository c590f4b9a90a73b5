"""Intent classification: accuracy, macro-F1 and training time of the assistant's intent
model (``bot.nlu.intent_model``, the model inside the Rasa pipeline), side by side with
Rasa's default pipeline (``baseline``) and TF-IDF + linear SVM (``tfidf``), trained and
tested on the same rows. ``--no-rasa`` leaves Rasa out (``baseline`` is then TF-IDF).

    python -m bench.nlu --train var/bench/banking77_train.csv --test var/bench/banking77_test.csv

CSV files have a ``text`` column and an ``intent`` or ``category`` column; make the
Banking77 split with ``python -m bench.split --data ../shared/data/banking77/train.csv``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from sklearn.metrics import accuracy_score, f1_score

from bench.classify import Reference, labelled, predict_ours, references, train_ours
from bench.data import finish


def scored(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    return {
        "accuracy": accuracy_score(gold, predicted),
        "macro_f1": f1_score(gold, predicted, average="macro"),
    }


def figures(gold: Sequence[str], reference: Reference) -> dict[str, object]:
    return {
        "name": reference.name,
        **scored(gold, reference.predicted),
        "train_seconds": reference.train_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--no-rasa", action="store_true", help="leave Rasa's pipeline out")
    args = parser.parse_args()
    train_texts, train_labels = labelled(args.train)
    test_texts, test_labels = labelled(args.test)
    model, seconds = train_ours(train_texts, train_labels)
    predicted = [p.intent for p in predict_ours(model, test_texts)]
    base, tfidf = references(train_texts, train_labels, test_texts, test_labels, not args.no_rasa)
    ours = {**scored(test_labels, predicted), "train_seconds": seconds}
    theirs, lexical = figures(test_labels, base), figures(test_labels, tfidf)
    print(
        f"{len(train_texts)} training and {len(test_texts)} test rows, "
        f"{len(set(train_labels))} intents: accuracy {ours['accuracy']:.2%} "
        f"(baseline {theirs['accuracy']:.2%}, TF-IDF {lexical['accuracy']:.2%}), "
        f"trained in {seconds:.0f} s (baseline {base.train_seconds:.0f} s)"
    )
    finish(
        {
            **ours,
            "train_rows": len(train_texts),
            "test_rows": len(test_texts),
            "baseline": theirs,
            "tfidf": lexical,
        }
    )


if __name__ == "__main__":
    main()
