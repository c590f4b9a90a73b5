"""Question matching over knowledge-base entries and its calibrated confidence."""

from __future__ import annotations

import json

from bot.nlu.retrieval import (
    ANSWER_AT,
    SUGGEST_AT,
    Calibration,
    Entry,
    Match,
    QuestionIndex,
    load_calibration,
)

ENTRIES = [
    Entry(
        "reset_password",
        ("网银登录密码忘了怎么重置？", "忘记密码怎么找回", "How do I reset my password?"),
    ),
    Entry(
        "branch_hours", ("网点营业时间？", "周末网点营业吗", "What are the branch opening hours?")
    ),
    Entry(
        "card_activation", ("新卡如何激活？", "信用卡怎么开卡", "How do I activate my new card?")
    ),
]


def test_paraphrases_rank_their_entry_first_in_either_language() -> None:
    index = QuestionIndex(ENTRIES)
    assert len(index) == 3
    for text, key in [
        ("密码忘记了，登录不上网银", "reset_password"),
        ("银行星期六开门吗", "branch_hours"),
        ("I just got my credit card, how to activate it", "card_activation"),
    ]:
        ranked = index.rank(text)
        assert ranked[0].key == key, (text, ranked)
        assert ranked[0].score > ranked[1].score


def test_ranking_among_candidates_only() -> None:
    index = QuestionIndex(ENTRIES)
    ranked = index.rank("忘记密码", limit=3, among={"branch_hours", "card_activation"})
    assert {m.key for m in ranked} == {"branch_hours", "card_activation"}


def test_a_pair_scores_what_the_ranking_gives_that_entry() -> None:
    index = QuestionIndex(ENTRIES)
    texts = ["密码忘记了，登录不上网银", "银行星期六开门吗", "银行星期六开门吗"]
    keys = ["reset_password", "branch_hours", "card_activation"]
    scored = index.score_pairs(texts, keys)
    for text, key, score in zip(texts, keys, scored, strict=True):
        ranked = {m.key: m.score for m in index.rank(text, limit=3)}
        assert abs(ranked[key] - score) < 1e-6, (text, key)
    assert scored[1] > scored[2]  # the right entry scores higher than a wrong one
    assert index.score_pairs([], []).shape == (0,)


def test_an_empty_index_ranks_nothing() -> None:
    assert QuestionIndex([]).rank("anything") == []


def test_calibration_rewards_score_and_margin_and_round_trips(tmp_path) -> None:
    calibration = load_calibration()
    clear = [Match("a", 0.95, "q"), Match("b", 0.70, "q")]
    close = [Match("a", 0.80, "q"), Match("b", 0.79, "q")]
    assert calibration.confidence(clear) > calibration.confidence(close)
    assert calibration.confidence([]) == 0.0
    assert 0 < SUGGEST_AT < ANSWER_AT < 1
    path = tmp_path / "calibration.json"
    path.write_text(Calibration(1.5, 2.0, -1.0).to_json())
    assert load_calibration(path) == Calibration(1.5, 2.0, -1.0)
    assert json.loads(path.read_text())["margin"] == 2.0
