"""Unanswered questions grouped by meaning for staff."""

from __future__ import annotations

from datetime import timedelta

from bot.core.models import KbQuery, utcnow
from bot.kb.gaps import clusters

UNANSWERED = [
    ("外币现钞在哪里兑换", "zh"),
    ("哪里可以换外币现钞", "zh"),
    ("外币现钞怎么兑换", "zh"),
    ("理财产品的收益率是多少", "zh"),
    ("理财产品收益率多少", "zh"),
    ("can I get a safe deposit box", "en"),
]


def _record(db, rows, decision="unanswered", age_days=0) -> None:
    with db.session() as session:
        for text, language in rows:
            session.add(
                KbQuery(
                    language=language,
                    text=text,
                    decision=decision,
                    confidence=0.1,
                    choices=[],
                    created_at=utcnow() - timedelta(days=age_days),
                )
            )


def test_unanswered_questions_are_grouped_largest_first(db) -> None:
    _record(db, UNANSWERED)
    _record(db, [("网银密码忘了", "zh")], decision="answered")
    _record(db, [("保险箱怎么租", "zh")], age_days=90)
    gaps = clusters(db, days=30)
    assert [g.size for g in gaps] == [3, 2, 1]
    assert set(gaps[0].examples) == {t for t, _ in UNANSWERED[:3]}
    assert gaps[2].languages == ("en",)
    assert "网银密码忘了" not in {e for g in gaps for e in g.examples}
    assert gaps[0].as_dict()["size"] == 3


def test_no_unanswered_questions_no_groups(db) -> None:
    assert clusters(db) == []
    _record(db, [("外币现钞在哪里兑换", "zh")])
    assert [g.size for g in clusters(db)] == [1]
