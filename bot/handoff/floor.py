"""The live floor a supervisor watches: who waits in the queue and for how long, each
member of staff's state and the chats they hold, and the tickets at risk of their SLA
or past it. A supervisor may listen to a chat (read-only), whisper to its agent (only
the agent sees it) and take the chat over; the routes audit each of them.

A team's supervisor sees their team's people and tickets, and the whole queue (a chat
waiting is everyone's business until someone takes it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from anyio import to_thread
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.access.scopes import supervised_team_of
from bot.core.db import Database
from bot.core.models import Conversation, Handoff, Message, Shift, Ticket, User, utcnow
from bot.handoff.presence import WATCHING, Presence
from bot.tickets import lifecycle
from bot.tickets.worklist import sla_condition

LIST_MAX = 20
STATES = ("online", "away", WATCHING, "offline")


class FloorError(ValueError):
    """A chat that cannot be listened to or taken over (answered 404 or 409)."""


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _queue(session: Session, now: datetime) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Handoff, Conversation, Ticket.number, Ticket.priority, Ticket.category)
        .join(Conversation, Handoff.conversation_id == Conversation.id)
        .outerjoin(Ticket, Handoff.ticket_id == Ticket.id)
        .where(Handoff.state == "queued")
        .order_by(Handoff.queued_at, Handoff.id)
    ).all()
    return [
        {
            "handoff_id": h.id,
            "conversation_id": c.public_id,
            "channel": c.channel,
            "language": c.language,
            "vip": c.tier == "vip",
            "reason": h.reason,
            "team": h.team,
            "offered_to": h.offered_to,
            "ticket": number,
            "priority": priority,
            "category": category,
            "queued_at": _iso(h.queued_at),
            "wait_s": max(0, round((now - h.queued_at).total_seconds())),
        }
        for h, c, number, priority, category in rows
    ]


def _chats(session: Session, team: str | None) -> dict[str, list[dict[str, Any]]]:
    last_in = (
        select(func.max(Message.created_at))
        .where(Message.conversation_id == Handoff.conversation_id, Message.direction == "in")
        .scalar_subquery()
    )
    query = (
        select(Handoff, Conversation, Ticket.number, Ticket.priority, last_in)
        .join(Conversation, Handoff.conversation_id == Conversation.id)
        .outerjoin(Ticket, Handoff.ticket_id == Ticket.id)
        .where(Handoff.state == "active")
        .order_by(Handoff.accepted_at, Handoff.id)
    )
    if team is not None:
        query = query.where(Handoff.agent.in_(select(User.name).where(User.team == team)))
    held: dict[str, list[dict[str, Any]]] = {}
    for h, c, number, priority, last in session.execute(query):
        held.setdefault(h.agent or "", []).append(
            {
                "handoff_id": h.id,
                "conversation_id": c.public_id,
                "channel": c.channel,
                "language": c.language,
                "reason": h.reason,
                "ticket": number,
                "priority": priority,
                "since": _iso(h.accepted_at),
                "last_customer_at": _iso(last),
            }
        )
    return held


def _on_shift(session: Session, now: datetime) -> dict[str, datetime]:
    """Who the shift calendar has on shift now, and until when."""
    rows = session.execute(
        select(Shift.user_name, func.max(Shift.ends_at))
        .where(Shift.starts_at <= now, Shift.ends_at > now)
        .group_by(Shift.user_name)
    )
    return {name: until for name, until in rows}


def _people(
    session: Session,
    statuses: dict[str, str],
    held: dict[str, list[dict[str, Any]]],
    team: str | None,
    scheduled: dict[str, datetime],
) -> list[dict[str, Any]]:
    query = (
        select(User)
        .where(User.role.in_(("agent", "supervisor")), User.disabled_at.is_(None))
        .order_by(User.name)
    )
    if team is not None:
        query = query.where(User.team == team)
    people: list[dict[str, Any]] = []
    for user in session.scalars(query):
        state = statuses.get(user.name, "offline")
        chats = held.get(user.name, [])
        people.append(
            {
                "name": user.name,
                "display_name": user.display_name,
                "role": user.role,
                "team": user.team,
                "state": state,
                "capacity": user.capacity,
                "chats": chats,
                "scheduled": user.name in scheduled,
                "shift_until": _iso(scheduled.get(user.name)),
            }
        )
    order = {state: i for i, state in enumerate(STATES)}
    people.sort(key=lambda p: (order.get(str(p["state"]), len(STATES)), str(p["name"])))
    return people


def _tickets(session: Session, now: datetime, team: str | None) -> dict[str, Any]:
    def listed(condition: Any) -> tuple[int, list[dict[str, Any]]]:
        where = [condition] if team is None else [condition, Ticket.team == team]
        count = session.scalar(select(func.count(Ticket.id)).where(*where)) or 0
        rows = session.scalars(select(Ticket).where(*where).order_by(Ticket.due_at).limit(LIST_MAX))
        return int(count), [
            {
                "number": t.number,
                "priority": t.priority,
                "category": t.category,
                "status": t.status,
                "team": t.team,
                "assignee": t.assignee,
                "due_at": _iso(t.due_at),
            }
            for t in rows
        ]

    at_risk, risky = listed(sla_condition("at_risk", now))
    breached, late = listed(sla_condition("breached", now))
    return {"at_risk": at_risk, "at_risk_list": risky, "breached": breached, "breached_list": late}


def snapshot(session: Session, statuses: dict[str, str], team: str | None) -> dict[str, Any]:
    """The floor now."""
    now = utcnow()
    queue = _queue(session, now)
    held = _chats(session, team)
    scheduled = _on_shift(session, now)
    kept = bool(scheduled) or session.scalar(select(Shift.id).limit(1)) is not None
    people = _people(session, statuses, held, team, scheduled)
    by_state = {state: sum(1 for p in people if p["state"] == state) for state in STATES}
    return {
        "at": now.isoformat(),
        "team": team,
        "queue": queue,
        "queue_length": len(queue),
        "longest_wait_s": max((q["wait_s"] for q in queue), default=0),
        "chats_active": sum(len(chats) for chats in held.values()),
        "people": people,
        "by_state": by_state,
        # the shift calendar beside who is here: scheduled now, and of them not online
        "calendar_kept": kept,
        "scheduled": sum(1 for p in people if p["scheduled"]),
        "scheduled_missing": [
            p["name"] for p in people if p["scheduled"] and p["state"] in ("offline", "away")
        ],
        "unscheduled_online": [
            p["name"] for p in people if kept and not p["scheduled"] and p["state"] == "online"
        ],
        "sla": _tickets(session, now, team),
    }


async def watched(db: Database, redis: Redis, prefix: str, name: str, role: str) -> dict[str, Any]:
    """The floor as ``name`` sees it (presence from Redis, the rest from the database)."""
    statuses = await Presence(redis, prefix).statuses()
    team = await to_thread.run_sync(supervised_team_of, db, name, role)

    def work() -> dict[str, Any]:
        with db.session() as session:
            return snapshot(session, statuses, team)

    return await to_thread.run_sync(work)


@dataclass(frozen=True, slots=True)
class Held:
    """An active chat: its agent and conversation."""

    handoff_id: int
    agent: str
    conversation_public_id: str
    conversation_id: int
    team: str | None


def held_chat(session: Session, handoff_id: int) -> Held:
    handoff = session.get(Handoff, handoff_id)
    if handoff is None or handoff.state != "active" or handoff.agent is None:
        raise FloorError("这个会话当前没有坐席在处理 / nobody is in this chat now")
    conversation = session.get(Conversation, handoff.conversation_id)
    assert conversation is not None
    team = session.scalar(select(User.team).where(User.name == handoff.agent))
    return Held(handoff.id, handoff.agent, conversation.public_id, conversation.id, team)


def messages_after(session: Session, conversation_id: int, after: int) -> list[dict[str, Any]]:
    """The chat's messages after message id ``after`` (as stored: masked)."""
    return [
        {
            "id": m.id,
            "sender": m.sender,
            "agent_name": m.author,
            "text": m.text,
            "at": m.created_at.isoformat(),
        }
        for m in session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.id > after)
            .order_by(Message.id)
            .limit(500)
        )
    ]


def take_over(db: Database, handoff_id: int, supervisor: str) -> Held:
    """The supervisor becomes the chat's agent; the ticket's history says so."""
    with db.session() as session:
        held = held_chat(session, handoff_id)
        if held.agent == supervisor:
            raise FloorError("这个会话已经由您处理 / this chat is already yours")
        handoff = session.get(Handoff, handoff_id, with_for_update=True)
        if handoff is None or handoff.state != "active" or handoff.agent != held.agent:
            raise FloorError("这个会话刚刚有了变化，请刷新 / this chat just changed; refresh")
        handoff.agent, handoff.accepted_at = supervisor, utcnow()
        ticket = session.get(Ticket, handoff.ticket_id) if handoff.ticket_id else None
        if ticket is not None:
            lifecycle.record(session, ticket, supervisor, "take_over", held.agent, supervisor)
        return held
