"""Sentence-pair matching (same meaning or not) on Chinese pairs: accuracy of the
assistant's knowledge-base matcher (``bot.nlu.retrieval``) deciding whether a question
matches an entry, against a TF-IDF cosine; both with a threshold tuned on the training
pairs. A learned pair classifier (``bench.pair_model``, not used by the assistant) is
reported beside them.

    python -m bench.split --data ../shared/data/bq_corpus/dev.csv --out var/bench/bq
    python -m bench.match --train var/bench/bq_train.csv --test var/bench/bq_test.csv
    python -m bench.match --train ../shared/data/afqmc/train.csv --test ../shared/data/afqmc/dev.csv

CSV: ``sentence1,sentence2,label`` with label 1 for the same meaning. Each
``sentence2`` becomes a knowledge-base entry with that one question, and the matcher
scores ``sentence1`` against it exactly as it scores a customer's question against an
entry. ``--limit`` uses the first N training pairs only (embedding every sentence takes
a while on 2 cores)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from bench.data import finish, read_rows
from bench.pair_model import PairModel
from bot.nlu.retrieval import Entry, QuestionIndex
from bot.nlu.text_features import char_vectorizer

Pairs = tuple[list[str], list[str], list[int]]


def pairs(path: str, limit: int | None = None) -> Pairs:
    rows = [r for r in read_rows(path) if r.get("label") in ("0", "1")][:limit]
    return (
        [r["sentence1"] for r in rows],
        [r["sentence2"] for r in rows],
        [int(r["label"]) for r in rows],
    )


def tuned_threshold(scores: NDArray[np.float64], same: Sequence[int]) -> float:
    """The cut that classifies the training pairs best. Candidates are the scores
    rounded down to 0.001 (rounded to nearest, a cut could land just above the very
    score it was taken from, and then a pair scored exactly there was missed)."""
    gold = np.asarray(same)
    candidates = np.unique(np.floor(scores * 1000) / 1000)
    return float(max(candidates, key=lambda cut: ((scores >= cut) == gold).mean()))


def accuracy(scores: NDArray[np.float64], cut: float, same: Sequence[int]) -> float:
    return float(((scores >= cut) == np.asarray(same)).mean())


def matcher_scores(data: Pairs) -> NDArray[np.float64]:
    """The matcher's score of each ``sentence1`` against an entry holding ``sentence2``."""
    keys: dict[str, str] = {}
    for sentence in data[1]:
        keys.setdefault(sentence, str(len(keys)))
    index = QuestionIndex([Entry(key, (sentence,)) for sentence, key in keys.items()])
    return index.score_pairs(data[0], [keys[s] for s in data[1]])


def tfidf_scores(train: Pairs, data: Pairs) -> NDArray[np.float64]:
    vectorizer = char_vectorizer().fit(train[0] + train[1])
    left, right = vectorizer.transform(data[0]), vectorizer.transform(data[1])
    return np.asarray(left.multiply(right).sum(axis=1)).ravel()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--limit", type=int)
    args = parser.parse_args()
    train = pairs(args.train, args.limit)
    test = pairs(args.test)

    started = time.perf_counter()
    cut = tuned_threshold(matcher_scores(train), train[2])
    seconds = time.perf_counter() - started
    ours = accuracy(matcher_scores(test), cut, test[2])

    base_cut = tuned_threshold(tfidf_scores(train, train), train[2])
    base = accuracy(tfidf_scores(train, test), base_cut, test[2])

    started = time.perf_counter()
    learned = PairModel().fit(*train)
    learned_seconds = time.perf_counter() - started
    learned_accuracy = accuracy(learned.probability(test[0], test[1]), 0.5, test[2])
    print(
        f"{len(train[2])} training and {len(test[2])} test pairs: matcher {ours:.2%} "
        f"(TF-IDF {base:.2%}; learned pair model, not used by the assistant, "
        f"{learned_accuracy:.2%})"
    )
    finish(
        {
            "accuracy": ours,
            "threshold": cut,
            "train_seconds": seconds,
            "train_pairs": len(train[2]),
            "test_pairs": len(test[2]),
            "learned_pair_model": {
                "name": "e5 + TF-IDF pair features, gradient-boosted trees (bench.pair_model)",
                "accuracy": learned_accuracy,
                "train_seconds": learned_seconds,
            },
            "baseline": {"name": "char TF-IDF cosine, threshold tuned on train", "accuracy": base},
        }
    )


if __name__ == "__main__":
    main()
