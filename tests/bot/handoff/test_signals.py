"""Anger, distress and escalation-risk signals: what hands a customer to a person at once, and what not."""

from __future__ import annotations

import pytest

from bot.handoff.signals import detect


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我真的不想活了", "distress"),
        ("I want to end my life", "distress"),
        ("你们这什么破银行，气死我了", "anger"),
        ("扣了我三次年费？？？", "anger"),
        ("This is ridiculous, I am fed up with you", "anger"),
        ("WHY IS MY CARD BLOCKED AGAIN", "anger"),
        ("我要投诉", None),  # a plain complaint goes through the assistant's ticket form
        ("我的信用卡丢了", None),
        ("How do I reset my online banking password?", None),
        ("理财产品收益滚动计算吗", None),
        ("ATM", None),
        ("I think a scammer took my money", None),  # fraud: a P1 incident, not anger
        ("？？？", None),  # question marks alone: confusion, the assistant asks what is meant
        ("???!!!", None),
        ("。。。", None),
        # A threat to go to the regulator, the media or a court: escalation risk.
        ("再不处理我就打12378投诉你们", "escalation"),
        ("我要向金融监管总局反映", "escalation"),
        ("我要去银保监会告你们", "escalation"),
        ("不解决我就找媒体曝光", "escalation"),
        ("我会去法院起诉你们", "escalation"),
        ("I will report this to the regulator", "escalation"),
        ("I am going to sue your bank", "escalation"),
        ("I will talk to my lawyer and take you to court", "escalation"),
        # Banking words that only look like it.
        ("我的账户被法院冻结了怎么办", None),
        ("How do I set up a power of attorney on my account", None),
        ("press the button to confirm", None),
    ],
)
def test_detect(text: str, expected: str | None) -> None:
    assert detect(text) == expected
