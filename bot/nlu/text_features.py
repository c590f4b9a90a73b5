"""Sparse lexical features: word and character n-gram TF-IDF. Characters carry Chinese
(no segmentation needed) and English misspellings; words carry English phrasing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.nlu.embedding import normalise


def char_vectorizer(min_df: int = 1) -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(1, 4),
        sublinear_tf=True,
        min_df=min_df,
        lowercase=True,
        preprocessor=_prepare,
    )


def word_vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(
        ngram_range=(1, 2),
        sublinear_tf=True,
        lowercase=True,
        preprocessor=_prepare,
        token_pattern=r"(?u)\b\w+\b",  # noqa: S106 - a regular expression, not a secret
    )


def _prepare(text: str) -> str:
    return normalise(text).lower()


class Lexical:
    """Word plus character TF-IDF, fitted once, then applied."""

    def __init__(self) -> None:
        self.word = word_vectorizer()
        self.char = char_vectorizer()

    def fit_transform(self, texts: Sequence[str]) -> Any:
        return hstack([self.word.fit_transform(texts), self.char.fit_transform(texts)]).tocsr()

    def transform(self, texts: Sequence[str]) -> Any:
        return hstack([self.word.transform(texts), self.char.transform(texts)]).tocsr()


def dense(matrix: Any) -> csr_matrix:
    return csr_matrix(matrix)
