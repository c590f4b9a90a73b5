"""The assistant's intent model: word and character TF-IDF plus e5 sentence embeddings,
a linear SVM over all of them, and a calibrated confidence.

The confidence is the probability that the top intent is right, fitted by logistic
regression on the top SVM margin of held-out folds of the training data (3-fold), so a
confidence of 0.5 means right about half of the time. Training examples labelled
``oos`` (out of scope) are a class of their own; a prediction of ``oos`` or a
confidence below ``threshold`` means "I don't know" (``OUT_OF_SCOPE``)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix, hstack
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from bot.nlu.embedding import embed
from bot.nlu.text_features import Lexical

OUT_OF_SCOPE = "oos"
EMBEDDING_WEIGHT = 3.0
"""How much the dense embedding weighs against the sparse TF-IDF rows (tuned on Banking77)."""


@dataclass(frozen=True, slots=True)
class Prediction:
    intent: str
    confidence: float
    ranking: tuple[tuple[str, float], ...]


class IntentModel:
    def __init__(self, c: float = 1.0, folds: int = 3, seed: int = 42) -> None:
        self.c = c
        self.folds = folds
        self.seed = seed
        self.lexical = Lexical()
        self.svm: LinearSVC | None = None
        self.slope = 1.0
        self.bias = 0.0

    def _features(self, texts: Sequence[str], fit: bool = False) -> csr_matrix:
        sparse = self.lexical.fit_transform(texts) if fit else self.lexical.transform(texts)
        return hstack([sparse, csr_matrix(embed(texts) * EMBEDDING_WEIGHT)]).tocsr()

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> IntentModel:
        y = np.asarray(labels)
        margins, right = self._held_out(list(texts), y)
        if len(set(right.tolist())) == 2:
            calibration = LogisticRegression(C=100.0).fit(margins.reshape(-1, 1), right)
            self.slope = float(calibration.coef_[0][0])
            self.bias = float(calibration.intercept_[0])
        self.svm = LinearSVC(C=self.c).fit(self._features(texts, fit=True), y)
        return self

    def _held_out(
        self, texts: list[str], y: NDArray[np.str_]
    ) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """Top margin and whether the top intent was right, for every training example
        predicted by a model that did not see it."""
        smallest = min(np.unique(y, return_counts=True)[1])
        folds = max(2, min(self.folds, int(smallest)))
        if smallest < 2:
            return np.zeros(0), np.zeros(0, dtype=np.int64)
        margins = np.zeros(len(texts))
        right = np.zeros(len(texts), dtype=np.int64)
        split = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.seed)
        for train, test in split.split(texts, y):
            fold = IntentModel(self.c, folds=0)
            fold.svm = LinearSVC(C=self.c).fit(
                fold._features([texts[i] for i in train], fit=True), y[train]
            )
            scores = fold._scores([texts[i] for i in test])
            best = scores.argmax(axis=1)
            margins[test] = scores.max(axis=1)
            predicted = fold.svm.classes_[best]
            right[test] = (predicted == y[test]) & (predicted != OUT_OF_SCOPE)
        return margins, right

    def _scores(self, texts: Sequence[str]) -> NDArray[np.float64]:
        assert self.svm is not None, "fit the model first"
        scores = np.asarray(self.svm.decision_function(self._features(texts)), dtype=np.float64)
        if scores.ndim == 1:  # two classes: one column for the second
            scores = np.stack([-scores, scores], axis=1)
        return scores

    def confidence(self, margin: float) -> float:
        return 1.0 / (1.0 + math.exp(-(self.slope * margin + self.bias)))

    def predict(self, texts: Sequence[str], ranking: int = 5) -> list[Prediction]:
        assert self.svm is not None, "fit the model first"
        classes = self.svm.classes_
        out = []
        for row in self._scores(texts):
            order = np.argsort(-row)[:ranking]
            ranked = tuple((str(classes[j]), round(self.confidence(row[j]), 4)) for j in order)
            out.append(Prediction(ranked[0][0], ranked[0][1], ranked))
        return out

    def decide(self, prediction: Prediction, threshold: float) -> str:
        """The intent, or ``OUT_OF_SCOPE`` when the model is not sure enough."""
        if prediction.intent == OUT_OF_SCOPE or prediction.confidence < threshold:
            return OUT_OF_SCOPE
        return prediction.intent
