"""Access (PIPL art. 45): the export of a customer seeded with chats on two channels,
a ticket with a note, a 回访 and a survey holds each of them, as JSON and as a page in
Chinese and in English; another customer's data is not in it."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

from bot.privacy import export, subjects
from tests.bot.privacy.seed import seed, vault_of

TZ = ZoneInfo("Asia/Shanghai")


def test_the_export_holds_every_kind_of_their_data_and_nothing_of_others(db) -> None:
    zhang = seed(db, "张三丰", "+8613912345678", "visitor-zhang", "我的借记卡在地铁上丢了")
    seed(db, "李四光", "+8613700002222", "visitor-li", "信用卡账单金额不对")
    with db.session() as session:
        subject = subjects.find(session, vault_of(db), phone=zhang.phone)
        data = export.collect(session, vault_of(db), subject)
    assert data["customer"]["phone"] == zhang.phone
    channels = sorted(c["channel"] for c in data["conversations"])
    assert channels == ["sms", "webchat"]
    said = [m["text"] for c in data["conversations"] for m in c["messages"]]
    assert f"我叫张三丰，{zhang.words}" in said and "张三丰：卡片什么时候寄到" in said
    assert any(m["from"] == "agent" for c in data["conversations"] for m in c["messages"])
    (ticket,) = data["tickets"]
    assert ticket["number"] == zhang.ticket and zhang.words in ticket["description"]
    notes = [h["text"] for h in ticket["history"] if h["what"] == "note"]
    assert notes == [f"张三丰来电补充：{zhang.words}"]
    (visit,) = data["follow_up_visits"]
    assert visit["calls"][0]["note"] == "张三丰接听，满意"
    assert data["surveys"] == [
        {
            "ticket": zhang.ticket,
            "score": 5,
            "comment": "张三丰觉得很好",
            "at": data["surveys"][0]["at"],
        }
    ]
    assert data["knowledge_base_questions"][0]["text"] == "张三丰问：年费多少"
    text = json.dumps(data, ensure_ascii=False)
    assert "李四光" not in text and "li.agent" not in text  # no other customer, no staff login
    page_zh = export.document(data, "zh", TZ)
    page_en = export.document(data, "en", TZ)
    assert "个人信息副本" in page_zh and "回访" in page_zh and "张三丰接听，满意" in page_zh
    assert "Copy of your personal information" in page_en and "Follow-up visits" in page_en
    assert zhang.ticket in page_en and "满意度评价" not in page_en


def test_the_page_escapes_what_people_wrote(db) -> None:
    from bot.core.models import utcnow
    from bot.pipeline.inbox import accept
    from bot.pipeline.messages import InboundMessage

    accept(db, InboundMessage("webchat", "x-1", "visitor-x", "<script>alert(1)</script>", utcnow()))
    with db.session() as session:
        subject = subjects.find(session, None, channel="webchat", user="visitor-x")
        data = export.collect(session, None, subject)
    page = export.document(data, "zh", TZ)
    assert "<script>alert" not in page and "&lt;script&gt;" in page
