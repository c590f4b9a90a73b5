"""Who may see which conversations.

- An agent: the conversations they or a teammate (same team) took part in.
- A supervisor with a team (their organisation unit): the conversations the team's
  agents took part in, or whose tickets are assigned to the team.
- A supervisor without a team, an admin, or an API token: every conversation.

Tickets (the desk) follow the same rule, plus the tickets assigned to the person's team
or to one of its members, and the unassigned pool (no team, no assignee) every member
of staff works from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from bot.core.db import Database
from bot.core.models import Conversation, Handoff, Ticket, User


@dataclass(frozen=True, slots=True)
class Scope:
    everything: bool
    agents: frozenset[str] = frozenset()
    team: str | None = None
    # the person's own team (agents too): its tickets are theirs to see
    own_team: str | None = None

    def condition(self) -> Any:
        """A WHERE clause on Conversation for what this scope may see."""
        took_part = exists(
            select(Handoff.id).where(
                Handoff.conversation_id == Conversation.id, Handoff.agent.in_(self.agents)
            )
        )
        if self.team is None:
            return took_part
        team_ticket = exists(
            select(Ticket.id).where(
                Ticket.conversation_id == Conversation.id, Ticket.team == self.team
            )
        )
        return or_(took_part, team_ticket)

    def ticket_condition(self) -> Any:
        """A WHERE clause on Ticket for the tickets this scope may see (None: all)."""
        if self.everything:
            return None
        took_part = exists(
            select(Handoff.id).where(
                Handoff.conversation_id == Ticket.conversation_id, Handoff.agent.in_(self.agents)
            )
        )
        pool = and_(Ticket.team.is_(None), Ticket.assignee.is_(None))
        ours = [pool, Ticket.assignee.in_(self.agents), took_part]
        if self.own_team is not None:
            ours.append(Ticket.team == self.own_team)
        return or_(*ours)

    def allows_ticket(self, session: Session, ticket_id: int) -> bool:
        condition = self.ticket_condition()
        if condition is None:
            return True
        return (
            session.scalar(select(Ticket.id).where(Ticket.id == ticket_id, condition)) is not None
        )

    def allows(self, session: Session, conversation_id: int) -> bool:
        if self.everything:
            return True
        return (
            session.scalar(
                select(Conversation.id).where(Conversation.id == conversation_id, self.condition())
            )
            is not None
        )


def supervised_team(session: Session, name: str, role: str) -> str | None:
    """The team a supervisor answers for (their figures and floor); None for a supervisor
    without a team, an admin or an API token (everything)."""
    if role != "supervisor":
        return None
    return session.scalar(select(User.team).where(User.name == name))


def supervised_team_of(db: Database, name: str, role: str) -> str | None:
    """``supervised_team`` in a session of its own."""
    with db.session() as session:
        return supervised_team(session, name, role)


def scope_of(session: Session, name: str, role: str) -> Scope:
    if role in ("admin", "token"):
        return Scope(everything=True)
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        return Scope(everything=False)
    team = user.team
    members = (
        frozenset(session.scalars(select(User.name).where(User.team == team)))
        if team
        else frozenset({name})
    )
    if role == "supervisor":
        return Scope(everything=True) if team is None else Scope(False, members, team, team)
    return Scope(False, members | {name}, own_team=team)
