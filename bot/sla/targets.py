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

Everything is counted in the database (indexes on the times; one grouped query per
figure, the trend's buckets a CASE over their boundaries): a figure and the list of
tickets behind it are the same SQL expression, counted or listed, so a click on a
figure lists exactly what was counted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, case, func, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.core.config import Settings
from bot.core.models import (
    Conversation,
    FollowupTask,
    Handoff,
    Message,
    SurveyResponse,
    Ticket,
)
from bot.core.sql_time import moment, seconds_between

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
    """A ticket behind a figure, as the list shows it."""

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


@dataclass(slots=True)
class Tally:
    """One figure: how many met, missed and are not yet due."""

    met: int = 0
    missed: int = 0
    pending: int = 0

    def add(self, outcome: str | None, count: int) -> None:
        if outcome is not None:
            setattr(self, outcome, getattr(self, outcome) + int(count))

    @property
    def share(self) -> float | None:
        judged = self.met + self.missed
        return round(self.met / judged, 4) if judged else None

    def counts(self) -> dict[str, Any]:
        return {
            "met": self.met,
            "missed": self.missed,
            "pending": self.pending,
            "value": self.share,
        }


@dataclass(slots=True)
class Point:
    """One bucket of the trend."""

    label: str
    tickets: int = 0
    answered: Tally = field(default_factory=Tally)
    major: Tally = field(default_factory=Tally)
    resolved: int = 0
    handling_seconds: float = 0.0


@dataclass(slots=True)
class Found:
    """Everything the report counts over one window."""

    window: Window
    goals: Goals
    answered: Tally
    major: Tally
    handling: Tally
    handling_seconds: float
    revisit: Tally
    satisfaction: Tally
    repeat: Tally
    fcr: Tally
    revisit_satisfied: tuple[int, int]  # 回访 answers "satisfied", all 回访 answers
    conversations: int
    contained: int
    volume: Counter[tuple[str, str, str, str]]  # (category, subcategory, channel, team)
    trend: list[Point]


class Figures:
    """The SQL of each figure for one window, team and moment: its outcome (met, missed,
    pending or NULL when the ticket is not counted) over the rows it counts."""

    def __init__(self, win: Window, goals: Goals, now: datetime, team: str | None) -> None:
        self.win, self.goals, self.team = win, goals, team
        self.start, self.end = moment("window_start", win.start), moment("window_end", win.end)
        self.now = moment("now", now)

    def _tickets(self, column: Any) -> list[ColumnElement[bool]]:
        where = [column >= self.start, column < self.end, Ticket.merged_into_id.is_(None)]
        if self.team is not None:
            where.append(Ticket.team == self.team)
        return where

    def created(self) -> list[ColumnElement[bool]]:
        return self._tickets(Ticket.created_at)

    def resolved(self) -> list[ColumnElement[bool]]:
        return self._tickets(Ticket.resolved_at)

    def bucket(self, column: Any) -> Any:
        """The trend bucket a moment falls in (a CASE over the buckets' ends)."""
        ends = [
            (column < moment(f"bucket_{i}", b.end), literal(i))
            for i, b in enumerate(self.win.buckets)
        ]
        return case(*ends, else_=literal(-1))

    def answered(self) -> Any:
        limit = self.goals.answer_hours * 3600
        responded = Ticket.first_responded_at.is_not(None)
        return case(
            (
                and_(
                    responded,
                    seconds_between(Ticket.created_at, Ticket.first_responded_at) <= limit,
                ),
                "met",
            ),
            (responded, "missed"),
            (seconds_between(Ticket.created_at, self.now) > limit, "missed"),
            else_="pending",
        )

    def major(self) -> Any:
        limit = self.goals.major_hours * 3600
        resolved = Ticket.resolved_at.is_not(None)
        return case(
            (Ticket.priority != "P1", None),
            (
                and_(resolved, seconds_between(Ticket.created_at, Ticket.resolved_at) <= limit),
                "met",
            ),
            (resolved, "missed"),
            (seconds_between(Ticket.created_at, self.now) > limit, "missed"),
            else_="pending",
        )

    def handling(self) -> Any:
        limit = self.goals.handling_hours * 3600
        return case(
            (seconds_between(Ticket.created_at, Ticket.resolved_at) <= limit, "met"), else_="missed"
        )

    def contacts(self) -> Any:
        """The tickets from 7 days before the window to 7 days after it, each with the
        same customer's previous and next ticket of the same category."""
        customer = func.coalesce(Conversation.customer_id, -Ticket.conversation_id)
        need = (customer, Ticket.category)
        order = (Ticket.created_at, Ticket.id)
        where = [
            Ticket.created_at >= moment("around_start", self.win.start - REPEAT_WINDOW),
            Ticket.created_at < moment("around_end", self.win.end + REPEAT_WINDOW),
            Ticket.merged_into_id.is_(None),
        ]
        if self.team is not None:
            where.append(Ticket.team == self.team)
        return (
            select(
                Ticket.id.label("id"),
                Ticket.created_at.label("created_at"),
                Ticket.resolved_at.label("resolved_at"),
                Ticket.reopen_count.label("reopen_count"),
                func.lag(Ticket.created_at).over(partition_by=need, order_by=order).label("before"),
                func.lead(Ticket.created_at).over(partition_by=need, order_by=order).label("after"),
            )
            .join(Conversation, Ticket.conversation_id == Conversation.id)
            .where(*where)
            .subquery("around")
        )

    def contact_outcomes(self, around: Any) -> tuple[Any, Any]:
        """(repeat, fcr) over ``around``: "met" means is a repeat contact / was
        resolved at the first contact."""
        window = REPEAT_WINDOW.total_seconds()
        repeat = case(
            (
                and_(
                    around.c.before.is_not(None),
                    seconds_between(around.c.before, around.c.created_at) <= window,
                ),
                "met",
            ),
            else_="missed",
        )
        again = and_(
            around.c.after.is_not(None),
            seconds_between(around.c.created_at, around.c.after) <= window,
        )
        fcr = case(
            (around.c.resolved_at.is_(None), None),
            (and_(around.c.reopen_count == 0, ~again), "met"),
            else_="missed",
        )
        return repeat, fcr

    def in_window(self, around: Any) -> list[ColumnElement[bool]]:
        return [around.c.created_at >= self.start, around.c.created_at < self.end]

    def revisits(self) -> Any:
        """Tickets resolved in the window whose plan requires a 回访 that has come due
        (or been tried): "met" when a 回访 of the ticket reached the customer."""
        required = func.max(
            case(
                (
                    and_(
                        FollowupTask.reason == "plan",
                        (FollowupTask.due_at <= self.now) | (FollowupTask.attempts > 0),
                    ),
                    1,
                ),
                else_=0,
            )
        )
        reached = func.max(case((FollowupTask.state == "reached", 1), else_=0))
        return (
            select(
                Ticket.id.label("id"),
                case((reached == 1, "met"), else_="missed").label("outcome"),
            )
            .join(FollowupTask, FollowupTask.ticket_id == Ticket.id)
            .where(*self.resolved())
            .group_by(Ticket.id)
            .having(required == 1)
            .subquery("revisits")
        )

    def surveys(self) -> tuple[Select[Any], Any]:
        outcome = case((SurveyResponse.score >= 4, "met"), else_="missed")
        query = (
            select(SurveyResponse.ticket_id, outcome.label("outcome"))
            .join(Ticket, SurveyResponse.ticket_id == Ticket.id)
            .where(SurveyResponse.created_at >= self.start, SurveyResponse.created_at < self.end)
        )
        if self.team is not None:
            query = query.where(Ticket.team == self.team)
        return query, outcome


def _grouped(rows: Any) -> Select[Any]:
    """Counts by every column of ``rows`` (grouped on the subquery's columns: the same
    CASE written twice, with its own parameters, is not the same GROUP BY on PostgreSQL)."""
    columns = list(rows.c)
    return select(*columns, func.count()).group_by(*columns)


def find(
    session: Session, win: Window, goals: Goals, now: datetime, team: str | None = None
) -> Found:
    f = Figures(win, goals, now, team)
    trend = [Point(b.label) for b in win.buckets]
    answered, major = Tally(), Tally()
    volume: Counter[tuple[str, str, str, str]] = Counter()
    rows = (
        select(
            f.bucket(Ticket.created_at).label("bucket"),
            f.answered().label("answered"),
            f.major().label("major"),
        )
        .where(*f.created())
        .subquery("created")
    )
    for i, a, m, count in session.execute(_grouped(rows)):
        answered.add(a, count)
        major.add(m, count)
        if 0 <= i < len(trend):
            trend[i].tickets += count
            trend[i].answered.add(a, count)
            trend[i].major.add(m, count)
    for category, subcategory, channel, owner, count in session.execute(
        select(Ticket.category, Ticket.subcategory, Ticket.channel, Ticket.team, func.count())
        .where(*f.created())
        .group_by(Ticket.category, Ticket.subcategory, Ticket.channel, Ticket.team)
    ):
        volume[(category, subcategory or "", channel or "", owner or "")] += count

    handling, handling_seconds = Tally(), 0.0
    rows = (
        select(
            f.bucket(Ticket.resolved_at).label("bucket"),
            f.handling().label("outcome"),
            seconds_between(Ticket.created_at, Ticket.resolved_at).label("took"),
        )
        .where(*f.resolved())
        .subquery("resolved")
    )
    for i, outcome, count, seconds in session.execute(
        select(rows.c.bucket, rows.c.outcome, func.count(), func.sum(rows.c.took)).group_by(
            rows.c.bucket, rows.c.outcome
        )
    ):
        handling.add(outcome, count)
        handling_seconds += float(seconds or 0)
        if 0 <= i < len(trend):
            trend[i].resolved += count
            trend[i].handling_seconds += float(seconds or 0)

    around = f.contacts()
    repeat_of, fcr_of = f.contact_outcomes(around)
    repeat, fcr = Tally(), Tally()
    rows = (
        select(repeat_of.label("repeat"), fcr_of.label("fcr"))
        .where(*f.in_window(around))
        .subquery("contacts")
    )
    for r, c, count in session.execute(_grouped(rows)):
        repeat.add(r, count)
        fcr.add(c, count)

    revisit = Tally()
    revisits = f.revisits()
    for outcome, count in session.execute(
        select(revisits.c.outcome, func.count()).group_by(revisits.c.outcome)
    ):
        revisit.add(outcome, count)

    satisfaction = Tally()
    surveys, _ = f.surveys()
    answers = surveys.subquery("answers")
    for outcome, count in session.execute(
        select(answers.c.outcome, func.count()).group_by(answers.c.outcome)
    ):
        satisfaction.add(outcome, count)

    return Found(
        window=win,
        goals=goals,
        answered=answered,
        major=major,
        handling=handling,
        handling_seconds=handling_seconds,
        revisit=revisit,
        satisfaction=satisfaction,
        repeat=repeat,
        fcr=fcr,
        revisit_satisfied=_revisit_answers(session, f),
        volume=volume,
        trend=trend,
        **_containment(session, f),
    )


def _revisit_answers(session: Session, f: Figures) -> tuple[int, int]:
    query = (
        select(FollowupTask.satisfaction, func.count())
        .join(Ticket, FollowupTask.ticket_id == Ticket.id)
        .where(
            FollowupTask.satisfaction.is_not(None),
            FollowupTask.done_at >= f.start,
            FollowupTask.done_at < f.end,
        )
        .group_by(FollowupTask.satisfaction)
    )
    if f.team is not None:
        query = query.where(Ticket.team == f.team)
    counted = dict(session.execute(query).tuples().all())
    return int(counted.get("satisfied", 0)), int(sum(counted.values()))


def _containment(session: Session, f: Figures) -> dict[str, int]:
    """Conversations a customer wrote in during the window; contained when neither a
    ticket nor a handoff to a person began in them during the window."""
    wrote = (
        select(Message.conversation_id.label("id"))
        .where(Message.direction == "in", Message.created_at >= f.start, Message.created_at < f.end)
        .distinct()
        .subquery("wrote")
    )
    ticket = select(Ticket.id).where(
        Ticket.conversation_id == wrote.c.id,
        Ticket.created_at >= f.start,
        Ticket.created_at < f.end,
    )
    handoff = select(Handoff.id).where(
        Handoff.conversation_id == wrote.c.id,
        Handoff.queued_at >= f.start,
        Handoff.queued_at < f.end,
    )
    conversations = session.scalar(select(func.count()).select_from(wrote)) or 0
    contained = (
        session.scalar(
            select(func.count()).select_from(wrote).where(~ticket.exists(), ~handoff.exists())
        )
        or 0
    )
    return {"conversations": int(conversations), "contained": int(contained)}


# -- the report --


def _status(value: float | None, goal: float, lower_is_better: bool = False) -> str | None:
    if value is None:
        return None
    ok = value <= goal if lower_is_better else value >= goal
    return "green" if ok else "red"


def _hours(seconds: float, count: int) -> float | None:
    return round(seconds / count / 3600, 2) if count else None


def _volume(found: Found, key: int, category: str | None = None) -> dict[str, int]:
    counted: Counter[str] = Counter()
    for fields, count in found.volume.items():
        if category is None or fields[0] == category:
            counted[fields[key]] += count
    return dict(sorted(counted.items(), key=lambda kv: (-kv[1], kv[0])))


def report(found: Found) -> dict[str, Any]:
    """The figures, red or green against the targets, the trend and the volumes."""
    goals, win = found.goals, found.window
    resolved = found.handling.met + found.handling.missed
    handling_avg = _hours(found.handling_seconds, resolved)
    satisfied, answers = found.revisit_satisfied
    tickets = sum(found.volume.values())
    complaints = sum(c for k, c in found.volume.items() if k[0] == "complaint")
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
            "tickets": tickets,
            "by_category": _volume(found, 0),
            "complaints": {
                "total": complaints,
                "by_subcategory": _volume(found, 1, "complaint"),
                "by_channel": _volume(found, 2, "complaint"),
                "by_team": _volume(found, 3, "complaint"),
            },
            "repeat": found.repeat.counts(),
            "fcr": found.fcr.counts(),
            "containment": {
                "conversations": found.conversations,
                "contained": found.contained,
                "value": round(found.contained / found.conversations, 4)
                if found.conversations
                else None,
            },
        },
        "trend": [
            {
                "label": p.label,
                "tickets": p.tickets,
                "answered": p.answered.share,
                "major": p.major.share,
                "handling_hours": _hours(p.handling_seconds, p.resolved),
            }
            for p in found.trend
        ],
    }


# -- the tickets behind a figure --


def _columns() -> Select[Any]:
    query: Select[Any] = select(  # type: ignore[assignment]
        Ticket.id,
        Ticket.number,
        Ticket.priority,
        Ticket.category,
        Ticket.subcategory,
        Ticket.status,
        Ticket.channel,
        Ticket.team,
        Ticket.assignee,
        Ticket.created_at,
        Ticket.first_responded_at,
        Ticket.resolved_at,
        Ticket.reopen_count,
    )
    return query


def _ids(f: Figures, figure: str, outcome: str | None) -> Select[Any]:
    """The ids of the tickets counted in ``figure`` (with ``outcome``)."""

    def having(expression: Any) -> Any:
        return expression.is_not(None) if outcome is None else expression == outcome

    if figure in ("answered", "major"):
        expression = f.answered() if figure == "answered" else f.major()
        return select(Ticket.id).where(*f.created(), having(expression))
    if figure == "handling":
        return select(Ticket.id).where(*f.resolved(), having(f.handling()))
    if figure in ("repeat", "fcr"):
        around = f.contacts()
        repeat, fcr = f.contact_outcomes(around)
        chosen = repeat if figure == "repeat" else fcr
        return select(around.c.id).where(*f.in_window(around), having(chosen))
    if figure == "revisit":
        revisits = f.revisits()
        return select(revisits.c.id).where(having(revisits.c.outcome))
    if figure == "satisfaction":
        surveys, expression = f.surveys()
        return surveys.with_only_columns(SurveyResponse.ticket_id).where(having(expression))
    raise TargetsError(f"unknown figure {figure!r}: {', '.join(FIGURES)}")


def behind(
    session: Session,
    win: Window,
    goals: Goals,
    now: datetime,
    team: str | None,
    figure: str,
    outcome: str | None,
    limit: int = LIST_MAX,
) -> tuple[int, list[TicketRow]]:
    """How many tickets one figure counted (``outcome`` met, missed or pending; all when
    None) and the first ``limit`` of them, oldest first. For satisfaction, the tickets of
    the survey answers."""
    if outcome is not None and outcome not in OUTCOMES:
        raise TargetsError(f"unknown outcome {outcome!r}: {', '.join(OUTCOMES)}")
    ids = _ids(Figures(win, goals, now, team), figure, outcome).subquery("behind")
    count = session.scalar(select(func.count(func.distinct(ids.c[0])))) or 0
    rows = session.execute(
        _columns()
        .where(Ticket.id.in_(select(ids.c[0])))
        .order_by(Ticket.created_at, Ticket.id)
        .limit(limit)
    )
    return int(count), [TicketRow(*row) for row in rows]
