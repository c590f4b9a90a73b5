"""Knowledge-base suggestions for agents: the entries closest to the customer's last
message, by character-bigram overlap with the standard and similar questions (works for
Chinese and English alike)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.kb import in_force
from bot.models import utcnow

_WORD = re.compile(r"[\u4e00-\u9fff]|[a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Suggestion:
    key: str
    question: str
    answer: str
    score: float


def grams(text: str) -> set[str]:
    tokens = _WORD.findall(text.lower())
    chars = "".join(t for t in tokens if len(t) == 1 and not t.isascii())
    bigrams = {chars[i : i + 2] for i in range(len(chars) - 1)}
    return bigrams | {t for t in tokens if t.isascii() and len(t) > 2}


def suggest(session: Session, text: str, language: str, limit: int = 3) -> list[Suggestion]:
    asked = grams(text)
    if not asked:
        return []
    found: list[Suggestion] = []
    for entry in in_force(session, utcnow().date()):
        questions = [entry.question_zh, entry.question_en, *entry.similar_zh, *entry.similar_en]
        known = grams(" ".join([*questions, entry.key.replace("_", " ")]))
        overlap = len(asked & known) / len(asked | known) if known else 0.0
        if overlap > 0:
            english = language == "en"
            found.append(
                Suggestion(
                    key=entry.key,
                    question=entry.question_en if english else entry.question_zh,
                    answer=entry.answer_en if english else entry.answer_zh,
                    score=round(overlap, 3),
                )
            )
    found.sort(key=lambda s: -s.score)
    return found[:limit]
