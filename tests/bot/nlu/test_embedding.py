"""The packaged multilingual e5 model: real vectors, Chinese and English."""

from __future__ import annotations

import numpy as np

from bot.nlu.embedding import DIMENSIONS, embed, normalise


def test_a_paraphrase_is_closer_than_an_unrelated_question() -> None:
    vectors = embed(
        ["信用卡丢了怎么办", "我的信用卡遗失了", "网点几点开门", "I lost my credit card"]
    )
    assert vectors.shape == (4, DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    same, other, english = vectors[0] @ vectors[1], vectors[0] @ vectors[2], vectors[0] @ vectors[3]
    assert same > other + 0.05
    assert english > other  # the same meaning across languages


def test_empty_text_is_a_zero_row_and_repeats_come_from_the_cache() -> None:
    first = embed(["", "转账限额"])
    assert not first[0].any() and first[1].any()
    again = embed(["转账限额"])
    assert np.array_equal(first[1], again[0])


def test_full_width_letters_and_digits_read_as_half_width() -> None:
    assert normalise(" ＡＢＣ１２３ ") == "ABC123"


def test_a_batch_larger_than_the_cache_is_embedded_whole(monkeypatch) -> None:
    from bot.nlu import embedding

    monkeypatch.setattr(embedding, "_CACHE_SIZE", 2)
    texts = ["开户", "销户", "挂失", "转账"]
    vectors = embed(texts)
    assert all(v.any() for v in vectors)
    assert len(embedding._cache) == 2
