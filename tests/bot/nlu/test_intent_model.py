"""The intent model: learns from a few examples, knows when it does not know."""

from __future__ import annotations

import math
import pickle

import pytest

from bot.nlu.intent_model import OUT_OF_SCOPE, IntentModel

EXAMPLES = {
    "card_lost": [
        "我的卡丢了",
        "银行卡找不到了",
        "信用卡遗失",
        "卡被偷了",
        "钱包和卡都丢了",
        "我的借记卡不见了",
        "I lost my card",
        "my card was stolen",
        "can't find my debit card",
        "my wallet and card are gone",
    ],
    "branch_hours": [
        "网点几点开门",
        "周末营业吗",
        "银行几点下班",
        "营业时间是什么",
        "节假日开门吗",
        "柜台几点关门",
        "when do you open",
        "branch opening hours",
        "are you open on saturday",
        "what time does the bank close",
    ],
    "oos": [
        "今天天气怎么样",
        "讲个笑话",
        "你喜欢什么颜色",
        "推荐一部电影",
        "月亮是什么做的",
        "帮我订外卖",
        "what's the weather",
        "tell me a joke",
        "who won the football game",
        "recommend a movie",
    ],
}


@pytest.fixture(scope="module")
def model() -> IntentModel:
    texts = [t for examples in EXAMPLES.values() for t in examples]
    labels = [label for label, examples in EXAMPLES.items() for _ in examples]
    return IntentModel().fit(texts, labels)


def test_unseen_phrasings_get_the_right_intent(model: IntentModel) -> None:
    found = model.predict(["我的银行卡好像掉了", "someone took my card", "你们星期天上班吗"])
    assert [p.intent for p in found] == ["card_lost", "card_lost", "branch_hours"]
    assert all(0.0 <= p.confidence <= 1.0 for p in found)
    assert found[0].ranking[0] == ("card_lost", found[0].confidence)


def test_out_of_scope_is_recognised_and_low_confidence_means_do_not_know(
    model: IntentModel,
) -> None:
    prediction = model.predict(["今天的天气适合去爬山吗"])[0]
    assert model.decide(prediction, 0.5) == OUT_OF_SCOPE
    sure = model.predict(["我的卡丢了，怎么办"])[0]
    assert model.decide(sure, 0.5) == "card_lost"
    assert model.decide(sure, 1.01) == OUT_OF_SCOPE  # nothing is that sure


def test_confidence_is_a_calibrated_probability_that_grows_with_the_margin(
    model: IntentModel,
) -> None:
    assert model.slope > 0
    assert model.confidence(1.0) > model.confidence(0.0) > model.confidence(-1.0)
    assert math.isclose(model.confidence(-model.bias / model.slope), 0.5, abs_tol=1e-9)


def test_the_trained_model_survives_pickling(model: IntentModel) -> None:
    copy = pickle.loads(pickle.dumps(model))
    assert copy.predict(["I lost my card"])[0].intent == "card_lost"
