"""The knowledge-base store: versions, conflicts, withdrawal, rollback, masking."""

from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from bot.kb import store
from bot.kb.entries import answer_for
from bot.kb.store import EntryFields, KbConflict, NewEntry

FIELDS = {
    "question_zh": "外币兑换怎么办理？",
    "question_en": "How do I exchange foreign currency?",
    "answer_zh": "请在手机银行「外汇」中办理。",
    "answer_en": "Use Foreign Exchange in the app.",
    "similar_zh": ["换美元", "换美元", " ", "我的卡号 6222021234567890123 能换汇吗"],
    "category": "fx",
}


def _new(key: str = "fx_exchange") -> NewEntry:
    return NewEntry(key=key, **FIELDS)


def test_every_change_is_a_version_and_a_stale_save_is_refused(db) -> None:
    created = store.create(db, _new(), "supervisor-1")
    assert created["version"] == 1 and created["similar_zh"][0] == "换美元"
    assert len(created["similar_zh"]) == 2  # duplicates and blanks dropped
    assert "6222021234567890123" not in created["similar_zh"][1]  # masked like all text
    changed = EntryFields(**{**FIELDS, "answer_zh": "请到柜台办理。"})
    updated = store.update(db, "fx_exchange", changed, "supervisor-2", expected_version=1)
    assert updated["version"] == 2 and updated["updated_by"] == "supervisor-2"
    with pytest.raises(KbConflict):  # a colleague's save from version 1 must not overwrite
        store.update(db, "fx_exchange", EntryFields(**FIELDS), "supervisor-1", expected_version=1)
    with pytest.raises(KbConflict):
        store.create(db, _new(), "supervisor-1")
    versions = store.history(db, "fx_exchange")
    assert [(v["version"], v["action"]) for v in versions] == [(2, "update"), (1, "create")]


def test_withdrawn_entries_are_not_answered_and_rollback_brings_them_back(db) -> None:
    store.create(db, _new("fx_rates"), "supervisor-1")
    today = date.today()
    assert answer_for(db, "fx_rates", "en", today) == FIELDS["answer_en"]
    store.delete(db, "fx_rates", "supervisor-1")
    assert answer_for(db, "fx_rates", "en", today) is None
    assert store.get(db, "fx_rates")["active"] is False
    assert [e["key"] for e in store.listing(db)].count("fx_rates") == 0
    restored = store.rollback(db, "fx_rates", 1, "supervisor-1")
    assert restored["active"] is True and restored["version"] == 3
    assert answer_for(db, "fx_rates", "zh", today) == FIELDS["answer_zh"]
    with pytest.raises(LookupError):
        store.rollback(db, "fx_rates", 99, "supervisor-1")


def test_an_entry_is_answered_only_while_in_force(db) -> None:
    tomorrow = date.today() + timedelta(days=1)
    store.create(db, NewEntry(key="fx_later", valid_from=tomorrow, **FIELDS), "supervisor-1")
    assert answer_for(db, "fx_later", "en", date.today()) is None
    assert answer_for(db, "fx_later", "en", tomorrow) == FIELDS["answer_en"]


def test_bad_fields_are_refused_with_a_reason() -> None:
    with pytest.raises(ValidationError, match="valid_to is before valid_from"):
        EntryFields(**FIELDS, valid_from=date(2026, 12, 2), valid_to=date(2026, 12, 1))
    with pytest.raises(ValidationError):
        NewEntry(key="has spaces!", **FIELDS)
    with pytest.raises(ValidationError):
        EntryFields(**{**FIELDS, "answer_en": ""})
