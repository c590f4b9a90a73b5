"""The assistant's knowledge-base decisions on the seeded entries (SQLite and
PostgreSQL): answer, "did you mean", unanswered; recorded masked; edits live at once."""

from __future__ import annotations

import threading
from datetime import date, timedelta

from sqlalchemy import select, update

from bot.core.models import Conversation, KbEntry, KbQuery
from bot.kb.matcher import KbMatcher, answer_choice
from bot.nlu.retrieval import SUGGEST_AT

TODAY = date(2026, 11, 28)


def _hits(db, key: str) -> int:
    with db.session() as session:
        return session.scalar(select(KbEntry.hits).where(KbEntry.key == key)) or 0


def _conversation(db) -> int:
    with db.session() as session:
        conversation = Conversation(public_id="kb-test-1", channel="webchat", external_user_id="v1")
        session.add(conversation)
        session.flush()
        return conversation.id


def test_a_paraphrase_is_answered_and_counted(db) -> None:
    matcher = KbMatcher(db)
    before = _hits(db, "reset_password")
    outcome = matcher.match(None, "网银密码忘了", "zh", TODAY)
    assert outcome.decision == "answered" and outcome.key == "reset_password"
    assert "忘记密码" in (outcome.answer or "")
    english = matcher.match(None, "how do I open an account", "en", TODAY)
    assert english.decision == "answered" and english.key == "open_account"
    assert "account" in (english.answer or "").lower()
    assert _hits(db, "reset_password") == before + 1


def test_nonsense_is_not_answered_and_recorded_masked(db) -> None:
    outcome = KbMatcher(db).match(None, "猫咪在弹小提琴 6222021234567890128", "zh", TODAY)
    assert outcome.decision == "unanswered" and outcome.answer is None
    with db.session() as session:
        stored = session.scalars(select(KbQuery)).all()
    assert [q.decision for q in stored] == ["unanswered"]
    assert "6222021234567890128" not in stored[0].text and "0128" in stored[0].text


def test_a_vague_question_offers_three_choices_and_a_number_picks_one(db) -> None:
    conversation_id = _conversation(db)
    outcome = KbMatcher(db).match("kb-test-1", "周日银行开门吗", "zh", TODAY)
    assert outcome.decision == "suggested", outcome
    assert [c.number for c in outcome.choices] == [1, 2, 3]
    assert outcome.choices[0].key == "branch_hours"
    assert outcome.choices[0].question == "网点营业时间？"
    before = _hits(db, "branch_hours")
    with db.session() as session:
        assert answer_choice(session, conversation_id, "你好", "zh") is None  # not a pick
        reply = answer_choice(session, conversation_id, "１", "zh")
    assert reply is not None and "营业" in reply
    assert _hits(db, "branch_hours") == before + 1
    with db.session() as session:
        assert answer_choice(session, conversation_id, "2", "zh") is None  # already answered
        assert session.scalars(select(KbQuery.chosen_key)).all() == ["branch_hours"]


def test_none_of_these_becomes_an_unanswered_question(db) -> None:
    conversation_id = _conversation(db)
    KbMatcher(db).match("kb-test-1", "周日银行开门吗", "zh", TODAY)
    with db.session() as session:
        reply = answer_choice(session, conversation_id, "都不是", "zh")
    assert reply is not None and "转人工" in reply
    with db.session() as session:
        assert session.scalars(select(KbQuery.decision)).all() == ["unanswered"]


def test_an_edit_is_live_for_the_next_question_without_retraining(db) -> None:
    matcher = KbMatcher(db)
    question = "外币现钞在哪里兑换"
    assert matcher.match(None, question, "zh", TODAY).decision != "answered"
    with db.session() as session:
        session.execute(
            update(KbEntry)
            .where(KbEntry.key == "branch_hours")
            .values(
                similar_zh=["外币现钞在哪里兑换", "哪个网点可以换外币"],
                version=KbEntry.version + 1,
            )
        )
    changed = matcher.match(None, question, "zh", TODAY)
    assert changed.decision == "answered" and changed.key == "branch_hours"


def test_withdrawn_and_expired_entries_are_not_answered(db) -> None:
    matcher = KbMatcher(db)
    assert matcher.match(None, "网银密码忘了", "zh", TODAY).key == "reset_password"
    with db.session() as session:
        session.execute(
            update(KbEntry)
            .where(KbEntry.key == "reset_password")
            .values(valid_to=TODAY - timedelta(days=1), version=KbEntry.version + 1)
        )
    outcome = matcher.match(None, "网银密码忘了", "zh", TODAY)
    assert outcome.key != "reset_password"


def test_agents_get_the_closest_entries_as_suggestions(db) -> None:
    matcher = KbMatcher(db)
    with db.session() as session:
        zh = matcher.suggest(session, "网银密码忘记了怎么办", "zh", TODAY)
        en = matcher.suggest(session, "what is the transfer limit per day", "en", TODAY)
        assert matcher.suggest(session, " ", "zh", TODAY) == []
    assert zh[0].key == "reset_password" and "忘记密码" in zh[0].answer and len(zh) == 3
    assert en[0].key == "transfer_limit" and "CNY" in en[0].answer
    with db.session() as session:
        assert session.scalars(select(KbQuery)).all() == []  # suggestions are not recorded


def test_a_close_call_between_neighbours_is_offered_as_choices(db) -> None:
    """Two entries asked almost alike leave a small margin (a low calibrated
    confidence); a high best score still offers the first three."""
    with db.session() as session:
        for key, question in (
            ("box_key", "保险箱钥匙丢了怎么办"),
            ("box_key_again", "保险箱钥匙丢了怎么办？"),
        ):
            session.add(
                KbEntry(
                    key=key,
                    question_zh=question,
                    question_en=question,
                    answer_zh="答",
                    answer_en="A",
                    similar_zh=[],
                    similar_en=[],
                )
            )
    outcome = KbMatcher(db).match(None, "保险箱的钥匙不见了", "zh", TODAY)
    assert outcome.confidence < SUGGEST_AT and outcome.decision == "suggested", outcome
    assert {c.key for c in outcome.choices} >= {"box_key", "box_key_again"}


def test_a_stopping_process_does_not_wait_for_the_whole_index(db) -> None:
    """Warming embeds a batch at a time: a shutdown stops it between batches."""
    stop = threading.Event()
    stop.set()
    matcher = KbMatcher(db)
    matcher.warm(TODAY, stop)
    assert matcher._fingerprint is None  # nothing indexed: it stopped before the first batch
    matcher.warm(TODAY)
    assert matcher._fingerprint is not None
