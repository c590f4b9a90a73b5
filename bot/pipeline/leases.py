"""Leases in the row: how the worker takes inbox messages and outbox items, safely across
replicas and crashes. A row is taken by a conditional UPDATE that sets its lease; a
process that dies leaves the lease to run out, and any replica takes the row again."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import Select, Update

from bot.core.db import Database
from bot.core.models import utcnow


def take(
    db: Database,
    candidates: Sequence[Select[int]],
    claim: Update,
    limit: int,
    lease: timedelta,
) -> list[int]:
    """Take up to ``limit`` of the rows the ``candidates`` queries find (bound to ``now``
    and ``limit``), oldest id first: each one that ``claim`` (bound to ``id``, ``now``
    and ``until``) still updates is this process's until the lease runs out."""
    now = utcnow()
    keys = {"now": now, "limit": limit}
    taken: list[int] = []
    with db.engine.begin() as connection:
        found = sorted({row for query in candidates for row in connection.scalars(query, keys)})
        for row in found[:limit]:
            leased = connection.execute(claim, {"row_id": row, "now": now, "until": now + lease})
            if leased.rowcount == 1:
                taken.append(row)
    return taken
