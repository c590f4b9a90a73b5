"""The audit trail: every read of a transcript or ticket and every change, appended to
a hash-chained log.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's own fields
(id included), so changing any field of any row, deleting a row or inserting one breaks
the chain from there on. Appends are serialised (a PostgreSQL advisory lock across
replicas, a lock within the process) so the chain never forks. The newest hash is
also kept in Redis by the service; ``verify`` compares against it when given, which
catches rows cut from the end as well.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bot.core.db import Database
from bot.core.models import AuditEntry, utcnow
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
    entry = AuditEntry(
        at=utcnow().replace(microsecond=0),
        actor=event.actor[:64],
        action=event.action[:32],
        object_type=event.object_type[:32],
        object_id=event.object_id[:64],
        address=(event.address or None) and event.address[:64],
        detail=redact(event.detail)[:1000],
        prev_hash=last.hash if last is not None else GENESIS,
        hash="",
    )
    entry.id = (last.id if last is not None else 0) + 1
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


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    entries: int
    head: str
    problem: str = ""


def verify(db: Database, anchor: str | None = None) -> Verdict:
    """Walk the chain from the first entry; the first broken link is reported."""
    prev, count, expected_id = GENESIS, 0, 1
    with db.session() as session:
        for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id)).yield_per(1000):
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
