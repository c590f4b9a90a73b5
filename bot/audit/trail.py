"""The audit trail: every read of a transcript or ticket and every change, appended to
a hash-chained log.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's own fields
(id included), so changing any field of any row, deleting a row or inserting one breaks
the chain from there on. Appends are serialised (a PostgreSQL advisory lock across
replicas, a lock within the process) so the chain never forks. The newest hash is
also kept in Redis by the service; ``verify`` compares against it when given, which
catches rows cut from the end as well.

Entries older than the audit trail's retention are pruned behind a checkpoint (the id
and hash of the last entry removed, anchored in Redis like the head): the chain then
starts there, and ``verify`` checks the rest from it.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from bot.core.db import Database
from bot.core.models import AuditCheckpoint, AuditEntry, utcnow
from bot.core.redact import redact

GENESIS = "0" * 64
_APPEND = threading.Lock()
_ADVISORY_KEY = 0x61756469  # "audi"


def digest(prev_hash: str, entry_id: int, at: datetime, fields: dict[str, str | None]) -> str:
    body = json.dumps(
        {"id": entry_id, "at": at.isoformat(), **fields}, ensure_ascii=False, sort_keys=True
    )
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def _fields(entry: AuditEntry) -> dict[str, str | None]:
    return {
        "actor": entry.actor,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "address": entry.address,
        "detail": entry.detail,
    }


@dataclass(frozen=True, slots=True)
class Event:
    """Who did what to which object, from where; ``detail`` is free text (masked)."""

    actor: str
    action: str
    object_type: str
    object_id: str
    address: str | None = None
    detail: str = ""


def append(session: Session, event: Event) -> AuditEntry:
    """Append one entry inside the caller's transaction (so a change and its record
    commit together). Free text is masked like everything else stored."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_KEY})
    last = session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
    start = _start(session) if last is None else (last.id, last.hash)
    entry = AuditEntry(
        at=utcnow().replace(microsecond=0),
        actor=event.actor[:64],
        action=event.action[:32],
        object_type=event.object_type[:32],
        object_id=event.object_id[:64],
        address=(event.address or None) and event.address[:64],
        detail=redact(event.detail)[:1000],
        prev_hash=start[1],
        hash="",
    )
    entry.id = start[0] + 1
    entry.hash = digest(entry.prev_hash, entry.id, entry.at, _fields(entry))
    session.add(entry)
    session.flush()
    return entry


def record(db: Database, event: Event) -> str:
    """Append in a transaction of its own; returns the new head hash."""
    with _APPEND, db.session() as session:
        return append(session, event).hash


def anchor_key(prefix: str) -> str:
    return f"{prefix}:audit:head"


def checkpoint_key(prefix: str) -> str:
    """Where the newest checkpoint is anchored: ``<last id>:<last hash>``."""
    return f"{prefix}:audit:checkpoint"


def _start(session: Session) -> tuple[int, str]:
    """The id and hash the chain continues from: the newest checkpoint, or genesis."""
    point = session.scalar(
        select(AuditCheckpoint).order_by(AuditCheckpoint.last_id.desc()).limit(1)
    )
    return (point.last_id, point.last_hash) if point is not None else (0, GENESIS)


def prune(db: Database, before: datetime) -> AuditCheckpoint | None:
    """Remove the entries written before ``before`` behind a checkpoint; the newest entry
    always stays (it is the head the service anchors)."""
    with _APPEND, db.session() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_KEY})
        newest = session.scalar(select(func.max(AuditEntry.id)))
        last = session.scalar(
            select(AuditEntry)
            .where(AuditEntry.at < before, AuditEntry.id < (newest or 0))
            .order_by(AuditEntry.id.desc())
            .limit(1)
        )
        if last is None:
            return None
        first = _start(session)[0]
        point = AuditCheckpoint(
            at=utcnow(), last_id=last.id, last_hash=last.hash, pruned=last.id - first
        )
        session.add(point)
        session.execute(delete(AuditEntry).where(AuditEntry.id <= last.id))
        return point


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    entries: int
    head: str
    problem: str = ""


def verify(db: Database, anchor: str | None = None, checkpoint: str | None = None) -> Verdict:
    """Walk the chain from the newest checkpoint (or the first entry); the first broken
    link is reported. ``checkpoint`` is the one anchored in Redis, when there is one."""
    with db.session() as session:
        start_id, prev = _start(session)
        if checkpoint and checkpoint != f"{start_id}:{prev}":
            return Verdict(
                False, 0, prev, "the checkpoint differs from the one anchored (entries removed)"
            )
        count, expected_id = 0, start_id + 1
        rows = select(AuditEntry).where(AuditEntry.id > start_id).order_by(AuditEntry.id)
        if session.scalar(select(func.count()).where(AuditEntry.id <= start_id)):
            return Verdict(False, 0, prev, f"entries up to {start_id} remain behind the checkpoint")
        for entry in session.scalars(rows).yield_per(1000):
            if entry.id != expected_id:
                return Verdict(False, count, prev, f"entry {expected_id} is missing")
            if entry.prev_hash != prev:
                return Verdict(
                    False, count, prev, f"entry {entry.id} does not follow its predecessor"
                )
            if digest(prev, entry.id, entry.at, _fields(entry)) != entry.hash:
                return Verdict(False, count, prev, f"entry {entry.id} was altered")
            prev, count, expected_id = entry.hash, count + 1, expected_id + 1
    if anchor and anchor != prev:
        return Verdict(
            False, count, prev, "the newest entries are missing (head differs from the anchor)"
        )
    return Verdict(True, count, prev)


def anchor(redis_url: str, prefix: str, head: str, checkpoint: AuditCheckpoint | None) -> bool:
    """Anchor a new head (and checkpoint) in Redis from outside the web process (the
    worker, the command line); False when Redis does not answer (the log itself is
    written)."""
    import redis

    try:
        client = redis.Redis.from_url(redis_url, socket_timeout=2)
        with client.pipeline() as pipe:
            pipe.set(anchor_key(prefix), head)
            if checkpoint is not None:
                pipe.set(checkpoint_key(prefix), f"{checkpoint.last_id}:{checkpoint.last_hash}")
            pipe.execute()
        client.close()
        return True
    except redis.RedisError:
        return False


def anchored(redis_url: str, prefix: str) -> tuple[str | None, str | None] | None:
    """The head and checkpoint anchored in Redis; None when Redis does not answer."""
    import redis

    try:
        client = redis.Redis.from_url(redis_url, socket_timeout=2)
        head, point = client.mget(anchor_key(prefix), checkpoint_key(prefix))
        client.close()
    except redis.RedisError:
        return None
    return (
        head.decode() if isinstance(head, bytes) else None,
        point.decode() if isinstance(point, bytes) else None,
    )
