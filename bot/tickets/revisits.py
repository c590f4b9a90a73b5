"""The 回访 worklist: follow-up calls after resolution, their attempts, and coverage.

A task comes from the follow-up plan when a ticket closes (``followup.on_status_change``)
or from a low survey score. Staff work the tasks due today (the service's time zone):
each attempt is recorded with its result. A customer not reached is tried again a day
later, up to ``MAX_ATTEMPTS``; reached and unsatisfied reopens the ticket. Coverage, the
bank's 回访 target, is counted per ticket: tickets whose plan required a 回访 that is due,
and of those the ones whose 回访 reached the customer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import distinct, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.core.config import Settings
from bot.core.models import FollowupAttempt, FollowupTask, Ticket, utcnow
from bot.core.redact import redact

RESULTS = ("reached", "not_reached", "wrong_number", "declined")
SATISFACTION = ("satisfied", "neutral", "unsatisfied")
VIEWS = ("due", "mine", "upcoming", "done")
RETRY_AFTER = timedelta(days=1)
MAX_ATTEMPTS = 3
LIST_MAX = 200


class RevisitError(ValueError):
    """An attempt the task cannot take (answered 409 or 422)."""


@dataclass(frozen=True, slots=True)
class Task:
    id: int
    ticket: str
    priority: str
    category: str
    ticket_status: str
    reason: str
    state: str
    owner: str | None
    due_at: datetime
    overdue: bool
    attempts: int
    satisfaction: str | None
    note: str | None
    done_at: datetime | None


@dataclass(frozen=True, slots=True)
class Attempted:
    state: str
    next_due_at: datetime | None  # the re-attempt, when one is scheduled
    reopened: str | None  # the ticket reopened for an unsatisfied customer


@dataclass(frozen=True, slots=True)
class Coverage:
    required: int
    reached: int
    rate: float | None


def day_end(now: datetime, zone: str) -> datetime:
    """The end of today in the service's time zone (a task due today is on today's list)."""
    tz = ZoneInfo(zone)
    today: date = now.astimezone(tz).date()
    return datetime.combine(today + timedelta(days=1), time(0), tzinfo=tz)


def tasks(
    session: Session,
    view: str,
    me: str,
    now: datetime,
    zone: str,
    visible: ColumnElement[bool] | None = None,
) -> list[Task]:
    """One view of the worklist: ``due`` (open, due by the end of today, oldest first),
    ``mine`` (open and mine), ``upcoming`` (open, due after today), ``done``; of the
    tickets ``visible`` to the caller."""
    query = select(FollowupTask, Ticket).join(Ticket, FollowupTask.ticket_id == Ticket.id)
    if visible is not None:
        query = query.where(visible)
    end = day_end(now, zone)
    match view:
        case "due":
            query = query.where(FollowupTask.state == "open", FollowupTask.due_at < end)
        case "mine":
            query = query.where(FollowupTask.state == "open", FollowupTask.owner == me)
        case "upcoming":
            query = query.where(FollowupTask.state == "open", FollowupTask.due_at >= end)
        case "done":
            query = query.where(FollowupTask.state != "open")
        case _:
            raise RevisitError(f"unknown view {view!r}")
    order = (
        (FollowupTask.done_at.desc(), FollowupTask.id.desc())
        if view == "done"
        else (FollowupTask.due_at, FollowupTask.id)
    )
    return [
        _row(task, ticket, now)
        for task, ticket in session.execute(query.order_by(*order).limit(LIST_MAX))
    ]


def _row(task: FollowupTask, ticket: Ticket, now: datetime) -> Task:
    return Task(
        id=task.id,
        ticket=ticket.number or "",
        priority=ticket.priority,
        category=ticket.category,
        ticket_status=ticket.status,
        reason=task.reason,
        state=task.state,
        owner=task.owner,
        due_at=task.due_at,
        overdue=task.state == "open" and task.due_at <= now,
        attempts=task.attempts,
        satisfaction=task.satisfaction,
        note=task.outcome,
        done_at=task.done_at,
    )


def of_ticket(session: Session, ticket_id: int) -> list[dict[str, Any]]:
    """A ticket's 回访 tasks with their attempts (for the ticket page)."""
    out = []
    now = utcnow()
    for task, ticket in session.execute(
        select(FollowupTask, Ticket)
        .join(Ticket, FollowupTask.ticket_id == Ticket.id)
        .where(FollowupTask.ticket_id == ticket_id)
        .order_by(FollowupTask.id)
    ):
        attempts = session.scalars(
            select(FollowupAttempt)
            .where(FollowupAttempt.task_id == task.id)
            .order_by(FollowupAttempt.number)
        )
        out.append(
            asdict(_row(task, ticket, now))
            | {
                "tries": [
                    {
                        "number": a.number,
                        "at": a.at,
                        "actor": a.actor,
                        "result": a.result,
                        "satisfaction": a.satisfaction,
                        "note": a.note,
                    }
                    for a in attempts
                ]
            }
        )
    return out


def locked_task(session: Session, task_id: int) -> FollowupTask:
    task = session.scalar(select(FollowupTask).where(FollowupTask.id == task_id).with_for_update())
    if task is None:
        raise LookupError(task_id)
    return task


def assign(session: Session, task_id: int, owner: str | None) -> str:
    """Give the task to ``owner`` (None: back to the pool); returns the ticket number."""
    task = locked_task(session, task_id)
    task.owner = owner
    return ticket_number(session, task)


def ticket_number(session: Session, task: FollowupTask) -> str:
    return session.scalar(select(Ticket.number).where(Ticket.id == task.ticket_id)) or ""


def attempt(
    session: Session,
    settings: Settings,
    task_id: int,
    result: str,
    satisfaction: str | None,
    note: str | None,
    actor: str,
) -> Attempted:
    """Record one try at the task. ``satisfaction`` (when the customer gave one) goes
    with ``reached`` only."""
    from bot.tickets.lifecycle import apply_transition  # lifecycle imports the follow-ups

    if result not in RESULTS:
        raise RevisitError(f"unknown result {result!r}")
    if satisfaction is not None and result != "reached":
        raise RevisitError("a satisfaction goes with 'reached' only")
    if satisfaction is not None and satisfaction not in SATISFACTION:
        raise RevisitError(f"unknown satisfaction {satisfaction!r}")
    task = locked_task(session, task_id)
    if task.state != "open":
        raise RevisitError(f"this 回访 is finished ({task.state})")
    now = utcnow()
    text = redact(note) if note else None
    task.attempts += 1
    session.add(
        FollowupAttempt(
            task_id=task.id,
            number=task.attempts,
            at=now,
            actor=actor,
            result=result,
            satisfaction=satisfaction,
            note=text,
        )
    )
    task.owner = task.owner or actor
    task.outcome = text
    if result == "not_reached" and task.attempts < MAX_ATTEMPTS:
        task.due_at = now + RETRY_AFTER
        return Attempted("open", task.due_at, None)
    task.state = "unreached" if result == "not_reached" else result
    task.satisfaction = satisfaction
    task.done_at, task.done_by = now, actor
    reopened = None
    if satisfaction == "unsatisfied":
        ticket = session.scalar(select(Ticket).where(Ticket.id == task.ticket_id).with_for_update())
        assert ticket is not None
        if ticket.status in ("resolved", "closed"):
            apply_transition(
                session, settings, ticket, "open", actor, "回访：客户不满意 / revisit: unsatisfied"
            )
            reopened = ticket.number
    return Attempted(task.state, None, reopened)


def coverage(session: Session, now: datetime | None = None) -> Coverage:
    """Tickets whose plan requires a 回访 that has come due (a re-attempt moves the due
    time on, but a task with an attempt has been due), and of those the tickets whose
    回访 reached the customer (on any of the ticket's tasks)."""
    now = now or utcnow()
    required = (
        select(FollowupTask.ticket_id)
        .where(
            FollowupTask.reason == "plan",
            or_(FollowupTask.due_at <= now, FollowupTask.attempts > 0),
        )
        .distinct()
    )
    total = session.scalar(select(func.count()).select_from(required.subquery())) or 0
    reached = session.scalar(
        select(func.count(distinct(FollowupTask.ticket_id))).where(
            FollowupTask.state == "reached", FollowupTask.ticket_id.in_(required)
        )
    )
    done = int(reached or 0)
    return Coverage(total, done, round(done / total, 4) if total else None)
