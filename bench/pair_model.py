"""A learned pair classifier ("do two questions mean the same thing?"), trained on
labelled pairs. The assistant does not use it: its matcher (``bot.nlu.retrieval``) has
no labelled pairs to learn from, and trained on a knowledge base's own questions it
ranked the E.SUN FAQ worse (top-1 60 % -> 26 %). ``bench.match`` reports it beside the
matcher to show what labelled in-domain pairs are worth.

Features: the e5 cosine, the element-wise product and absolute difference of the two
e5 vectors, the character TF-IDF cosine, character unigram and bigram overlap, and the
length ratio. Gradient-boosted trees decide."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from sklearn.ensemble import HistGradientBoostingClassifier

from bot.nlu.embedding import embed, normalise
from bot.nlu.text_features import char_vectorizer


def _grams(text: str, n: int) -> set[str]:
    text = normalise(text).lower()
    return {text[i : i + n] for i in range(max(len(text) - n + 1, 0))}


def _overlap(a: str, b: str, n: int) -> float:
    left, right = _grams(a, n), _grams(b, n)
    return len(left & right) / max(len(left | right), 1)


class PairModel:
    def __init__(self, seed: int = 42, min_samples_leaf: int = 20) -> None:
        self.lexical = char_vectorizer()
        self.trees = HistGradientBoostingClassifier(
            max_iter=400,
            learning_rate=0.08,
            early_stopping=False,
            min_samples_leaf=min_samples_leaf,
            random_state=seed,
        )

    def features(self, left: Sequence[str], right: Sequence[str]) -> NDArray[np.float64]:
        u, v = embed(left), embed(right)
        a, b = self.lexical.transform(left), self.lexical.transform(right)
        lexical = np.asarray(a.multiply(b).sum(axis=1)).ravel()
        scalar = np.array(
            [
                [
                    _overlap(x, y, 1),
                    _overlap(x, y, 2),
                    min(len(x), len(y)) / max(len(x), len(y), 1),
                ]
                for x, y in zip(left, right, strict=True)
            ]
        ).reshape(len(left), 3)
        cosine = (u * v).sum(axis=1)
        return np.hstack([cosine[:, None], lexical[:, None], scalar, u * v, np.abs(u - v)]).astype(
            np.float64
        )

    def fit(self, left: Sequence[str], right: Sequence[str], same: Sequence[int]) -> PairModel:
        self.lexical.fit([*left, *right])
        self.trees.fit(self.features(left, right), np.asarray(same))
        return self

    def probability(self, left: Sequence[str], right: Sequence[str]) -> NDArray[np.float64]:
        return np.asarray(self.trees.predict_proba(self.features(left, right))[:, 1])
