"""The bank's service targets over a day, a week or a month, and the tickets behind each.

The five targets (defaults from the bank's plan, ``ANXIN_TARGET_*``; wall-clock hours,
the service runs 7x24):

- **answered**: tickets created in the period whose first human response (an agent's
  message to the customer, a reply from the desk, a call that reached the customer —
  ``tickets.first_responded_at``; the assistant's acknowledgement is not one) came
  within 24 h of creation. Answered later, or unanswered after 24 h: missed. Unanswered
  and younger than 24 h: pending (in no share).
- **handling**: mean hours from creation to final resolution over the tickets resolved
  in the period (a reopened ticket counts to its last resolution); a ticket above the
  target hours is "missed" in the list behind the figure.
- **major**: P1 tickets created in the period resolved within 4 h of creation; resolved
  later, or open and older than 4 h: missed; open and younger: pending.
- **revisit** (回访 coverage): tickets resolved in the period whose plan requires a 回访
  that has come due (or been attempted); met when a 回访 reached the customer.
- **satisfaction**: survey answers in the period of 4 or 5 over all answers; beside it
  the share of 回访 answers "satisfied" recorded in the period.

Beside them: complaint volume by subcategory, channel and team; repeat contacts (a
ticket whose customer had a ticket of the same category in the 7 days before);
first-contact resolution (a resolved ticket never reopened and with no repeat contact
in the 7 days after it was opened); containment (conversations a customer wrote in
during the period that got neither a ticket nor a person in it).

A ticket merged into another is left out (the one it was merged into carries the work).
A team's supervisor sees the figures of the tickets assigned to their team.

Everything is read from the tables for the period's rows only (indexes on the times),
then classified here: the figure and the list of tickets behind it come from the same
function, so a click on a figure lists exactly what was counted.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from bot.core.config import Settings
from bot.core.models import (
    Conversation,
    FollowupTask,
    Handoff,
    Message,
    SurveyResponse,
    Ticket,
)

PERIODS = ("day", "week", "month")
FIGURES = ("answered", "handling", "major", "revisit", "satisfaction", "repeat", "fcr")
OUTCOMES = ("met", "missed", "pending")
REPEAT_WINDOW = timedelta(days=7)
LIST_MAX = 500


class TargetsError(ValueError):
    """A period or figure the report does not know (answered 422)."""


@dataclass(frozen=True, slots=True)
class Goals:
    """The targets the bank is held to."""

    answer_hours: float = 24.0
    answered: float = 1.0
    handling_hours: float = 12.0
    major_hours: float = 4.0
    major: float = 1.0
    revisit: float = 0.95
    satisfaction: float = 0.90

    @classmethod
    def of(cls, settings: Settings) -> Goals:
        return cls(
            answer_hours=settings.target_answer_hours,
            answered=settings.target_answered_share,
            handling_hours=settings.target_handling_hours,
            major_hours=settings.target_major_hours,
            major=settings.target_major_share,
            revisit=settings.target_revisit_share,
            satisfaction=settings.target_satisfaction_share,
        )


@dataclass(frozen=True, slots=True)
class Bucket:
    label: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Window:
    """A period in the service's time zone: [start, end), its trend buckets (hours of
    a day, days of a week or month) and the neighbouring periods' dates."""

    kind: str
    at: date
    start: datetime
    end: datetime
    label: str
    buckets: tuple[Bucket, ...]
    previous: date
    following: date


def window(kind: str, at: date, zone: str) -> Window:
    tz = ZoneInfo(zone)
    if kind == "day":
        first, last = at, at + timedelta(days=1)
        label, previous, following = at.isoformat(), at - timedelta(days=1), last
    elif kind == "week":
        first = at - timedelta(days=at.weekday())
        last = first + timedelta(days=7)
        year, week, _ = first.isocalendar()
        label, previous, following = f"{year}-W{week:02d}", first - timedelta(days=7), last
    elif kind == "month":
        first = at.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1)
        label = f"{first.year}-{first.month:02d}"
        previous, following = (first - timedelta(days=1)).replace(day=1), last
    else:
        raise TargetsError(f"unknown period {kind!r}: day, week or month")

    def moment(day: date, hour: int = 0) -> datetime:
        return datetime.combine(day, time(hour), tzinfo=tz)

    if kind == "day":
        buckets = tuple(
            Bucket(f"{h:02d}:00", moment(at, h), moment(at, h + 1) if h < 23 else moment(last))
            for h in range(24)
        )
    else:
        days = (last - first).days
        buckets = tuple(
            Bucket(
                (first + timedelta(days=i)).strftime("%m-%d"),
                moment(first + timedelta(days=i)),
                moment(first + timedelta(days=i + 1)),
            )
            for i in range(days)
        )
    return Window(kind, at, moment(first), moment(last), label, buckets, previous, following)


@dataclass(slots=True)
class TicketRow:
    id: int
    number: str
    priority: str
    category: str
    subcategory: str | None
    status: str
    channel: str
    team: str | None
    assignee: str | None
    created_at: datetime
    first_responded_at: datetime | None
    resolved_at: datetime | None
    reopen_count: int
    customer: tuple[str, int]  # the customer, or the one channel identity when unknown


@dataclass(slots=True)
class Tally:
    """One figure: how many met, missed and are pending, with the tickets behind each."""

    met: list[int] = field(default_factory=list)
    missed: list[int] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)

    def add(self, outcome: str | None, ticket_id: int) -> None:
        if outcome is not None:
            getattr(self, outcome).append(ticket_id)

    @property
    def share(self) -> float | None:
        judged = len(self.met) + len(self.missed)
        return round(len(self.met) / judged, 4) if judged else None

    def counts(self) -> dict[str, Any]:
        return {
            "met": len(self.met),
            "missed": len(self.missed),
            "pending": len(self.pending),
            "value": self.share,
        }


def _columns() -> Select[Any]:
    query: Select[Any] = select(
        Ticket.id,
        Ticket.number,
        Ticket.priority,
        Ticket.category,
        Ticket.subcategory,
        Ticket.status,
        Conversation.channel,
        Ticket.team,
        Ticket.assignee,
        Ticket.created_at,
        Ticket.first_responded_at,
        Ticket.resolved_at,
        Ticket.reopen_count,
        Conversation.customer_id,
        Ticket.conversation_id,
    ).join(Conversation, Ticket.conversation_id == Conversation.id)  # type: ignore[assignment]
    return query


def _rows(session: Session, query: Select[Any]) -> list[TicketRow]:
    return [
        TicketRow(
            r[0],
            r[1] or "",
            r[2],
            r[3],
            r[4],
            r[5],
            r[6],
            r[7],
            r[8],
            r[9],
            r[10],
            r[11],
            r[12] or 0,
            ("customer", r[13]) if r[13] is not None else ("conversation", r[14]),
        )
        for r in session.execute(query)
    ]


def _scoped(query: Select[Any], team: str | None) -> Select[Any]:
    query = query.where(Ticket.merged_into_id.is_(None))
    return query.where(Ticket.team == team) if team is not None else query


# -- the classification of one ticket for one figure (the figure and its list agree) --


def answered(t: TicketRow, goals: Goals, now: datetime) -> str:
    limit = timedelta(hours=goals.answer_hours)
    if t.first_responded_at is not None:
        return "met" if t.first_responded_at - t.created_at <= limit else "missed"
    return "missed" if now - t.created_at > limit else "pending"


def major(t: TicketRow, goals: Goals, now: datetime) -> str | None:
    if t.priority != "P1":
        return None
    limit = timedelta(hours=goals.major_hours)
    if t.resolved_at is not None:
        return "met" if t.resolved_at - t.created_at <= limit else "missed"
    return "missed" if now - t.created_at > limit else "pending"


def handling(t: TicketRow, goals: Goals) -> str:
    assert t.resolved_at is not None
    hours = (t.resolved_at - t.created_at).total_seconds() / 3600
    return "met" if hours <= goals.handling_hours else "missed"


def _hours(t: TicketRow) -> float:
    assert t.resolved_at is not None
    return (t.resolved_at - t.created_at).total_seconds() / 3600


@dataclass(slots=True)
class Contacts:
    """Repeat contacts and first-contact resolution over the period's tickets."""

    repeat: Tally
    fcr: Tally


def contacts(period: list[TicketRow], around: list[TicketRow]) -> Contacts:
    """``around`` holds the tickets from 7 days before the period to 7 days after it."""
    by_need: dict[tuple[tuple[str, int], str], list[datetime]] = defaultdict(list)
    for t in around:
        by_need[(t.customer, t.category)].append(t.created_at)
    for moments in by_need.values():
        moments.sort()
    repeat, fcr = Tally(), Tally()
    for t in period:
        moments = by_need[(t.customer, t.category)]
        before = any(t.created_at - REPEAT_WINDOW <= m < t.created_at for m in moments)
        after = any(t.created_at < m <= t.created_at + REPEAT_WINDOW for m in moments)
        repeat.add("met" if before else "missed", t.id)  # "met": is a repeat contact
        if t.resolved_at is not None:
            fcr.add("met" if t.reopen_count == 0 and not after else "missed", t.id)
    return Contacts(repeat, fcr)


@dataclass(slots=True)
class Found:
    """Everything the report counts over one window (and the rows, for the lists)."""

    window: Window
    goals: Goals
    created: list[TicketRow]
    resolved: list[TicketRow]
    answered: Tally
    major: Tally
    handling: Tally
    revisit: Tally
    satisfaction: Tally
    contacts: Contacts
    revisit_satisfied: tuple[int, int]  # 回访 answers "satisfied", all 回访 answers
    conversations: int
    contained: int


def _between(column: Any, start: datetime, end: datetime) -> Any:
    return and_(column >= start, column < end)


def find(
    session: Session, win: Window, goals: Goals, now: datetime, team: str | None = None
) -> Found:
    start, end = win.start, win.end
    around = _rows(
        session,
        _scoped(
            _columns().where(
                _between(Ticket.created_at, start - REPEAT_WINDOW, end + REPEAT_WINDOW)
            ),
            team,
        ),
    )
    created = [t for t in around if start <= t.created_at < end]
    resolved = _rows(
        session, _scoped(_columns().where(_between(Ticket.resolved_at, start, end)), team)
    )
    answered_t, major_t, handling_t = Tally(), Tally(), Tally()
    for t in created:
        answered_t.add(answered(t, goals, now), t.id)
        major_t.add(major(t, goals, now), t.id)
    for t in resolved:
        handling_t.add(handling(t, goals), t.id)
    return Found(
        window=win,
        goals=goals,
        created=created,
        resolved=resolved,
        answered=answered_t,
        major=major_t,
        handling=handling_t,
        revisit=_revisits(session, start, end, now, team),
        satisfaction=_surveys(session, start, end, team),
        contacts=contacts(created, around),
        revisit_satisfied=_revisit_answers(session, start, end, team),
        **_containment(session, start, end),
    )


def _revisits(
    session: Session, start: datetime, end: datetime, now: datetime, team: str | None
) -> Tally:
    """Tickets resolved in the window whose plan requires a 回访 that has come due."""
    query: Select[Any] = (
        select(FollowupTask.ticket_id, FollowupTask.state)  # type: ignore[assignment]
        .join(Ticket, FollowupTask.ticket_id == Ticket.id)
        .where(
            FollowupTask.reason == "plan",
            or_(FollowupTask.due_at <= now, FollowupTask.attempts > 0),
            _between(Ticket.resolved_at, start, end),
        )
    )
    reached: dict[int, bool] = {}
    for ticket_id, state in session.execute(_scoped(query, team)):
        reached[ticket_id] = reached.get(ticket_id, False) or state == "reached"
    # a reached 回访 on a low-score task of the same ticket reached the customer too
    if reached:
        for (ticket_id,) in session.execute(
            select(FollowupTask.ticket_id).where(
                FollowupTask.state == "reached", FollowupTask.ticket_id.in_(list(reached))
            )
        ):
            reached[ticket_id] = True
    tally = Tally()
    for ticket_id, ok in sorted(reached.items()):
        tally.add("met" if ok else "missed", ticket_id)
    return tally


def _surveys(session: Session, start: datetime, end: datetime, team: str | None) -> Tally:
    query = (
        select(SurveyResponse.ticket_id, SurveyResponse.score)
        .join(Ticket, SurveyResponse.ticket_id == Ticket.id)
        .where(_between(SurveyResponse.created_at, start, end))
    )
    if team is not None:
        query = query.where(Ticket.team == team)
    tally = Tally()
    for ticket_id, score in session.execute(query):
        tally.add("met" if score >= 4 else "missed", ticket_id)
    return tally


def _revisit_answers(
    session: Session, start: datetime, end: datetime, team: str | None
) -> tuple[int, int]:
    query = (
        select(FollowupTask.satisfaction)
        .join(Ticket, FollowupTask.ticket_id == Ticket.id)
        .where(FollowupTask.satisfaction.is_not(None), _between(FollowupTask.done_at, start, end))
    )
    if team is not None:
        query = query.where(Ticket.team == team)
    answers = list(session.scalars(query))
    return sum(1 for a in answers if a == "satisfied"), len(answers)


def _containment(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    """Conversations a customer wrote in during the window; contained when neither a
    ticket nor a handoff to a person began in them during the window."""
    wrote = set(
        session.scalars(
            select(Message.conversation_id)
            .where(Message.direction == "in", _between(Message.created_at, start, end))
            .distinct()
        )
    )
    served = set(
        session.scalars(
            select(Ticket.conversation_id).where(_between(Ticket.created_at, start, end))
        )
    ) | set(
        session.scalars(
            select(Handoff.conversation_id).where(_between(Handoff.queued_at, start, end))
        )
    )
    return {"conversations": len(wrote), "contained": len(wrote - served)}


# -- the report --


def _status(value: float | None, goal: float, lower_is_better: bool = False) -> str | None:
    if value is None:
        return None
    ok = value <= goal if lower_is_better else value >= goal
    return "green" if ok else "red"


def _trend(found: Found) -> list[dict[str, Any]]:
    buckets = found.window.buckets
    created = {t.id: t for t in found.created}
    resolved = {t.id: t for t in found.resolved}

    starts = [b.start for b in buckets]

    def index(moment: datetime) -> int | None:
        i = bisect_right(starts, moment) - 1
        return i if 0 <= i and moment < buckets[i].end else None

    points: list[dict[str, Any]] = [
        {"label": b.label, "tickets": 0, "answered": Tally(), "major": Tally(), "hours": []}
        for b in buckets
    ]
    for kind in ("answered", "major"):
        tally: Tally = getattr(found, kind)
        for outcome in OUTCOMES:
            for ticket_id in getattr(tally, outcome):
                i = index(created[ticket_id].created_at)
                if i is not None:
                    points[i][kind].add(outcome, ticket_id)
    for t in found.created:
        i = index(t.created_at)
        if i is not None:
            points[i]["tickets"] += 1
    for t in resolved.values():
        assert t.resolved_at is not None
        i = index(t.resolved_at)
        if i is not None:
            points[i]["hours"].append(_hours(t))
    return [
        {
            "label": p["label"],
            "tickets": p["tickets"],
            "answered": p["answered"].share,
            "major": p["major"].share,
            "handling_hours": round(sum(p["hours"]) / len(p["hours"]), 2) if p["hours"] else None,
        }
        for p in points
    ]


def _volume(rows: Iterable[TicketRow], key: str) -> dict[str, int]:
    counted = Counter(getattr(t, key) or "" for t in rows)
    return dict(sorted(counted.items(), key=lambda kv: (-kv[1], kv[0])))


def report(found: Found) -> dict[str, Any]:
    """The figures, red or green against the targets, the trend and the volumes."""
    goals, win = found.goals, found.window
    hours = [_hours(t) for t in found.resolved]
    handling_avg = round(sum(hours) / len(hours), 2) if hours else None
    complaints = [t for t in found.created if t.category == "complaint"]
    satisfied, answers = found.revisit_satisfied
    return {
        "period": {
            "kind": win.kind,
            "at": win.at.isoformat(),
            "label": win.label,
            "start": win.start.isoformat(),
            "end": win.end.isoformat(),
            "previous": win.previous.isoformat(),
            "following": win.following.isoformat(),
        },
        "targets": {
            "answered": {
                **found.answered.counts(),
                "goal": goals.answered,
                "hours": goals.answer_hours,
                "status": _status(found.answered.share, goals.answered),
            },
            "handling": {
                **found.handling.counts(),
                "value": handling_avg,
                "goal": goals.handling_hours,
                "status": _status(handling_avg, goals.handling_hours, lower_is_better=True),
            },
            "major": {
                **found.major.counts(),
                "goal": goals.major,
                "hours": goals.major_hours,
                "status": _status(found.major.share, goals.major),
            },
            "revisit": {
                **found.revisit.counts(),
                "goal": goals.revisit,
                "status": _status(found.revisit.share, goals.revisit),
            },
            "satisfaction": {
                **found.satisfaction.counts(),
                "goal": goals.satisfaction,
                "status": _status(found.satisfaction.share, goals.satisfaction),
                "revisit_satisfied": round(satisfied / answers, 4) if answers else None,
                "revisit_answers": answers,
            },
        },
        "beside": {
            "tickets": len(found.created),
            "by_category": _volume(found.created, "category"),
            "complaints": {
                "total": len(complaints),
                "by_subcategory": _volume(complaints, "subcategory"),
                "by_channel": _volume(complaints, "channel"),
                "by_team": _volume(complaints, "team"),
            },
            "repeat": found.contacts.repeat.counts(),
            "fcr": found.contacts.fcr.counts(),
            "containment": {
                "conversations": found.conversations,
                "contained": found.contained,
                "value": round(found.contained / found.conversations, 4)
                if found.conversations
                else None,
            },
        },
        "trend": _trend(found),
    }


def behind(session: Session, found: Found, figure: str, outcome: str | None) -> list[TicketRow]:
    """The tickets counted in one figure (``outcome`` met, missed or pending; all when
    None), oldest first. For satisfaction, the tickets of the survey answers."""
    tallies: dict[str, Tally] = {
        "answered": found.answered,
        "handling": found.handling,
        "major": found.major,
        "revisit": found.revisit,
        "satisfaction": found.satisfaction,
        "repeat": found.contacts.repeat,
        "fcr": found.contacts.fcr,
    }
    if figure not in tallies:
        raise TargetsError(f"unknown figure {figure!r}: {', '.join(FIGURES)}")
    if outcome is not None and outcome not in OUTCOMES:
        raise TargetsError(f"unknown outcome {outcome!r}: {', '.join(OUTCOMES)}")
    tally = tallies[figure]
    ids = {
        i for name in (OUTCOMES if outcome is None else (outcome,)) for i in getattr(tally, name)
    }
    known = {t.id: t for t in (*found.created, *found.resolved) if t.id in ids}
    missing = sorted(ids - set(known))
    for chunk in range(0, len(missing), 1000):
        part = missing[chunk : chunk + 1000]
        known.update((t.id, t) for t in _rows(session, _columns().where(Ticket.id.in_(part))))
    return sorted(known.values(), key=lambda t: (t.created_at, t.id))
