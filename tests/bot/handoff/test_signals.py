"""Anger and distress signals: what hands a customer to a person at once, and what not."""

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
    ],
)
def test_detect(text: str, expected: str | None) -> None:
    assert detect(text) == expected
