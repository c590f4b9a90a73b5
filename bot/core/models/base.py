"""The declarative base, UTC timestamps on every backend, and the clock."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    DateTime,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# What each table holds, for how long it may be kept (the data's lifecycle): every model
# names one of these classes in ``__retention__`` (a test fails for a table without
# one), so whatever a later feature adds is covered by the retention rules too.
RETENTION_CLASSES: dict[str, str] = {
    "transcripts": "conversations, their messages and handoffs: customers' own words",
    "deliveries": "copies of replies on their way to a channel, and the tries",
    "tickets": "tickets, their history, escalations, notes and notices about them",
    "call_logs": "回访 tasks and every call attempt with its outcome",
    "surveys": "satisfaction answers",
    "contact_vault": "customers' sealed phone numbers and identity checks",
    "customer_profile": "what staff set about a customer (VIP)",
    "kb_queries": "questions asked of the knowledge base, picks and learned pairs",
    "quality": "flags, scores and appeals of chats (derived from transcripts)",
    "audit": "the hash-chained audit trail",
    "staff": "staff accounts, shifts and API tokens",
    "privacy": "legal holds and the record of purges, erasures and exports (no customer text)",
    "configuration": "what the bank configures: no customer data",
    "operational": "the service's own bookkeeping (cursors, claims)",
}


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON}
    # one of RETENTION_CLASSES, set on every model
    __retention__: ClassVar[str]
