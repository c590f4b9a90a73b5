"""The desk's ticket list: saved views, filters, search, and keyset paging that stays an
index scan at a million tickets (``ix_tickets_due`` and friends; no OFFSET, no full
count: the count stops at ``COUNT_CAP``).

Search takes one of four shapes, told apart by the text: a ticket number (``AX…``), a
mobile number (found by its keyed pseudonym, never stored in clear), a conversation's
public id or channel identity, or words of the ticket's description.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from bot.access.scopes import Scope
from bot.core.models import Conversation, Customer, Ticket
from bot.tickets import clock

VIEWS = (
    "open",
    "mine",
    "team",
    "unassigned",
    "at_risk",
    "breached",
    "waiting",
    "callbacks",
    "all",
)
SORTS = ("due", "newest")
PAGE_MAX = 200
COUNT_CAP = 10_000
NUMBER = re.compile(r"^AX\d{4,14}$", re.IGNORECASE)
PHONE = re.compile(r"^\+?(?:86)?1[3-9]\d{9}$")
IDENTITY = re.compile(r"^[0-9a-f]{8}-[0-9a-f-]{27}$|^w-[A-Za-z0-9_-]{6,}$")


class BadQuery(ValueError):
    """A filter or cursor the desk cannot use (answered 422)."""


@dataclass(frozen=True, slots=True)
class Filters:
    view: str = "open"
    status: tuple[str, ...] = ()
    priority: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    channel: tuple[str, ...] = ()
    team: str | None = None
    assignee: str | None = None
    sla: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    due_from: datetime | None = None
    due_to: datetime | None = None
    q: str = ""
    sort: str = "due"


@dataclass(frozen=True, slots=True)
class Row:
    number: str
    status: str
    priority: str
    category: str
    channel: str
    team: str | None
    assignee: str | None
    summary: str
    created_at: datetime
    due_at: datetime | None
    sla: str
    customer: str
    merged: bool
    callback_due_at: datetime | None


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[Row]
    next: str | None
    count: int
    count_capped: bool
    as_of: datetime


# a phone number's keyed pseudonym (the contact vault's), None when no vault is configured
Pseudonym = Callable[[str], str] | None


def sla_condition(state: str, now: datetime) -> ColumnElement[bool]:
    if state == "breached":
        return Ticket.due_at <= now
    if state == "at_risk":
        return (Ticket.due_at > now) & (Ticket.at_risk_at <= now)
    if state == "on_track":
        return Ticket.at_risk_at > now
    raise BadQuery(f"unknown SLA state {state!r}")


def _search(q: str, pseudonym: Pseudonym) -> ColumnElement[bool]:
    q = q.strip()
    if NUMBER.match(q):
        return Ticket.number == q.upper()
    digits = re.sub(r"[\s-]", "", q)
    if PHONE.match(digits):
        if pseudonym is None:
            return Ticket.id.is_(None)  # no vault: no phone is stored, none matches
        phone = digits[-11:]
        customer = select(Customer.id).where(Customer.phone_pseudonym == pseudonym(phone))
        return Ticket.conversation_id.in_(
            select(Conversation.id).where(
                or_(
                    Conversation.customer_id.in_(customer),
                    Conversation.external_user_id == pseudonym(phone),
                )
            )
        )
    if IDENTITY.match(q):
        return Ticket.conversation_id.in_(
            select(Conversation.id).where(
                or_(Conversation.public_id == q, Conversation.external_user_id == q)
            )
        )
    if len(q) < 2:
        raise BadQuery("search needs at least two characters")
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return Ticket.description.ilike(f"%{escaped}%", escape="\\")


def conditions(
    f: Filters, me: str, my_team: str | None, now: datetime, pseudonym: Pseudonym = None
) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a view and its filters."""
    where: list[ColumnElement[bool]] = []
    running = Ticket.status.in_(clock.RUNNING)
    match f.view:
        case "open":
            where.append(running)
        case "mine":
            where += [running, Ticket.assignee == me]
        case "team":
            where += [running, Ticket.team == (my_team or "")]
        case "unassigned":
            where += [running, Ticket.assignee.is_(None)]
        case "at_risk" | "breached":
            where.append(sla_condition(f.view, now))
        case "waiting":
            where.append(Ticket.status == "pending_customer")
        case "callbacks":  # promised call-backs not yet made, soonest first
            where.append(Ticket.callback_due_at.is_not(None))
        case "all":
            pass
        case _:
            raise BadQuery(f"unknown view {f.view!r}")
    if f.status:
        where.append(Ticket.status.in_(f.status))
    if f.priority:
        where.append(Ticket.priority.in_(f.priority))
    if f.category:
        where.append(Ticket.category.in_(f.category))
    if f.channel:
        where.append(Ticket.channel.in_(f.channel))
    if f.team:
        where.append(Ticket.team == f.team)
    if f.assignee:
        where.append(Ticket.assignee == f.assignee)
    if f.sla:
        where.append(sla_condition(f.sla, now))
    if f.created_from:
        where.append(Ticket.created_at >= f.created_from)
    if f.created_to:
        where.append(Ticket.created_at < f.created_to)
    if f.due_from:
        where.append(Ticket.due_at >= f.due_from)
    if f.due_to:
        where.append(Ticket.due_at < f.due_to)
    if f.q.strip():
        where.append(_search(f.q, pseudonym))
    return where


def _encode(values: list[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, sort: str) -> tuple[datetime | None, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        when, last_id = json.loads(raw)
        moment = datetime.fromisoformat(when) if when is not None else None
        if not isinstance(last_id, int) or (moment is None and sort != "due"):
            raise ValueError(cursor)
        return moment, last_id
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as exc:
        raise BadQuery("bad cursor") from exc


def _due_column(view: str) -> InstrumentedAttribute[datetime | None]:
    """What "sort by due" means in a view: the call-back's time in the call-backs view,
    the running clock's deadline everywhere else."""
    return Ticket.callback_due_at if view == "callbacks" else Ticket.due_at


def _after(f: Filters, cursor: str | None) -> ColumnElement[bool] | None:
    if not cursor:
        return None
    moment, last_id = _decode(cursor, f.sort)
    if f.sort == "newest":
        return tuple_(Ticket.created_at, Ticket.id) < tuple_(moment, last_id)
    due = _due_column(f.view)
    if moment is None:  # past every ticket with a running clock
        return due.is_(None) & (Ticket.id > last_id)
    return or_(tuple_(due, Ticket.id) > tuple_(moment, last_id), due.is_(None))


def _customer_label(conversation: Conversation, tail: str | None) -> str:
    """A verified customer's phone tail, otherwise the start of the conversation's id."""
    return f"*{tail}" if tail else conversation.public_id[:8]


def page(
    session: Session,
    scope: Scope,
    f: Filters,
    me: str,
    my_team: str | None,
    now: datetime,
    *,
    limit: int = 50,
    cursor: str | None = None,
    pseudonym: Pseudonym = None,
) -> Page:
    if f.sort not in SORTS:
        raise BadQuery(f"unknown sort {f.sort!r}")
    if f.sla and f.sla not in clock.SLA_STATES:
        raise BadQuery(f"unknown SLA state {f.sla!r}")
    limit = max(1, min(limit, PAGE_MAX))
    where = conditions(f, me, my_team, now, pseudonym)
    visible = scope.ticket_condition()
    if visible is not None:
        where.append(visible)
    after = _after(f, cursor)
    order = (
        (Ticket.created_at.desc(), Ticket.id.desc())
        if f.sort == "newest"
        else (_due_column(f.view).asc().nullslast(), Ticket.id.asc())
    )
    query = (
        select(Ticket, Conversation, Customer.phone_tail)
        .join(Conversation, Ticket.conversation_id == Conversation.id)
        .outerjoin(Customer, Conversation.customer_id == Customer.id)
        .where(*where, *([after] if after is not None else []))
        .order_by(*order)
        .limit(limit + 1)
    )
    found = session.execute(query).all()
    more = len(found) > limit
    found = found[:limit]
    capped = select(Ticket.id).where(*where).limit(COUNT_CAP + 1).subquery()
    count = int(session.scalar(select(func.count()).select_from(capped)) or 0)
    rows = [
        Row(
            number=t.number or "",
            status=t.status,
            priority=t.priority,
            category=t.category,
            channel=t.channel or c.channel,
            team=t.team,
            assignee=t.assignee,
            summary=t.description[:140],
            created_at=t.created_at,
            due_at=t.due_at,
            sla=clock.state(t, now),
            customer=_customer_label(c, tail),
            merged=t.merged_into_id is not None,
            callback_due_at=t.callback_due_at,
        )
        for t, c, tail in found
    ]
    last = found[-1][0] if found else None
    next_cursor = None
    if more and last is not None:
        key: datetime | None
        if f.sort == "newest":
            key = last.created_at
        else:
            key = last.callback_due_at if f.view == "callbacks" else last.due_at
        next_cursor = _encode([key, last.id])
    return Page(rows, next_cursor, min(count, COUNT_CAP), count > COUNT_CAP, now)
