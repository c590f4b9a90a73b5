"""@mentions in internal notes: every member of staff named as ``@name`` gets a notice,
kept until they read it (and pushed live to their staff app)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.core.db import Database
from bot.core.models import StaffNotice, Ticket, User, utcnow

MENTION = re.compile(r"(?<![\w.])@([A-Za-z0-9_.\-]{1,64})")
NOTICES_SHOWN = 50


def mentioned(session: Session, body: str, actor: str) -> list[str]:
    """The staff members a note names (that exist; never the writer)."""
    names = {m.rstrip(".") for m in MENTION.findall(body)} - {actor}
    if not names:
        return []
    return sorted(session.scalars(select(User.name).where(User.name.in_(names))))


def notify(session: Session, ticket: Ticket, names: list[str], actor: str, body: str) -> None:
    for name in names:
        session.add(
            StaffNotice(
                user_name=name,
                kind="mention",
                ticket_id=ticket.id,
                actor=actor,
                body=body[:500],
                created_at=utcnow(),
            )
        )


@dataclass(frozen=True, slots=True)
class Notice:
    id: int
    kind: str  # mention (of a ticket) | kb_review (of a knowledge-base entry)
    number: str  # the ticket's number, for a mention
    actor: str
    body: str
    created_at: datetime
    read: bool
    subject: str | None = None  # "kb:<key>" for a knowledge-base entry


def notices(db: Database, name: str) -> tuple[list[Notice], int]:
    """A person's latest notices and how many are unread."""
    with db.session() as session:
        rows = session.execute(
            select(StaffNotice, Ticket.number)
            .outerjoin(Ticket, StaffNotice.ticket_id == Ticket.id)
            .where(StaffNotice.user_name == name)
            .order_by(StaffNotice.id.desc())
            .limit(NOTICES_SHOWN)
        ).all()
        unread = sum(1 for n, _ in rows if n.read_at is None)
        return [
            Notice(
                n.id,
                n.kind,
                number or "",
                n.actor,
                n.body,
                n.created_at,
                n.read_at is not None,
                n.subject,
            )
            for n, number in rows
        ], unread


def mark_read(db: Database, name: str, up_to: int) -> None:
    with db.session() as session:
        session.execute(
            update(StaffNotice)
            .where(
                StaffNotice.user_name == name,
                StaffNotice.id <= up_to,
                StaffNotice.read_at.is_(None),
            )
            .values(read_at=utcnow())
        )
