"""Sentence-pair matching (same meaning or not) on Chinese pairs: accuracy of the pair
model (``bot.nlu.pairs``) against a TF-IDF cosine with its threshold tuned on the
training pairs.

    python -m bench.split --data ../shared/data/bq_corpus/dev.csv --out var/bench/bq
    python -m bench.match --train var/bench/bq_train.csv --test var/bench/bq_test.csv
    python -m bench.match --train ../shared/data/afqmc/train.csv --test ../shared/data/afqmc/dev.csv

CSV: ``sentence1,sentence2,label`` with label 1 for the same meaning. ``--limit`` trains
on the first N training pairs only (embedding every sentence takes a while on 2 cores)."""

from __future__ import annotations

import argparse
import time

import numpy as np

from bench.data import finish, read_rows
from bot.nlu.pairs import PairModel
from bot.nlu.text_features import char_vectorizer


def pairs(path: str, limit: int | None = None) -> tuple[list[str], list[str], list[int]]:
    rows = [r for r in read_rows(path) if r.get("label") in ("0", "1")][:limit]
    return (
        [r["sentence1"] for r in rows],
        [r["sentence2"] for r in rows],
        [int(r["label"]) for r in rows],
    )


def tfidf_baseline(
    train: tuple[list[str], list[str], list[int]], test: tuple[list[str], list[str], list[int]]
) -> float:
    vectorizer = char_vectorizer().fit(train[0] + train[1])

    def cosine(left: list[str], right: list[str]) -> np.ndarray:
        return np.asarray(
            vectorizer.transform(left).multiply(vectorizer.transform(right)).sum(axis=1)
        ).ravel()

    seen = cosine(train[0], train[1])
    gold = np.array(train[2])
    best = max(np.unique(np.round(seen, 3)), key=lambda t: ((seen >= t) == gold).mean())
    return float(((cosine(test[0], test[1]) >= best) == np.array(test[2])).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--limit", type=int)
    args = parser.parse_args()
    train = pairs(args.train, args.limit)
    test = pairs(args.test)
    started = time.perf_counter()
    model = PairModel().fit(*train)
    seconds = time.perf_counter() - started
    accuracy = float(((model.probability(test[0], test[1]) >= 0.5) == np.array(test[2])).mean())
    base = tfidf_baseline(train, test)
    print(
        f"{len(train[2])} training and {len(test[2])} test pairs: accuracy {accuracy:.2%} (TF-IDF {base:.2%})"
    )
    finish(
        {
            "accuracy": accuracy,
            "train_seconds": seconds,
            "train_pairs": len(train[2]),
            "test_pairs": len(test[2]),
            "baseline": {"name": "char TF-IDF cosine, threshold tuned on train", "accuracy": base},
        }
    )


if __name__ == "__main__":
    main()
