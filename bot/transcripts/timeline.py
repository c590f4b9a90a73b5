"""A conversation as the agent sees it: every message, with the handoff's moments
(queued, accepted, ended) in their place."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.models import Handoff, Message


def _marks(handoff: Handoff) -> list[tuple[datetime, dict[str, Any]]]:
    marks: list[tuple[datetime, dict[str, Any]]] = [
        (handoff.queued_at, {"event": "queued", "reason": handoff.reason})
    ]
    if handoff.accepted_at is not None and handoff.agent:
        marks.append((handoff.accepted_at, {"event": "accepted", "agent_name": handoff.agent}))
    if handoff.ended_at is not None:
        marks.append(
            (handoff.ended_at, {"event": "ended", "disposition": handoff.disposition or ""})
        )
    return [(at, {**mark, "handoff_id": handoff.id}) for at, mark in marks]


def transcript(session: Session, conversation_id: int) -> list[dict[str, Any]]:
    entries: list[tuple[datetime, int, dict[str, Any]]] = []
    for m in session.scalars(
        select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)
    ):
        entries.append(
            (
                m.created_at,
                0,
                {
                    "id": m.id,
                    "sender": m.sender,
                    "text": m.text,
                    "agent_name": m.author,
                    "intent": m.intent,
                    "confidence": m.confidence,
                    "at": m.created_at.isoformat(),
                },
            )
        )
    for handoff in session.scalars(
        select(Handoff).where(Handoff.conversation_id == conversation_id)
    ):
        for at, mark in _marks(handoff):
            entries.append((at, 1, {"id": None, "sender": "system", "at": at.isoformat(), **mark}))
    # Messages keep their stored order; each mark goes after what was stored before it.
    entries.sort(key=lambda entry: (entry[0], entry[1]))
    return [entry for _, _, entry in entries]
