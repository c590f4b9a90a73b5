"""The pair model learns "same meaning" from labelled pairs."""

from __future__ import annotations

from bench.pair_model import PairModel

SAME = [
    ("花呗怎么还款", "花呗如何还钱"),
    ("借呗额度怎么提升", "怎样提高借呗额度"),
    ("信用卡丢了怎么办", "信用卡遗失如何处理"),
    ("转账限额是多少", "一天最多转多少钱"),
    ("怎么修改密码", "密码如何更改"),
    ("网点几点开门", "银行营业时间"),
    ("贷款利率多少", "借款的利息是多少"),
    ("怎么开通网银", "如何办理网上银行"),
]
DIFFERENT = [
    ("花呗怎么还款", "花呗额度怎么提升"),
    ("借呗额度怎么提升", "借呗怎么关闭"),
    ("信用卡丢了怎么办", "信用卡怎么激活"),
    ("转账限额是多少", "转账手续费多少"),
    ("怎么修改密码", "怎么修改手机号"),
    ("网点几点开门", "网点在哪里"),
    ("贷款利率多少", "贷款怎么申请"),
    ("怎么开通网银", "网银怎么注销"),
]


def test_pairs_with_the_same_meaning_score_higher() -> None:
    pairs = SAME + DIFFERENT
    labels = [1] * len(SAME) + [0] * len(DIFFERENT)
    model = PairModel(min_samples_leaf=2).fit([a for a, _ in pairs], [b for _, b in pairs], labels)
    probability = model.probability([a for a, _ in pairs], [b for _, b in pairs])
    assert probability.shape == (len(pairs),)
    assert probability[: len(SAME)].mean() > probability[len(SAME) :].mean()
    features = model.features(["花呗怎么还款"], ["花呗如何还钱"])
    assert features.shape[0] == 1 and 0.0 < features[0, 0] <= 1.0  # e5 cosine first
