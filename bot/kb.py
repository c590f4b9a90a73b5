"""Knowledge-base answers, read by key so staff can edit them without retraining."""

from __future__ import annotations

from sqlalchemy import select, update

from bot.db import Database
from bot.models import KbEntry


def answer_for(db: Database, key: str, language: str) -> str | None:
    """The entry's answer in ``language`` (zh or en); counts the hit."""
    with db.session() as session:
        entry = session.scalar(select(KbEntry).where(KbEntry.key == key))
        if entry is None:
            return None
        session.execute(update(KbEntry).where(KbEntry.id == entry.id).values(hits=KbEntry.hits + 1))
        return entry.answer_en if language == "en" else entry.answer_zh
