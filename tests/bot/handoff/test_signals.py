"""Anger and distress signals: what hands a customer to a person at once, and what not."""

from __future__ import annotations

import pytest

from bot.handoff.signals import detect
from tests.helpers import new_id, wait_for


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
    ],
)
def test_detect(text: str, expected: str | None) -> None:
    assert detect(text) == expected


def test_an_angry_customer_is_sent_to_rasa_as_a_request_for_a_person(
    fake_rasa, channel_client
) -> None:
    client = channel_client()
    client.post(
        "/webhooks/webchat",
        json={
            "visitor_id": "visitor-" + "b" * 12,
            "id": new_id(),
            "text": "垃圾银行！卡号 6222021234567890 又被扣钱",
        },
    )
    wait_for(lambda: len(fake_rasa.calls) == 1)
    [call] = fake_rasa.calls
    assert call["message"] == "/request_human"
    assert call["metadata"]["handoff_reason"] == "anger"
    assert "6222021234567890" not in call["metadata"]["text"]  # masked for the ticket
    client.post(
        "/webhooks/webchat",
        json={"visitor_id": "visitor-" + "c" * 12, "id": new_id(), "text": "你好"},
    )
    wait_for(lambda: len(fake_rasa.calls) == 2)
    assert fake_rasa.calls[1]["message"] == "你好"
    assert "handoff_reason" not in fake_rasa.calls[1]["metadata"]
    assert fake_rasa.calls[1]["metadata"]["tier"] == "standard"
