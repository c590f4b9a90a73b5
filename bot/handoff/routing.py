"""Routing the handoff queue (待接入池) to agents.

Each waiting chat is offered to one agent at a time: of the agents who are online (not
away), have room under their capacity and speak the customer's language, the router
prefers VIP-skilled agents for VIP customers and agents with the ticket's category
among their skills, then the least loaded (share of capacity used), then whoever has
waited longest since their last chat. An offer not accepted in time, or declined, goes
to the next agent; an agent who let it pass is not offered that chat again, though any
agent may still take it from the pool.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from bot.core.db import Database
from bot.core.models import Conversation, Handoff, Ticket, User, utcnow

URGENT = ("p1", "escalation")  # served before everyone else but VIPs


@dataclass(frozen=True, slots=True)
class AgentSlot:
    name: str
    languages: frozenset[str]
    skills: frozenset[str]
    capacity: int
    load: int  # active chats plus open offers
    last_accepted: float  # epoch seconds; 0 when never
    team: str | None = None


@dataclass(frozen=True, slots=True)
class Need:
    language: str
    category: str | None
    vip: bool
    passed_over: frozenset[str]
    team: str | None = None  # transferred to a team: its agents only


@dataclass(frozen=True, slots=True)
class Offer:
    handoff_id: int
    agent: str
    expires_at: datetime


def split(value: str) -> frozenset[str]:
    return frozenset(part.strip() for part in value.split(",") if part.strip())


def choose(agents: Iterable[AgentSlot], need: Need) -> str | None:
    """The agent to offer this chat to, or None when nobody fits right now."""
    eligible = [
        a
        for a in agents
        if a.name not in need.passed_over
        and a.load < a.capacity
        and need.language in a.languages
        and (need.team is None or a.team == need.team)
    ]
    if not eligible:
        return None

    def rank(a: AgentSlot) -> tuple[bool, bool, float, int, float, str]:
        return (
            need.vip and "vip" not in a.skills,
            need.category is not None and need.category not in a.skills,
            a.load / a.capacity,
            a.load,
            a.last_accepted,
            a.name,
        )

    return min(eligible, key=rank).name


def _slots(session: Session, available: set[str]) -> dict[str, AgentSlot]:
    def per_agent(who: Any, value: Any, *where: Any) -> dict[str, Any]:
        rows = session.execute(
            select(who, value).where(who.in_(available), *where).group_by(who)
        ).all()
        return {name: found for name, found in rows}

    active = per_agent(Handoff.agent, func.count(Handoff.id), Handoff.state == "active")
    offered = per_agent(Handoff.offered_to, func.count(Handoff.id), Handoff.state == "queued")
    last = per_agent(Handoff.agent, func.max(Handoff.accepted_at))
    slots: dict[str, AgentSlot] = {}
    for user in session.scalars(select(User).where(User.name.in_(available))):
        accepted = last.get(user.name)
        slots[user.name] = AgentSlot(
            name=user.name,
            languages=split(user.languages),
            skills=split(user.skills),
            capacity=user.capacity,
            load=int(active.get(user.name, 0)) + int(offered.get(user.name, 0)),
            last_accepted=accepted.timestamp() if accepted is not None else 0.0,
            team=user.team,
        )
    return slots


def _pass_over(handoff: Handoff, agent: str | None) -> None:
    if agent and agent not in handoff.passed_over:
        handoff.passed_over = [*handoff.passed_over, agent]
    handoff.offered_to, handoff.offer_expires_at = None, None


def withdraw_stale(session: Session, available: set[str], now: datetime) -> None:
    """Offers that ran out pass to the next agent; offers to agents who went away are
    withdrawn without counting against them."""
    for handoff in session.scalars(
        select(Handoff)
        .where(Handoff.state == "queued", Handoff.offered_to.is_not(None))
        .with_for_update(skip_locked=True)
    ):
        if handoff.offer_expires_at is not None and handoff.offer_expires_at <= now:
            _pass_over(handoff, handoff.offered_to)
        elif handoff.offered_to not in available:
            _pass_over(handoff, None)


# One routing pass at a time: loads are read and then offers written, so two passes at
# once (the sweeper and a console request, or two replicas) could overfill an agent.
_DISPATCH = threading.Lock()  # within this process
_ADVISORY_KEY = 0x616E78696E  # across replicas on PostgreSQL ("anxin")


def serialise(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_KEY})


def dispatch(db: Database, available: set[str], offer_seconds: float) -> list[Offer]:
    """Withdraw stale offers, then offer each waiting chat to the best agent."""
    now = utcnow()
    offers: list[Offer] = []
    with _DISPATCH, db.session() as session:
        serialise(session)
        withdraw_stale(session, available, now)
        session.flush()
        if not available:
            return []
        slots = _slots(session, available)
        waiting = list(
            session.execute(
                select(Handoff, Conversation.language, Conversation.tier, Ticket.category)
                .join(Conversation, Handoff.conversation_id == Conversation.id)
                .outerjoin(Ticket, Handoff.ticket_id == Ticket.id)
                .where(Handoff.state == "queued", Handoff.offered_to.is_(None))
                .order_by(Handoff.id)
                .with_for_update(skip_locked=True, of=Handoff)
            ).all()
        )
        # VIP customers and major incidents first, then first come, first served.
        waiting.sort(key=lambda row: (row[2] != "vip", row[0].reason not in URGENT, row[0].id))
        for handoff, language, tier, category in waiting:
            need = Need(
                language=language or "zh",
                category=category,
                vip=tier == "vip",
                passed_over=frozenset(handoff.passed_over),
                team=handoff.team,
            )
            agent = choose(slots.values(), need)
            if agent is None:
                continue
            expires = now + timedelta(seconds=offer_seconds)
            handoff.offered_to, handoff.offer_expires_at = agent, expires
            slot = slots[agent]
            slots[agent] = replace(slot, load=slot.load + 1, last_accepted=now.timestamp())
            offers.append(Offer(handoff.id, agent, expires))
    return offers


def decline(db: Database, handoff_id: int, agent: str) -> bool:
    """The agent turns the offer down; False when it was not (or no longer) theirs."""
    with db.session() as session:
        handoff = session.get(Handoff, handoff_id, with_for_update=True)
        if handoff is None or handoff.state != "queued" or handoff.offered_to != agent:
            return False
        _pass_over(handoff, agent)
        return True


def next_offer_expiry(db: Database) -> datetime | None:
    with db.session() as session:
        return session.scalar(
            select(func.min(Handoff.offer_expires_at)).where(
                Handoff.state == "queued", Handoff.offered_to.is_not(None)
            )
        )
