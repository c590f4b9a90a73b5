"""The supervisors' dashboard: live queue, SLA risk, how much the assistant contains,
handoff reasons, response and handling times, satisfaction by day; by channel and team.

Everything is computed from the tables on request (no second copy of the data); the
window is [since, until) on when conversations, tickets and surveys happened.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.core.models import Conversation, Handoff, Message, SurveyResponse, Ticket, utcnow
from bot.sla.figures import Figures

AT_RISK_SHARE = 0.25  # open tickets with less than this share of their time left


def _window(column: Any, since: datetime | None, until: datetime | None) -> list[Any]:
    conditions = []
    if since is not None:
        conditions.append(column >= since)
    if until is not None:
        conditions.append(column < until)
    return conditions


def live(session: Session, statuses: dict[str, str]) -> dict[str, Any]:
    now = utcnow()
    oldest = session.scalar(select(func.min(Handoff.queued_at)).where(Handoff.state == "queued"))
    return {
        "queue_length": int(
            session.scalar(select(func.count(Handoff.id)).where(Handoff.state == "queued")) or 0
        ),
        "longest_wait_s": round((now - oldest).total_seconds()) if oldest else 0,
        "chats_active": int(
            session.scalar(select(func.count(Handoff.id)).where(Handoff.state == "active")) or 0
        ),
        "agents_online": sum(1 for s in statuses.values() if s == "online"),
        "agents_away": sum(1 for s in statuses.values() if s == "away"),
    }


def sla(session: Session) -> dict[str, int]:
    """Open tickets now: how many, how many close to their deadline, how many past it."""
    now = utcnow()
    open_tickets = list(
        session.scalars(select(Ticket).where(Ticket.status.not_in(("resolved", "closed"))))
    )
    breached = [t for t in open_tickets if t.resolution_due_at <= now]
    at_risk = [
        t
        for t in open_tickets
        if t.resolution_due_at > now
        and (t.resolution_due_at - now) < AT_RISK_SHARE * (t.resolution_due_at - t.created_at)
    ]
    return {
        "open": len(open_tickets),
        "at_risk": len(at_risk),
        "breached_open": len(breached),
        "p1_breached_open": sum(1 for t in breached if t.priority == "P1"),
    }


def assistant(session: Session, since: datetime | None, until: datetime | None) -> dict[str, Any]:
    """Conversations in the window with a customer message; how many got a ticket or a
    person (``handed_off``): the rest the assistant contained."""
    talked = dict(
        session.execute(
            select(Conversation.id, Conversation.channel)
            .join(Message, Message.conversation_id == Conversation.id)
            .where(
                Message.direction == "in",
                Message.sender == "customer",
                *_window(Message.created_at, since, until),
            )
            .distinct()
        ).all()
    )
    handoffs = session.execute(
        select(Handoff.conversation_id, Handoff.reason).where(
            *_window(Handoff.queued_at, since, until)
        )
    ).all()
    # a conversation that ended in a ticket or a handoff is not contained
    ticketed = set(
        session.scalars(
            select(Ticket.conversation_id).where(*_window(Ticket.created_at, since, until))
        )
    )
    handed = {cid for cid, _ in handoffs} | ticketed
    per_channel: dict[str, Counter[str]] = defaultdict(Counter)
    for cid, channel in talked.items():
        per_channel[channel]["conversations"] += 1
        per_channel[channel]["handed_off"] += cid in handed
    total, handed_total = len(talked), len(handed & set(talked))

    def rates(conversations: int, handed_off: int) -> dict[str, Any]:
        return {
            "conversations": conversations,
            "handed_off": handed_off,
            "handoff_rate": round(handed_off / conversations, 4) if conversations else None,
            "containment_rate": round(1 - handed_off / conversations, 4) if conversations else None,
        }

    return {
        **rates(total, handed_total),
        "handoff_reasons": dict(Counter(reason for _, reason in handoffs)),
        "by_channel": {
            channel: rates(c["conversations"], c["handed_off"])
            for channel, c in sorted(per_channel.items())
        },
    }


def csat_by_day(
    session: Session, since: datetime | None, until: datetime | None
) -> list[dict[str, Any]]:
    days: dict[str, list[int]] = defaultdict(list)
    for created, score in session.execute(
        select(SurveyResponse.created_at, SurveyResponse.score).where(
            *_window(SurveyResponse.created_at, since, until)
        )
    ):
        days[created.date().isoformat()].append(score)
    return [
        {
            "day": day,
            "responses": len(scores),
            "avg": round(sum(scores) / len(scores), 2),
            "satisfied_rate": round(sum(1 for s in scores if s >= 4) / len(scores), 4),
        }
        for day, scores in sorted(days.items())
    ]


def csat_by(session: Session, since: datetime | None, until: datetime | None) -> dict[str, Any]:
    """Mean satisfaction by the ticket's channel and team."""
    groups: dict[str, dict[str, list[int]]] = {
        "channel": defaultdict(list),
        "team": defaultdict(list),
    }
    for score, channel, team in session.execute(
        select(SurveyResponse.score, Conversation.channel, Ticket.team)
        .join(Ticket, SurveyResponse.ticket_id == Ticket.id)
        .join(Conversation, Ticket.conversation_id == Conversation.id)
        .where(*_window(SurveyResponse.created_at, since, until))
    ):
        groups["channel"][channel].append(score)
        groups["team"][team or "unassigned"].append(score)
    return {
        f"by_{kind}": {
            key: {"responses": len(scores), "avg": round(sum(scores) / len(scores), 2)}
            for key, scores in sorted(found.items())
        }
        for kind, found in groups.items()
    }


def dashboard(
    session: Session,
    statuses: dict[str, str],
    figures: Figures,
    since: datetime | None,
    until: datetime | None,
) -> dict[str, Any]:
    return {
        "live": live(session, statuses),
        "sla": {**sla(session), "p1_within_4h_rate": figures.overall.p1_within_4h_rate},
        "assistant": assistant(session, since, until),
        "times": {
            "first_response_avg_minutes": figures.overall.first_response_avg_minutes,
            "handling_avg_hours": figures.overall.handling_avg_hours,
            "breach_rate": figures.overall.breach_rate,
            "by_channel": {k: g.model_dump() for k, g in figures.by_channel.items()},
            "by_team": {k: g.model_dump() for k, g in figures.by_team.items()},
        },
        "csat_by_day": csat_by_day(session, since, until),
        "csat": csat_by(session, since, until),
    }


def rows(data: dict[str, Any]) -> list[list[Any]]:
    """The dashboard flattened to (section, key, value) rows for CSV and XLSX."""
    table: list[list[Any]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list):
            for item in value:
                day = item.get("day", "")
                for key, inner in item.items():
                    if key != "day":
                        table.append([f"{prefix}.{key}", day, inner])
        else:
            section, _, key = prefix.partition(".")
            table.append([section, key, value])

    walk("", data)
    return table
