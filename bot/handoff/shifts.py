"""The shift calendar: who is on shift when (one row per person and span, stored in
UTC), by team.

The assistant reads it when a customer asks for a person: with nobody on shift it says
when the next shift starts instead of promising a wait. Until anyone is scheduled (a
new installation) the calendar is not kept and whoever is online answers, as before.
The live floor sets the people scheduled now beside the people online.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.core.db import Database
from bot.core.models import Shift, User

MAX_SHIFT = timedelta(hours=24)
MAX_REPEAT_DAYS = 62
MAX_RANGE = timedelta(days=93)


class ShiftError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class ShiftRow:
    id: int
    user_name: str
    display_name: str | None
    team: str | None
    starts_at: datetime
    ends_at: datetime
    note: str


@dataclass(frozen=True, slots=True)
class Cover:
    """Who is scheduled at a moment, and, with nobody, when the next shift starts."""

    kept: bool  # anyone was ever scheduled
    scheduled: frozenset[str]
    next_start: datetime | None

    def closed(self) -> bool:
        """The calendar is kept and nobody is on shift now."""
        return self.kept and not self.scheduled


def cover(session: Session, at: datetime) -> Cover:
    scheduled = frozenset(
        session.scalars(
            select(Shift.user_name).where(Shift.starts_at <= at, Shift.ends_at > at).distinct()
        )
    )
    kept = bool(scheduled) or session.scalar(select(Shift.id).limit(1)) is not None
    upcoming = None
    if kept and not scheduled:
        upcoming = session.scalar(select(func.min(Shift.starts_at)).where(Shift.starts_at > at))
    return Cover(kept, scheduled, upcoming)


def cover_now(db: Database, at: datetime) -> Cover:
    with db.session() as session:
        return cover(session, at)


def add(
    db: Database,
    user_name: str,
    starts_at: datetime,
    ends_at: datetime,
    actor: str,
    *,
    repeat_days: int = 1,
    note: str = "",
) -> list[int]:
    """Schedule ``user_name`` from ``starts_at`` to ``ends_at``, and on the following
    ``repeat_days - 1`` days at the same times. Refused when a span overlaps one of the
    person's own shifts."""
    if ends_at <= starts_at:
        raise ShiftError("结束时间须晚于开始时间 / a shift ends after it starts")
    if ends_at - starts_at > MAX_SHIFT:
        raise ShiftError("一个班次最长 24 小时 / a shift lasts at most 24 hours")
    if not 1 <= repeat_days <= MAX_REPEAT_DAYS:
        raise ShiftError(f"重复 1 到 {MAX_REPEAT_DAYS} 天 / repeat for 1 to {MAX_REPEAT_DAYS} days")
    with db.session() as session:
        user = session.scalar(select(User).where(User.name == user_name))
        if user is None or user.disabled_at is not None:
            raise ShiftError(f"没有该在职人员 / no enabled account {user_name!r}")
        spans = [
            (starts_at + timedelta(days=n), ends_at + timedelta(days=n)) for n in range(repeat_days)
        ]
        for start, end in spans:
            clash = session.scalar(
                select(Shift.starts_at).where(
                    Shift.user_name == user_name, Shift.starts_at < end, Shift.ends_at > start
                )
            )
            if clash is not None:
                raise ShiftError(
                    f"与 {user_name} 已有的班次重叠 / overlaps a shift {user_name} already has "
                    f"({clash.isoformat()})"
                )
        rows = [
            Shift(user_name=user_name, starts_at=s, ends_at=e, note=note.strip(), created_by=actor)
            for s, e in spans
        ]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def change(db: Database, shift_id: int, starts_at: datetime, ends_at: datetime) -> ShiftRow:
    """Move one shift (its person stays); the same checks as adding."""
    if ends_at <= starts_at or ends_at - starts_at > MAX_SHIFT:
        raise ShiftError("班次须在 24 小时之内且结束晚于开始 / a shift is up to 24 hours long")
    with db.session() as session:
        shift = session.get(Shift, shift_id, with_for_update=True)
        if shift is None:
            raise LookupError(shift_id)
        clash = session.scalar(
            select(Shift.id).where(
                Shift.user_name == shift.user_name,
                Shift.id != shift_id,
                Shift.starts_at < ends_at,
                Shift.ends_at > starts_at,
            )
        )
        if clash is not None:
            raise ShiftError("与该人员的其他班次重叠 / overlaps another shift of the same person")
        before = _row(shift, None, None)
        shift.starts_at, shift.ends_at = starts_at, ends_at
        return before


def remove(db: Database, shift_id: int) -> ShiftRow:
    with db.session() as session:
        shift = session.get(Shift, shift_id)
        if shift is None:
            raise LookupError(shift_id)
        gone = _row(shift, None, None)
        session.execute(delete(Shift).where(Shift.id == shift_id))
        return gone


def _row(shift: Shift, display_name: str | None, team: str | None) -> ShiftRow:
    return ShiftRow(
        shift.id,
        shift.user_name,
        display_name,
        team,
        shift.starts_at,
        shift.ends_at,
        shift.note,
    )


def between(
    db: Database, since: datetime, until: datetime, team: str | None = None
) -> list[ShiftRow]:
    """The shifts overlapping [since, until), of one team's members when given."""
    if until <= since or until - since > MAX_RANGE:
        raise ShiftError("日期范围最长 93 天 / a range of up to 93 days")
    with db.session() as session:
        query = (
            select(Shift, User.display_name, User.team)
            .join(User, User.name == Shift.user_name)
            .where(Shift.starts_at < until, Shift.ends_at > since)
            .order_by(Shift.starts_at, Shift.user_name)
        )
        if team is not None:
            query = query.where(User.team == team)
        return [_row(shift, shown, on) for shift, shown, on in session.execute(query)]
