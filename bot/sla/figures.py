"""Service figures computed from the tickets themselves."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import select

from bot.core.db import Database
from bot.core.models import Conversation, SurveyResponse, Ticket, utcnow
from bot.tickets import revisits

P1_TARGET = timedelta(hours=4)


class Group(BaseModel):
    tickets: int
    first_response_avg_minutes: float | None
    handling_avg_hours: float | None
    breach_rate: float | None
    p1_within_4h_rate: float | None


class FollowupFigures(BaseModel):
    tasks_due: int  # tickets whose plan required a 回访 that has come due
    tasks_done: int  # of those, tickets whose 回访 reached the customer
    coverage: float | None  # reached / required
    surveys: int
    csat_avg: float | None
    csat_satisfied_rate: float | None  # share of 4s and 5s


class Figures(BaseModel):
    overall: Group
    followup: FollowupFigures
    by_priority: dict[str, Group]
    by_channel: dict[str, Group]
    by_team: dict[str, Group]


def _group(rows: list[tuple[Ticket, str]]) -> Group:
    now = utcnow()
    responses = [
        (t.first_responded_at - t.created_at).total_seconds() / 60
        for t, _ in rows
        if t.first_responded_at
    ]
    handled = [
        (t.resolved_at - t.created_at).total_seconds() / 3600 for t, _ in rows if t.resolved_at
    ]
    # A ticket breached if it was resolved late, or is still open past its deadline.
    judged = [t for t, _ in rows if t.resolved_at or t.resolution_due_at <= now]
    breached = [t for t in judged if (t.resolved_at or now) > t.resolution_due_at]
    p1 = [
        t
        for t, _ in rows
        if t.priority == "P1" and (t.resolved_at or t.created_at + P1_TARGET <= now)
    ]
    p1_ok = [t for t in p1 if t.resolved_at and t.resolved_at - t.created_at <= P1_TARGET]
    return Group(
        tickets=len(rows),
        first_response_avg_minutes=round(sum(responses) / len(responses), 1) if responses else None,
        handling_avg_hours=round(sum(handled) / len(handled), 2) if handled else None,
        breach_rate=round(len(breached) / len(judged), 4) if judged else None,
        p1_within_4h_rate=round(len(p1_ok) / len(p1), 4) if p1 else None,
    )


def _followup(db: Database) -> FollowupFigures:
    now = utcnow()
    with db.session() as session:
        covered = revisits.coverage(session, now)
        scores = list(session.scalars(select(SurveyResponse.score)))
    return FollowupFigures(
        tasks_due=covered.required,
        tasks_done=covered.reached,
        coverage=covered.rate,
        surveys=len(scores),
        csat_avg=round(sum(scores) / len(scores), 2) if scores else None,
        csat_satisfied_rate=round(sum(1 for x in scores if x >= 4) / len(scores), 4)
        if scores
        else None,
    )


def figures(db: Database, since: datetime | None = None, until: datetime | None = None) -> Figures:
    """Figures over the tickets opened in [since, until) (all tickets when not given)."""
    query = select(Ticket, Conversation.channel).join(
        Conversation, Ticket.conversation_id == Conversation.id
    )
    if since is not None:
        query = query.where(Ticket.created_at >= since)
    if until is not None:
        query = query.where(Ticket.created_at < until)
    with db.session() as session:
        rows = [(t, channel) for t, channel in session.execute(query).all()]
    by_priority: dict[str, list[tuple[Ticket, str]]] = defaultdict(list)
    by_channel: dict[str, list[tuple[Ticket, str]]] = defaultdict(list)
    by_team: dict[str, list[tuple[Ticket, str]]] = defaultdict(list)
    for ticket, channel in rows:
        by_priority[ticket.priority].append((ticket, channel))
        by_channel[channel].append((ticket, channel))
        by_team[ticket.team or "unassigned"].append((ticket, channel))
    return Figures(
        overall=_group(rows),
        followup=_followup(db),
        by_priority={k: _group(v) for k, v in sorted(by_priority.items())},
        by_channel={k: _group(v) for k, v in sorted(by_channel.items())},
        by_team={k: _group(v) for k, v in sorted(by_team.items())},
    )
