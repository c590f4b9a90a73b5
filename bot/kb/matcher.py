"""The assistant's knowledge-base answers: match a customer's question against the
entries in force, decide (answer / "did you mean" / unanswered) on the calibrated
confidence, and record the decision (masked) for hit counts and the gap report.

The index is rebuilt when an entry changes (a staff edit is live for the very next
question, no retraining) or the day turns (validity dates)."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from bot.core.db import Database
from bot.core.lang import pick
from bot.core.models import KB_ENTRIES, KB_QUERIES, Conversation, KbEntry, KbQuery, utcnow
from bot.core.redact import redact
from bot.kb.entries import in_force
from bot.nlu.embedding import embed
from bot.nlu.retrieval import (
    ANSWER_AT,
    SUGGEST_AT,
    SUGGEST_SCORE,
    Calibration,
    Entry,
    QuestionIndex,
    load_calibration,
)

CHOICES = 3
WARM_BATCH = 32
CHOICE_MINUTES = 30
_PICK = re.compile(r"^\s*([1-3１-３])\s*[.。、]?\s*$")
_NONE = re.compile(
    r"^\s*(都不是|都不对|没有|不是|none( of (these|them))?|neither|no)\s*[.。!！]?\s*$", re.I
)


@dataclass(frozen=True, slots=True)
class Choice:
    number: int
    key: str
    question: str


@dataclass(frozen=True, slots=True)
class Outcome:
    decision: str  # answered | suggested | unanswered
    confidence: float
    key: str | None = None
    answer: str | None = None
    choices: tuple[Choice, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "decision": self.decision,
            "confidence": self.confidence,
            "key": self.key,
            "answer": self.answer,
            "choices": [
                {"number": c.number, "key": c.key, "question": c.question} for c in self.choices
            ],
        }


@dataclass(frozen=True, slots=True)
class Suggestion:
    """An entry an agent may want to answer with (the console's suggestions)."""

    key: str
    question: str
    answer: str
    score: float


@dataclass(frozen=True, slots=True)
class _Snapshot:
    question_zh: str
    question_en: str
    answer_zh: str
    answer_en: str

    def question(self, language: str) -> str:
        return self.question_en if language == "en" else self.question_zh

    def answer(self, language: str) -> str:
        return self.answer_en if language == "en" else self.answer_zh


class KbMatcher:
    def __init__(
        self,
        db: Database,
        calibration: Calibration | None = None,
        answer_at: float = ANSWER_AT,
        suggest_at: float = SUGGEST_AT,
    ) -> None:
        self.db = db
        self.calibration = calibration or load_calibration()
        self.answer_at = answer_at
        self.suggest_at = suggest_at
        self._lock = threading.Lock()
        self._fingerprint: tuple[object, ...] | None = None
        self._index = QuestionIndex([])
        self._entries: dict[str, _Snapshot] = {}

    def _current(self, session: Session, today: date) -> tuple[QuestionIndex, dict[str, _Snapshot]]:
        fingerprint = (
            today,
            *session.execute(
                select(
                    func.count(KbEntry.id), func.max(KbEntry.updated_at), func.sum(KbEntry.version)
                )
            ).one(),
        )
        with self._lock:
            if fingerprint != self._fingerprint:
                entries = in_force(session, today)
                self._index = QuestionIndex(
                    [
                        Entry(
                            e.key,
                            tuple(
                                q.strip()
                                for q in (
                                    e.question_zh,
                                    e.question_en,
                                    *e.similar_zh,
                                    *e.similar_en,
                                )
                                if q and q.strip()
                            ),
                        )
                        for e in entries
                    ]
                )
                self._entries = {
                    e.key: _Snapshot(e.question_zh, e.question_en, e.answer_zh, e.answer_en)
                    for e in entries
                }
                self._fingerprint = fingerprint
            return self._index, self._entries

    def suggest(
        self, session: Session, text: str, language: str, today: date, limit: int = 3
    ) -> list[Suggestion]:
        """The entries closest to ``text``, for an agent (nothing recorded or counted)."""
        if not text.strip():
            return []
        index, entries = self._current(session, today)
        return [
            Suggestion(
                m.key,
                entries[m.key].question(language),
                entries[m.key].answer(language),
                round(m.score, 3),
            )
            for m in index.rank(text, limit)
        ]

    def warm(self, today: date, stop: threading.Event | None = None) -> None:
        """Index the knowledge base now (at start, not on the first question). The
        questions are embedded a batch at a time, so a shutdown (``stop``) waits for one
        batch, not for the whole knowledge base; the index is then built from the cache."""
        with self.db.session() as session:
            entries = in_force(session, today)
        questions = [
            q.strip()
            for e in entries
            for q in (e.question_zh, e.question_en, *e.similar_zh, *e.similar_en)
            if q and q.strip()
        ]
        for start in range(0, len(questions), WARM_BATCH):
            if stop is not None and stop.is_set():
                return
            embed(questions[start : start + WARM_BATCH])  # kept in the embedding cache
        with self.db.session() as session:
            self._current(session, today)

    def match(
        self,
        conversation_public_id: str | None,
        text: str,
        language: str,
        today: date,
        record: bool = True,
    ) -> Outcome:
        """Decide on one question and (with ``record``) record the decision and the hit.

        Everything is read and worked out before the first write, so the transaction
        holds the database's write lock (SQLite's is one for the whole database, wanted by
        every webhook) for two statements, even in a process at a low CPU priority."""
        with self.db.session() as session:
            index, entries = self._current(session, today)
            ranked = index.rank(text, limit=CHOICES)
            confidence = round(self.calibration.confidence(ranked), 4)
            best = ranked[0].key if ranked else None
            if best is not None and confidence >= self.answer_at:
                outcome = Outcome("answered", confidence, best, entries[best].answer(language))
            elif best is not None and (
                confidence >= self.suggest_at or ranked[0].score >= SUGGEST_SCORE
            ):
                outcome = Outcome(
                    "suggested",
                    confidence,
                    best,
                    choices=tuple(
                        Choice(n, m.key, entries[m.key].question(language))
                        for n, m in enumerate(ranked, start=1)
                    ),
                )
            else:
                outcome = Outcome("unanswered", confidence, best)
            if not record:
                return outcome
            query = {
                "conversation_id": _conversation_id(session, conversation_public_id),
                "language": language,
                "text": redact(text),
                "decision": outcome.decision,
                "confidence": confidence,
                "best_key": best,
                "choices": [c.key for c in outcome.choices],
                "created_at": utcnow(),
            }
            if outcome.decision == "answered" and best is not None:
                _count_hit(session, best)
            session.execute(_NEW_QUERY, query)
            return outcome


_FULL_WIDTH_DIGITS = str.maketrans("１２３", "123")


def may_be_choice(text: str) -> bool:
    """Cheap check before any query: does the message look like an answer to "did you
    mean" (a number 1-3, or "none of these")?"""
    return bool(_PICK.match(text) or _NONE.match(text))


def answer_choice(session: Session, conversation_id: int, text: str, language: str) -> str | None:
    """If the customer answers the latest "did you mean" with a number (or "none of
    these"), the reply to send; None when the message is not such an answer."""
    picked = _PICK.match(text)
    declined = _NONE.match(text)
    if picked is None and declined is None:
        return None
    offer = session.scalar(
        select(KbQuery)
        .where(KbQuery.conversation_id == conversation_id)
        .order_by(KbQuery.id.desc())
        .limit(1)
    )
    if (
        offer is None
        or offer.decision != "suggested"
        or offer.chosen_key is not None
        or offer.created_at < utcnow() - timedelta(minutes=CHOICE_MINUTES)
    ):
        return None
    if declined is not None:
        offer.chosen_key = "-"
        offer.decision = "unanswered"
        return pick(
            language,
            "抱歉没能帮到您。您可以换个说法再问一次，或回复「转人工」由客服为您解答。",
            'Sorry I could not help. Try asking in other words, or send "agent" to talk to a person.',
        )
    assert picked is not None
    number = int(picked.group(1).translate(_FULL_WIDTH_DIGITS))
    if number > len(offer.choices):
        return None
    key = offer.choices[number - 1]
    entry = session.scalar(select(KbEntry).where(KbEntry.key == key))
    if entry is None or not entry.active:
        return None
    offer.chosen_key = key
    _count_hit(session, key)
    return entry.answer_en if language == "en" else entry.answer_zh


_HIT = (  # a plain table UPDATE: the ORM's version also re-evaluates loaded entries
    update(KB_ENTRIES)
    .where(KB_ENTRIES.c.key == bindparam("entry_key"))
    .values(hits=KB_ENTRIES.c.hits + 1)
)


_NEW_QUERY = insert(KB_QUERIES)


def _count_hit(session: Session, key: str) -> None:
    session.execute(_HIT, {"entry_key": key})


def _conversation_id(session: Session, public_id: str | None) -> int | None:
    if not public_id:
        return None
    return session.scalar(select(Conversation.id).where(Conversation.public_id == public_id))
