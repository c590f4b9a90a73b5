"""Question matching over a knowledge base: which entry answers a customer's question,
and how sure we are.

An entry is known by its standard and similar questions (Chinese and English). A
question's score against an entry blends the e5 cosine with its nearest question, with
the centroid of all its questions, and a character TF-IDF cosine. The confidence is the
probability that the best entry is right, from a logistic calibration over the best
score and its margin to the runner-up; ``python -m bench.faq --calibrate`` fits it on
held-out questions and on questions whose entry was withdrawn (``calibration.json``)."""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bot.nlu.embedding import embed
from bot.nlu.text_features import char_vectorizer

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")
NEAREST_WEIGHT = 0.4
CENTROID_WEIGHT = 0.4
LEXICAL_WEIGHT = 0.2
ANSWER_AT = 0.6
"""Confidence at or above which the assistant answers outright."""
SUGGEST_AT = 0.3
"""Confidence at or above which it offers its best three guesses ("did you mean")."""
SUGGEST_SCORE = 0.78
"""A best score at or above which it offers them too, however close the runner-up: in a
large knowledge base neighbouring entries (a lost card, a replacement card, a new card)
leave small margins, and the calibrated confidence, driven by the margin, is then low
although the right entry is among the first three."""


@dataclass(frozen=True, slots=True)
class Entry:
    key: str
    questions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Match:
    key: str
    score: float
    question: str


@dataclass(frozen=True, slots=True)
class Calibration:
    top: float
    margin: float
    bias: float

    def confidence(self, ranked: Sequence[Match]) -> float:
        if not ranked:
            return 0.0
        best = ranked[0].score
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        z = self.top * best + self.margin * (best - runner_up) + self.bias
        return 1.0 / (1.0 + math.exp(-z))

    def to_json(self) -> str:
        return json.dumps({"top": self.top, "margin": self.margin, "bias": self.bias}) + "\n"


def load_calibration(path: Path = CALIBRATION_FILE) -> Calibration:
    data = json.loads(path.read_text(encoding="utf-8"))
    return Calibration(float(data["top"]), float(data["margin"]), float(data["bias"]))


def _row_score(semantic: Any, lexical: Any) -> Any:
    """A question's score against one of an entry's questions (arrays or numbers)."""
    return (NEAREST_WEIGHT * semantic + LEXICAL_WEIGHT * lexical) / (
        NEAREST_WEIGHT + LEXICAL_WEIGHT
    )


def _blend(nearest: Any, centroid: Any) -> Any:
    """An entry's score: its nearest question's row score blended with the centroid's
    cosine."""
    total = NEAREST_WEIGHT + LEXICAL_WEIGHT + CENTROID_WEIGHT
    return ((NEAREST_WEIGHT + LEXICAL_WEIGHT) * nearest + CENTROID_WEIGHT * centroid) / total


class QuestionIndex:
    """Every question of every entry, embedded once; rank() scores a new question."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        self.keys = [e.key for e in entries if e.questions]
        rows = [
            (i, q) for i, e in enumerate(e for e in entries if e.questions) for q in e.questions
        ]
        self.owner = np.array([i for i, _ in rows], dtype=np.int64)
        self.questions = [q for _, q in rows]
        self.starts = np.searchsorted(self.owner, np.arange(len(self.keys)))
        self.vectors: NDArray[np.float32] = embed(self.questions)
        centroids = np.zeros((len(self.keys), self.vectors.shape[1]), dtype=np.float32)
        np.add.at(centroids, self.owner, self.vectors)
        norms = np.linalg.norm(centroids, axis=1, keepdims=True)
        self.centroids = centroids / np.maximum(norms, 1e-9)
        self.lexical = char_vectorizer()
        self.lexical_rows = self.lexical.fit_transform(self.questions) if self.questions else None

    def __len__(self) -> int:
        return len(self.keys)

    def scores(self, texts: Sequence[str]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """Per text and entry: the blended score, and the row of the nearest question."""
        if not self.keys:
            return np.zeros((len(texts), 0)), np.zeros((len(texts), 0), dtype=np.int64)
        assert self.lexical_rows is not None
        asked = embed(texts)
        semantic = (asked @ self.vectors.T).astype(np.float64)
        lexical = (self.lexical.transform(texts) @ self.lexical_rows.T).toarray()
        row_score = _row_score(semantic, lexical)
        # Rows are grouped by entry (owner never decreases): one max per group.
        best = np.maximum.reduceat(row_score, self.starts, axis=1)
        nearest = np.zeros((len(texts), len(self.keys)), dtype=np.int64)
        for owner in range(len(self.keys)):
            start, end = self._span(owner)
            nearest[:, owner] = start + row_score[:, start:end].argmax(axis=1)
        centroid = (asked @ self.centroids.T).astype(np.float64)
        return _blend(best, centroid), nearest

    def score_pairs(self, texts: Sequence[str], keys: Sequence[str]) -> NDArray[np.float64]:
        """The score ``rank`` gives ``texts[i]`` against the entry ``keys[i]``: whether a
        question matches one entry (``bench.match`` measures this on sentence pairs)."""
        if not texts:
            return np.zeros(0)
        assert self.lexical_rows is not None
        column = {key: owner for owner, key in enumerate(self.keys)}
        asked = embed(texts)
        asked_lexical = self.lexical.transform(texts)
        out = np.zeros(len(texts))
        for i, key in enumerate(keys):
            owner = column[key]
            start, end = self._span(owner)
            semantic = (self.vectors[start:end] @ asked[i]).astype(np.float64)
            lexical = (self.lexical_rows[start:end] @ asked_lexical[i].T).toarray().ravel()
            centroid = float(self.centroids[owner] @ asked[i])
            out[i] = _blend(_row_score(semantic, lexical).max(), centroid)
        return out

    def _span(self, owner: int) -> tuple[int, int]:
        """The rows of one entry's questions."""
        end = self.starts[owner + 1] if owner + 1 < len(self.starts) else len(self.owner)
        return int(self.starts[owner]), int(end)

    def rank(self, text: str, limit: int = 3, among: Collection[str] | None = None) -> list[Match]:
        return self.rank_many([text], limit, among)[0]

    def rank_many(
        self, texts: Sequence[str], limit: int = 3, among: Collection[str] | None = None
    ) -> list[list[Match]]:
        blended, nearest = self.scores(texts)
        allowed = None if among is None else {k for k in among}
        out: list[list[Match]] = []
        for i in range(len(texts)):
            order = np.argsort(-blended[i])
            found: list[Match] = []
            for j in order:
                key = self.keys[j]
                if allowed is not None and key not in allowed:
                    continue
                found.append(Match(key, float(blended[i, j]), self.questions[nearest[i, j]]))
                if len(found) == limit:
                    break
            out.append(found)
        return out
