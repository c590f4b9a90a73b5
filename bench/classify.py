"""What ``bench.nlu`` and ``bench.oos`` share: loading a labelled CSV, training the
project's intent model, and the models it is compared with: Rasa's default pipeline
(the baseline) and TF-IDF + linear SVM."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from sklearn.svm import LinearSVC

from bench import rasa_default
from bench.data import label_column, read_rows
from bot.nlu.intent_model import IntentModel, Prediction
from bot.nlu.text_features import Lexical


def labelled(path: str) -> tuple[list[str], list[str]]:
    rows = read_rows(path)
    column = label_column(rows)
    rows = [r for r in rows if r.get("text") and r.get(column)]
    return [r["text"] for r in rows], [r[column] for r in rows]


def train_ours(texts: Sequence[str], labels: Sequence[str]) -> tuple[IntentModel, float]:
    started = time.perf_counter()
    model = IntentModel().fit(texts, labels)
    return model, time.perf_counter() - started


def predict_ours(model: IntentModel, texts: Sequence[str]) -> list[Prediction]:
    return model.predict(texts)


def baseline(
    train_texts: Sequence[str], train_labels: Sequence[str], test_texts: Sequence[str]
) -> tuple[list[str], float]:
    """Word and character TF-IDF with a linear SVM: the simple, strong reference."""
    started = time.perf_counter()
    lexical = Lexical()
    svm = LinearSVC(C=1.0).fit(lexical.fit_transform(train_texts), list(train_labels))
    seconds = time.perf_counter() - started
    return [str(p) for p in svm.predict(lexical.transform(test_texts))], seconds


@dataclass(frozen=True, slots=True)
class Reference:
    name: str
    predicted: list[str]
    train_seconds: float


def references(
    train_texts: Sequence[str],
    train_labels: Sequence[str],
    test_texts: Sequence[str],
    test_labels: Sequence[str],
    with_rasa: bool,
) -> tuple[Reference, Reference]:
    """(the baseline, TF-IDF): the baseline is Rasa's default pipeline, or with
    ``with_rasa`` false (it takes the better part of an hour on Banking77) TF-IDF too."""
    predicted, seconds = baseline(train_texts, train_labels, test_texts)
    tfidf = Reference("word+char TF-IDF, linear SVM", predicted, seconds)
    if not with_rasa:
        return tfidf, tfidf
    predicted, seconds = rasa_default.classify(train_texts, train_labels, test_texts, test_labels)
    return Reference(rasa_default.NAME, predicted, seconds), tfidf
