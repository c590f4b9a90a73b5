"""Review-due reminders to the owners of knowledge-base entries.

Once a day (claimed across replicas), every live entry with an owner that was last
reviewed — approved by a second person, or else last changed — more than
``ANXIN_KB_REVIEW_DAYS`` ago, or whose validity ends within ``EXPIRY_NOTICE_DAYS``,
gets its owner a notice in the staff app, unless one about it is less than a week old.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.core.claims import claim_once
from bot.core.config import Settings
from bot.core.db import Database
from bot.core.models import KbEntry, StaffNotice, User, utcnow

EXPIRY_NOTICE_DAYS = 14
QUIET = timedelta(days=7)  # no second notice about the same entry within a week


def subject(key: str) -> str:
    return f"kb:{key}"


def remind(db: Database, now: datetime, review_days: int, today: date) -> list[str]:
    """Notice the owners of the entries due for review; returns their keys."""
    stale_before = now - timedelta(days=review_days)
    ends_by = today + timedelta(days=EXPIRY_NOTICE_DAYS)
    told: list[str] = []
    with db.session() as session:
        owners = set(session.scalars(select(User.name).where(User.disabled_at.is_(None))))
        recent = set(
            session.scalars(
                select(StaffNotice.subject).where(
                    StaffNotice.kind == "kb_review", StaffNotice.created_at > now - QUIET
                )
            )
        )
        for entry in session.scalars(
            select(KbEntry).where(KbEntry.active.is_(True), KbEntry.owner.is_not(None))
        ):
            reviewed = entry.reviewed_at or entry.updated_at
            ending = entry.valid_to is not None and today <= entry.valid_to <= ends_by
            if entry.owner not in owners or subject(entry.key) in recent:
                continue
            if not ending and reviewed >= stale_before:
                continue
            why = (
                f"将于 {entry.valid_to.isoformat()} 失效 / validity ends {entry.valid_to}"
                if ending and entry.valid_to is not None
                else f"已超过 {review_days} 天未复核 / not reviewed for {review_days} days"
            )
            session.add(
                StaffNotice(
                    user_name=entry.owner,
                    kind="kb_review",
                    ticket_id=None,
                    subject=subject(entry.key),
                    actor="system",
                    body=f"知识库「{entry.question_zh[:60]}」{why}",
                    created_at=now,
                )
            )
            told.append(entry.key)
    return told


class ReviewReminders:
    """Checked at every SLA scan: once a day, after 09:00 in the service's time zone;
    remembers the day it dealt with (no query then, as the weekly report does)."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.last_day: date | None = None

    def send_if_due(self, now: datetime | None = None) -> list[str]:
        moment = now or utcnow()
        local = moment.astimezone(ZoneInfo(self.settings.display_timezone))
        if local.hour < 9 or local.date() == self.last_day:
            return []
        self.last_day = local.date()
        if not claim_once(self.db, f"kb-review:{local.date().isoformat()}"):
            return []  # another replica has it
        return remind(self.db, moment, self.settings.kb_review_days, local.date())
