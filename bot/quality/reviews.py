"""Supervisors' side of quality inspection: the flagged chats, a random sample of the
rest, scoring a chat against the rubric, and agent scorecards over a period."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.core.models import Conversation, Handoff, QaFlag, QaReview, QaRule

MAX_SCORE = 5


class ReviewError(ValueError):
    pass


def _ended(
    since: datetime | None, until: datetime | None, agents: frozenset[str] | None = None
) -> list[Any]:
    """Ended chats in the window; only these agents' when ``agents`` is given."""
    conditions: list[Any] = [Handoff.state == "ended", Handoff.agent.is_not(None)]
    if agents is not None:
        conditions.append(Handoff.agent.in_(agents))
    if since is not None:
        conditions.append(Handoff.ended_at >= since)
    if until is not None:
        conditions.append(Handoff.ended_at < until)
    return conditions


def _chat(handoff: Handoff, conversation: Conversation, rules: list[str]) -> dict[str, Any]:
    return {
        "handoff_id": handoff.id,
        "conversation_id": conversation.public_id,
        "agent": handoff.agent,
        "ended_at": handoff.ended_at.isoformat() if handoff.ended_at else None,
        "disposition": handoff.disposition,
        "flags": rules,
    }


def flagged(
    session: Session,
    since: datetime | None,
    until: datetime | None,
    agents: frozenset[str] | None = None,
) -> list[dict[str, Any]]:
    by_handoff: dict[int, list[str]] = defaultdict(list)
    rows = session.execute(
        select(Handoff, Conversation, QaFlag.rule_key)
        .join(QaFlag, QaFlag.handoff_id == Handoff.id)
        .join(Conversation, Handoff.conversation_id == Conversation.id)
        .where(*_ended(since, until, agents))
        .order_by(Handoff.ended_at.desc(), QaFlag.id)
    ).all()
    chats: dict[int, tuple[Handoff, Conversation]] = {}
    for handoff, conversation, key in rows:
        by_handoff[handoff.id].append(key)
        chats[handoff.id] = (handoff, conversation)
    return [_chat(h, c, by_handoff[hid]) for hid, (h, c) in chats.items()]


def sample(
    session: Session,
    size: int,
    since: datetime | None,
    until: datetime | None,
    seed: int | None,
    agents: frozenset[str] | None = None,
) -> list[dict[str, Any]]:
    """Ended chats nobody has scored yet, picked at random."""
    reviewed = select(QaReview.handoff_id)
    rows = session.execute(
        select(Handoff, Conversation)
        .join(Conversation, Handoff.conversation_id == Conversation.id)
        .where(*_ended(since, until, agents), Handoff.id.not_in(reviewed))
    ).all()
    picked = random.Random(seed).sample(rows, min(size, len(rows)))
    return [_chat(h, c, []) for h, c in picked]


def score(
    session: Session,
    handoff_id: int,
    reviewer: str,
    scores: dict[str, int],
    comment: str,
    agents: frozenset[str] | None = None,
) -> dict[str, Any]:
    """Score every active rubric line 0-5; the total is weighted, out of 100."""
    handoff = session.get(Handoff, handoff_id)
    if handoff is None or handoff.state != "ended" or not handoff.agent:
        raise LookupError(handoff_id)
    if agents is not None and handoff.agent not in agents:
        raise PermissionError(handoff_id)
    total = weighted_total(session, scores)
    review = QaReview(
        handoff_id=handoff_id,
        agent=handoff.agent,
        reviewer=reviewer,
        scores=scores,
        total=total,
        comment=comment,
    )
    session.add(review)
    session.flush()
    return {"review_id": review.id, "agent": handoff.agent, "total": total}


def weighted_total(session: Session, scores: dict[str, int]) -> float:
    """Every active rubric line scored 0-5 once; the total weighted, out of 100."""
    rules = {
        r.key: r.weight for r in session.scalars(select(QaRule).where(QaRule.active.is_(True)))
    }
    unknown = sorted(set(scores) - set(rules))
    missing = sorted(set(rules) - set(scores))
    if unknown or missing:
        raise ReviewError(
            f"score every rubric line once: unknown {unknown}, missing {missing} / 请为每一项评分"
        )
    if any(not 0 <= v <= MAX_SCORE for v in scores.values()):
        raise ReviewError(f"scores are 0-{MAX_SCORE} / 分值为 0-{MAX_SCORE}")
    weight = sum(rules.values()) or 1
    return round(100 * sum(rules[k] * v for k, v in scores.items()) / (MAX_SCORE * weight), 1)


def calibration(
    session: Session,
    since: datetime | None,
    until: datetime | None,
    agents: frozenset[str] | None = None,
) -> dict[str, Any]:
    """Chats two or more supervisors scored, and how far they agree: per chat the
    reviewers' totals and the share of rubric lines scored the same (exactly, and within
    one point), over every pair of reviewers; and the same over all such chats."""
    by_chat: dict[int, dict[str, QaReview]] = defaultdict(dict)
    chats: dict[int, tuple[Handoff, Conversation]] = {}
    for review, handoff, conversation in session.execute(
        select(QaReview, Handoff, Conversation)
        .join(Handoff, QaReview.handoff_id == Handoff.id)
        .join(Conversation, Handoff.conversation_id == Conversation.id)
        .where(*_ended(since, until, agents))
        .order_by(QaReview.id)
    ):
        by_chat[handoff.id][review.reviewer] = review  # each reviewer's latest
        chats[handoff.id] = (handoff, conversation)
    listed: list[dict[str, Any]] = []
    pairs_exact = pairs_close = pairs_lines = 0
    for handoff_id, by_reviewer in by_chat.items():
        if len(by_reviewer) < 2:
            continue
        scored = list(by_reviewer.values())
        exact = close = lines = 0
        for i, first in enumerate(scored):
            for second in scored[i + 1 :]:
                for key in set(first.scores) & set(second.scores):
                    lines += 1
                    gap = abs(int(first.scores[key]) - int(second.scores[key]))
                    exact += gap == 0
                    close += gap <= 1
        pairs_exact, pairs_close, pairs_lines = (
            pairs_exact + exact,
            pairs_close + close,
            pairs_lines + lines,
        )
        handoff, conversation = chats[handoff_id]
        totals = [r.total for r in scored]
        listed.append(
            {
                **_chat(handoff, conversation, []),
                "reviews": [
                    {"reviewer": r.reviewer, "total": r.total, "scores": r.scores} for r in scored
                ],
                "exact": round(exact / lines, 4) if lines else None,
                "within_one": round(close / lines, 4) if lines else None,
                "spread": round(max(totals) - min(totals), 1),
            }
        )
    return {
        "chats": listed,
        "exact": round(pairs_exact / pairs_lines, 4) if pairs_lines else None,
        "within_one": round(pairs_close / pairs_lines, 4) if pairs_lines else None,
    }


def scorecards(
    session: Session,
    since: datetime | None,
    until: datetime | None,
    agents: frozenset[str] | None = None,
) -> list[dict[str, Any]]:
    """Per agent: chats ended, chats flagged and by which rules, reviews and their mean."""
    chats: dict[str, int] = {
        str(agent): int(count)
        for agent, count in session.execute(
            select(Handoff.agent, func.count(Handoff.id))
            .where(*_ended(since, until, agents))
            .group_by(Handoff.agent)
        ).all()
    }
    flags: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    flagged_chats: dict[str, set[int]] = defaultdict(set)
    for agent, key, handoff_id in session.execute(
        select(Handoff.agent, QaFlag.rule_key, Handoff.id)
        .join(QaFlag, QaFlag.handoff_id == Handoff.id)
        .where(*_ended(since, until, agents))
    ):
        flags[str(agent)][key] += 1
        flagged_chats[str(agent)].add(handoff_id)
    reviews: dict[str, list[float]] = defaultdict(list)
    for agent, total in session.execute(
        select(QaReview.agent, QaReview.total)
        .join(Handoff, QaReview.handoff_id == Handoff.id)
        .where(*_ended(since, until, agents))
    ):
        reviews[agent].append(float(total))
    return [
        {
            "agent": agent,
            "chats": count,
            "flagged_chats": len(flagged_chats[agent]),
            "flagged_rate": round(len(flagged_chats[agent]) / count, 4) if count else None,
            "flags": dict(flags[agent]),
            "reviews": len(reviews[agent]),
            "review_avg": round(sum(reviews[agent]) / len(reviews[agent]), 1)
            if reviews[agent]
            else None,
        }
        for agent, count in sorted(chats.items())
    ]


def rules(session: Session) -> list[dict[str, Any]]:
    return [
        {
            "key": r.key,
            "title_zh": r.title_zh,
            "title_en": r.title_en,
            "kind": r.kind,
            "pattern": r.pattern,
            "trigger": r.trigger,
            "weight": r.weight,
            "active": r.active,
            "phrases": list(r.phrases or []),
            "trigger_phrases": list(r.trigger_phrases or []),
            "examples": list(r.examples or []),
            "advanced": r.advanced,
        }
        for r in session.scalars(select(QaRule).order_by(QaRule.id))
    ]
