"""An agent's own quality scores and appeals of them.

An agent reads the scores their chats were given (with the reviewer's comment) and may
appeal one within ``APPEAL_DAYS``, once, saying why. A supervisor of the agent decides:
the score stands (``upheld``), or new scores replace it (``changed``; the old total is
kept on the appeal). Scorecards read the review, so a changed score counts at once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.models import QaAppeal, QaReview, utcnow
from bot.quality.reviews import ReviewError, weighted_total

APPEAL_DAYS = 30
SHOWN = 100


def _appeal(appeal: QaAppeal | None) -> dict[str, Any] | None:
    if appeal is None:
        return None
    return {
        "id": appeal.id,
        "state": appeal.state,
        "reason": appeal.reason,
        "decision": appeal.decision,
        "decided_by": appeal.decided_by,
        "old_total": appeal.old_total,
        "created_at": appeal.created_at.isoformat(),
    }


def _review(review: QaReview, appeal: QaAppeal | None) -> dict[str, Any]:
    return {
        "review_id": review.id,
        "handoff_id": review.handoff_id,
        "agent": review.agent,
        "reviewer": review.reviewer,
        "scores": review.scores,
        "total": review.total,
        "comment": review.comment,
        "created_at": review.created_at.isoformat(),
        "appeal": _appeal(appeal),
    }


def mine(session: Session, agent: str) -> list[dict[str, Any]]:
    """The scores ``agent``'s chats were given, newest first, with any appeal."""
    rows = session.execute(
        select(QaReview, QaAppeal)
        .outerjoin(QaAppeal, QaAppeal.review_id == QaReview.id)
        .where(QaReview.agent == agent)
        .order_by(QaReview.id.desc())
        .limit(SHOWN)
    ).all()
    return [_review(review, appeal) for review, appeal in rows]


def appeal(session: Session, review_id: int, agent: str, reason: str) -> QaAppeal:
    review = session.get(QaReview, review_id)
    if review is None or review.agent != agent:
        raise LookupError(review_id)  # someone else's score: as if there were none
    if utcnow() - review.created_at > timedelta(days=APPEAL_DAYS):
        raise ReviewError(
            f"评分已超过 {APPEAL_DAYS} 天，不能再申诉 / a score can be appealed within "
            f"{APPEAL_DAYS} days"
        )
    if session.scalar(select(QaAppeal.id).where(QaAppeal.review_id == review_id)) is not None:
        raise ReviewError("此评分已申诉过 / this score was already appealed")
    made = QaAppeal(review_id=review_id, agent=agent, reason=reason.strip(), state="open")
    session.add(made)
    session.flush()
    return made


def waiting(session: Session, agents: frozenset[str] | None) -> list[dict[str, Any]]:
    """Open appeals (of these agents' scores when given), oldest first."""
    query = (
        select(QaReview, QaAppeal)
        .join(QaAppeal, QaAppeal.review_id == QaReview.id)
        .where(QaAppeal.state == "open")
        .order_by(QaAppeal.id)
    )
    if agents is not None:
        query = query.where(QaReview.agent.in_(agents))
    return [_review(review, found) for review, found in session.execute(query).all()]


def decide(
    session: Session,
    appeal_id: int,
    supervisor: str,
    outcome: str,
    note: str,
    scores: dict[str, int] | None,
    agents: frozenset[str] | None,
) -> dict[str, Any]:
    """``upheld`` (the score stands) or ``changed`` (``scores`` replace it)."""
    found = session.get(QaAppeal, appeal_id, with_for_update=True)
    if found is None:
        raise LookupError(appeal_id)
    review = session.get(QaReview, found.review_id)
    assert review is not None
    if agents is not None and review.agent not in agents:
        raise PermissionError(appeal_id)
    if found.state != "open":
        raise ReviewError("此申诉已处理 / this appeal was already decided")
    if outcome == "changed":
        if scores is None:
            raise ReviewError("改分需要新的评分 / give the new scores")
        found.old_total = review.total
        review.scores = scores
        review.total = weighted_total(session, scores)
    found.state = outcome
    found.decision = note.strip()
    found.decided_by = supervisor
    found.decided_at = utcnow()
    return _review(review, found)
