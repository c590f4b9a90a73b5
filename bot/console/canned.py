"""Canned replies: kept in the database per team, edited by supervisors, filled in for
one chat. Variables: ``{customer}`` (how the customer is addressed: no names are held,
so 「尊敬的客户」, or 「尊敬的尾号 1234 客户」 once verified), ``{ticket}`` (the chat's
ticket number) and ``{agent}`` (the agent's public name)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.core.models import CannedReply, utcnow

VARIABLES = ("customer", "ticket", "agent")
_VARIABLE = re.compile(r"\{([a-z_]+)\}")


class CannedError(ValueError):
    """A reply that cannot be kept (answered 422)."""


@dataclass(frozen=True, slots=True)
class Context:
    """What the variables of one chat stand for."""

    language: str
    customer: str
    ticket: str
    agent: str


def check_body(body: str) -> None:
    unknown = sorted({v for v in _VARIABLE.findall(body) if v not in VARIABLES})
    if unknown:
        raise CannedError(
            f"未知变量 / unknown variables: {', '.join('{' + v + '}' for v in unknown)}; "
            f"可用 / known: {', '.join('{' + v + '}' for v in VARIABLES)}"
        )


def fill(body: str, context: Context) -> str:
    values = {"customer": context.customer, "ticket": context.ticket, "agent": context.agent}
    return _VARIABLE.sub(lambda m: values.get(m.group(1), m.group(0)), body)


def for_team(session: Session, team: str | None) -> list[CannedReply]:
    """The team's own replies and the shared ones, in their order."""
    condition: ColumnElement[bool] = CannedReply.team.is_(None)
    if team:
        condition = or_(condition, CannedReply.team == team)
    return list(
        session.scalars(
            select(CannedReply).where(condition).order_by(CannedReply.position, CannedReply.id)
        )
    )


def filled(session: Session, team: str | None, context: Context) -> list[dict[str, str | int]]:
    english = context.language == "en"
    return [
        {
            "id": r.id,
            "title": r.title_en if english else r.title_zh,
            "text": fill(r.body_en if english else r.body_zh, context),
        }
        for r in for_team(session, team)
    ]


def save(
    session: Session,
    reply_id: int | None,
    *,
    team: str | None,
    title_zh: str,
    title_en: str,
    body_zh: str,
    body_en: str,
    position: int,
    actor: str,
) -> CannedReply:
    check_body(body_zh)
    check_body(body_en)
    if reply_id is None:
        reply = CannedReply()
        session.add(reply)
    else:
        found = session.get(CannedReply, reply_id)
        if found is None:
            raise LookupError(reply_id)
        reply = found
    reply.team, reply.title_zh, reply.title_en = team or None, title_zh, title_en
    reply.body_zh, reply.body_en, reply.position = body_zh, body_en, position
    reply.updated_by, reply.updated_at = actor, utcnow()
    session.flush()
    return reply
