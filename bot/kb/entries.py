"""Knowledge-base answers, read by key at question time, so an edit is live at once
(no retraining). Withdrawn entries and entries outside their validity dates are not
answered with."""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot.core.db import Database
from bot.core.models import KbEntry


def in_force(session: Session, today: date) -> list[KbEntry]:
    """Every entry the assistant may answer with today."""
    return list(
        session.scalars(
            select(KbEntry).where(
                KbEntry.active.is_(True),
                or_(KbEntry.valid_from.is_(None), KbEntry.valid_from <= today),
                or_(KbEntry.valid_to.is_(None), KbEntry.valid_to >= today),
            )
        )
    )


def answer_for(db: Database, key: str, language: str, today: date) -> str | None:
    """The entry's answer in ``language`` (zh or en) if it is in force; counts the hit."""
    with db.session() as session:
        entry = session.scalar(select(KbEntry).where(KbEntry.key == key))
        if entry is None or not entry.active:
            return None
        if (entry.valid_from and entry.valid_from > today) or (
            entry.valid_to and entry.valid_to < today
        ):
            return None
        session.execute(update(KbEntry).where(KbEntry.id == entry.id).values(hits=KbEntry.hits + 1))
        return entry.answer_en if language == "en" else entry.answer_zh
