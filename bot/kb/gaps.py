"""Questions the knowledge base could not answer, grouped by meaning for staff to turn
into new entries: unanswered questions (and "none of these" after a "did you mean")
of the last days, embedded with e5 and clustered (average linkage, cosine distance),
largest group first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sqlalchemy import select

from bot.core.db import Database
from bot.core.models import KbQuery, utcnow
from bot.nlu.embedding import embed

DISTANCE = 0.12
"""Cosine distance below which two questions join one group (e5 places unrelated
questions about 0.25-0.35 apart, paraphrases under 0.1)."""
MAX_QUESTIONS = 2000
EXAMPLES = 5


@dataclass(frozen=True, slots=True)
class Gap:
    size: int
    examples: tuple[str, ...]
    languages: tuple[str, ...]
    nearest_key: str | None
    last_seen: datetime

    def as_dict(self) -> dict[str, object]:
        return {
            "size": self.size,
            "examples": list(self.examples),
            "languages": list(self.languages),
            "nearest_key": self.nearest_key,
            "last_seen": self.last_seen.isoformat(),
        }


def unanswered(db: Database, days: int) -> list[KbQuery]:
    with db.session() as session:
        rows = session.scalars(
            select(KbQuery)
            .where(
                KbQuery.decision == "unanswered",
                KbQuery.created_at >= utcnow() - timedelta(days=days),
            )
            .order_by(KbQuery.id.desc())
            .limit(MAX_QUESTIONS)
        )
        return list(rows)


def clusters(db: Database, days: int = 30, limit: int = 50) -> list[Gap]:
    rows = unanswered(db, days)
    if not rows:
        return []
    if len(rows) == 1:
        labels = np.zeros(1, dtype=np.int64)
    else:
        labels = AgglomerativeClustering(
            n_clusters=None, distance_threshold=DISTANCE, metric="cosine", linkage="average"
        ).fit_predict(embed([r.text for r in rows]))
    groups: dict[int, list[KbQuery]] = {}
    for row, label in zip(rows, labels, strict=True):
        groups.setdefault(int(label), []).append(row)
    gaps = []
    for members in groups.values():
        examples = tuple(dict.fromkeys(m.text for m in members))[:EXAMPLES]
        keys = [m.best_key for m in members if m.best_key]
        gaps.append(
            Gap(
                size=len(members),
                examples=examples,
                languages=tuple(sorted({m.language for m in members})),
                nearest_key=max(set(keys), key=keys.count) if keys else None,
                last_seen=max(m.created_at for m in members),
            )
        )
    gaps.sort(key=lambda g: (-g.size, -g.last_seen.timestamp()))
    return gaps[:limit]
