"""The starter knowledge base: enough everyday questions, each asked several ways in both
languages, loaded once and never over what staff changed, within the quality rubric."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from sqlalchemy import delete, select

from bot.core.models import KbEntry, KbVersion, QaRule
from bot.kb import starter
from bot.kb.store import KbError

ENTRIES = starter.read()


def test_at_least_150_bilingual_entries_each_asked_three_ways() -> None:
    assert len(ENTRIES) >= 150
    for entry in ENTRIES:
        assert len(entry.similar_zh) >= 3 and len(entry.similar_en) >= 3, entry.key
        assert re.search(r"[\u4e00-\u9fff]", entry.question_zh + entry.answer_zh), entry.key
        assert entry.question_en.isascii() or "–" in entry.question_en, entry.key
        # folded lines leave no stray space inside Chinese text
        assert not re.search(r"[\u4e00-\u9fff，。；] [\u4e00-\u9fff]", entry.answer_zh), entry.key
    categories = {e.category for e in ENTRIES}
    assert {"account", "card", "credit_card", "loan", "wealth", "fx", "digital", "service"} <= (
        categories
    )


def test_a_file_with_a_thin_entry_is_refused_whole(tmp_path: Path) -> None:
    thin = tmp_path / "kb.yml"
    thin.write_text(
        yaml.safe_dump(
            {
                "entries": [
                    {
                        "key": "thin",
                        "zh": "问",
                        "en": "Q",
                        "similar_zh": ["一"],
                        "similar_en": ["a", "b", "c"],
                        "answer_zh": "答",
                        "answer_en": "A",
                    },
                    {"key": "no_answer", "zh": "问", "en": "Q"},
                ]
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    with pytest.raises(KbError) as refused:
        starter.read(thin)
    assert "thin: fewer than 3 similar" in str(refused.value)
    assert "no_answer:" in str(refused.value)


def test_loaded_once_never_over_staff_edits_and_deleted_stays_deleted(db) -> None:
    with db.session() as session:
        shipped = set(session.scalars(select(KbEntry.key)))  # the migrations' own entries
    first = starter.load_once(db)
    assert first is not None
    assert set(first.created) == {e.key for e in ENTRIES} - shipped
    assert set(first.kept) == shipped & {e.key for e in ENTRIES}
    assert starter.load_once(db) is None  # the second time: nothing
    with db.session() as session:
        session.execute(
            delete(KbVersion).where(
                KbVersion.entry_id.in_(select(KbEntry.id).where(KbEntry.key == "hotline"))
            )
        )
        session.execute(delete(KbEntry).where(KbEntry.key == "hotline"))
        entry = session.scalar(select(KbEntry).where(KbEntry.key == "balance_check"))
        entry.answer_zh = "本行自己的答案"
    assert starter.load_once(db) is None
    with db.session() as session:
        assert session.scalar(select(KbEntry).where(KbEntry.key == "hotline")) is None
    again = starter.load(db)  # on demand: adds what is missing, overwrites nothing
    assert again.created == ["hotline"]
    with db.session() as session:
        entry = session.scalar(select(KbEntry).where(KbEntry.key == "balance_check"))
        assert entry.answer_zh == "本行自己的答案"


def test_no_answer_breaks_the_quality_rubric(db) -> None:
    """No promise of returns anywhere; a wealth answer carries the risk statement."""
    with db.session() as session:
        rules = {r.key: r for r in session.scalars(select(QaRule))}
    forbidden = re.compile(rules["no_guaranteed_returns"].pattern, re.IGNORECASE)
    disclosure = re.compile(rules["risk_disclosure"].pattern, re.IGNORECASE)
    for entry in ENTRIES:
        for answer in (entry.answer_zh, entry.answer_en):
            assert forbidden.search(answer) is None, entry.key
        if entry.category == "wealth":
            assert disclosure.search(entry.answer_zh), entry.key
            assert disclosure.search(entry.answer_en), entry.key


def test_the_faq_training_examples_are_generated_from_the_file() -> None:
    assert starter.NLU_FILE.read_text(encoding="utf-8") == starter.nlu_examples(), (
        "data/nlu/faq_starter.yml is stale: run python -m bot.kb.starter"
    )
    assert "怎么查询账户余额？" in starter.nlu_examples()
    assert "银行卡丢了要怎么处理？" not in starter.nlu_examples()  # an incident's question
