"""The durable scanner: finds tickets whose next ladder step is due and writes each
escalation event exactly once.

Safe in every replica: on PostgreSQL the due tickets are locked with
``FOR UPDATE SKIP LOCKED`` (two scanners never work on one ticket at once) and the
UNIQUE(ticket_id, step) constraint is the final word; SQLite has a single writer.
Because deadlines are columns, a deadline that passed while the service was down is
found by the first scan after start and escalates once.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.core.db import Database
from bot.core.models import EscalationEvent, Ticket, utcnow
from bot.sla.ladder import LadderConfig, catch_up, ladder

log = logging.getLogger(__name__)


def next_step_at(ticket: Ticket, config: LadderConfig, done: set[str]) -> datetime | None:
    pending = [s.at for s in ladder(ticket, config) if s.step not in done]
    return min(pending) if pending else None


def scan(db: Database, config: LadderConfig, now: datetime | None = None, limit: int = 500) -> int:
    """One pass: returns how many escalation events were written (skipped ones aside)."""
    now = now or utcnow()
    written = 0
    try:
        with db.session() as session:
            tickets = session.scalars(
                select(Ticket)
                .where(Ticket.next_escalation_at <= now)
                .order_by(Ticket.next_escalation_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            emitted: dict[int, set[str]] = defaultdict(set)
            for ticket_id, step_name in session.execute(
                select(EscalationEvent.ticket_id, EscalationEvent.step).where(
                    EscalationEvent.ticket_id.in_([t.id for t in tickets])
                )
            ):
                emitted[ticket_id].add(step_name)
            for ticket in tickets:
                done = emitted[ticket.id]
                due = [s for s in ladder(ticket, config) if s.step not in done and s.at <= now]
                emit, skip = catch_up(due)
                for step, skipped in [(x, True) for x in skip] + [(x, False) for x in emit]:
                    session.add(
                        EscalationEvent(
                            ticket_id=ticket.id,
                            step=step.step,
                            target=step.target,
                            due_at=step.at,
                            created_at=now,
                            skipped=skipped,
                            # An overtaken step is recorded, never announced.
                            notified_at=now if skipped else None,
                        )
                    )
                written += len(emit)
                ticket.next_escalation_at = next_step_at(
                    ticket, config, done | {s.step for s in due}
                )
    except IntegrityError:
        # Another scanner wrote one of these steps first; nothing was written twice.
        log.info("escalation scan raced with another scanner; it will be redone")
        return 0
    return written


def next_due(db: Database) -> datetime | None:
    """When the ladder next has something to do, over all tickets (uses the index)."""
    with db.session() as session:
        return session.scalar(select(func.min(Ticket.next_escalation_at)))
