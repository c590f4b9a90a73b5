"""SLA policies and priority rules, read from the database (staff edit them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.models import PriorityRule, SlaPolicyRow
from bot.sla.calendar import Calendars


@dataclass(frozen=True, slots=True)
class Targets:
    first_response: timedelta
    resolution: timedelta
    calendar: str
    next_response: timedelta = timedelta(hours=24)


DEFAULT_TARGETS = Targets(timedelta(hours=24), timedelta(hours=72), "24x7")


def priority_for(session: Session, category: str, subcategory: str | None) -> str:
    """The most specific rule wins: (category, subcategory), then (category, *)."""
    rules = {
        (r.category, r.subcategory): r.priority
        for r in session.scalars(select(PriorityRule).where(PriorityRule.category == category))
    }
    return rules.get((category, subcategory or "*")) or rules.get((category, "*")) or "P3"


def targets_for(session: Session, priority: str, category: str) -> Targets:
    rows = {
        r.category: r
        for r in session.scalars(select(SlaPolicyRow).where(SlaPolicyRow.priority == priority))
    }
    row = rows.get(category) or rows.get("*")
    if row is None:
        return DEFAULT_TARGETS
    return Targets(
        timedelta(minutes=row.first_response_minutes),
        timedelta(minutes=row.resolution_minutes),
        row.calendar,
        timedelta(minutes=row.next_response_minutes),
    )


def deadlines(
    targets: Targets, calendars: Calendars, opened_at: datetime
) -> tuple[datetime, datetime]:
    """(first response due, resolution due); first response is never later than resolution."""
    resolution = calendars.add(targets.calendar, opened_at, targets.resolution)
    first = min(calendars.add(targets.calendar, opened_at, targets.first_response), resolution)
    return first, resolution
