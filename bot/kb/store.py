"""Editing the knowledge base: create, update, delete, restore, roll back.

Every change bumps the entry's ``version`` and writes a ``kb_versions`` row with who,
when and the whole entry as it became, so any earlier state can be brought back (a
rollback is itself a new version). Updates name the version they were made from; if
someone else saved in between, the update is refused rather than silently lost.
Answers are read by the assistant at question time, so a change is live at once,
without retraining.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.db import Database
from bot.core.models import KbEntry, KbVersion, utcnow
from bot.core.redact import redact

KEY_PATTERN = r"^[a-z0-9_]{1,64}$"
EDITABLE = (
    "question_zh",
    "question_en",
    "answer_zh",
    "answer_en",
    "similar_zh",
    "similar_en",
    "category",
    "valid_from",
    "valid_to",
    "owner",
)


class KbError(ValueError):
    pass


class KbConflict(KbError):
    """Someone else saved the entry since the version the change was made from."""


class EntryFields(BaseModel):
    """What staff edit. Personal data in examples is masked like everything stored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    question_zh: str = Field(min_length=1, max_length=500)
    question_en: str = Field(min_length=1, max_length=500)
    answer_zh: str = Field(min_length=1, max_length=4000)
    answer_en: str = Field(min_length=1, max_length=4000)
    similar_zh: list[str] = Field(default_factory=list, max_length=200)
    similar_en: list[str] = Field(default_factory=list, max_length=200)
    category: str = Field(default="general", min_length=1, max_length=32)
    valid_from: date | None = None
    valid_to: date | None = None
    owner: str | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def _check(self) -> EntryFields:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from / 失效日期早于生效日期")
        for name in ("similar_zh", "similar_en"):
            cleaned = [q.strip() for q in getattr(self, name) if q.strip()]
            if any(len(q) > 500 for q in cleaned):
                raise ValueError(f"{name}: a question is longer than 500 characters")
            setattr(self, name, list(dict.fromkeys(redact(q) for q in cleaned)))
        return self


class NewEntry(EntryFields):
    key: str = Field(pattern=KEY_PATTERN)


def snapshot(entry: KbEntry) -> dict[str, Any]:
    data: dict[str, Any] = {"key": entry.key, "active": entry.active}
    for name in EDITABLE:
        value = getattr(entry, name)
        data[name] = value.isoformat() if isinstance(value, date) else value
    return data


def _record(
    session: Session, entry: KbEntry, action: str, actor: str, approved_by: str | None = None
) -> None:
    entry.updated_at, entry.updated_by = utcnow(), actor
    if approved_by is not None:
        entry.reviewed_at = entry.updated_at
    session.flush()
    session.add(
        KbVersion(
            entry_id=entry.id,
            version=entry.version,
            action=action,
            changed_by=actor,
            changed_at=entry.updated_at,
            snapshot=snapshot(entry),
            approved_by=approved_by,
        )
    )


def _apply(entry: KbEntry, fields: EntryFields) -> None:
    for name in EDITABLE:
        setattr(entry, name, getattr(fields, name))


def _entry(session: Session, key: str) -> KbEntry:
    """The entry, locked for a change. An entry seeded by a migration has no history
    yet: its state before this first change is recorded as its first version, so the
    change can be rolled back."""
    entry = session.scalar(select(KbEntry).where(KbEntry.key == key).with_for_update())
    if entry is None:
        raise LookupError(key)
    recorded = session.scalar(
        select(KbVersion.id).where(
            KbVersion.entry_id == entry.id, KbVersion.version == entry.version
        )
    )
    if recorded is None:
        session.add(
            KbVersion(
                entry_id=entry.id,
                version=entry.version,
                action="create",
                changed_by=entry.updated_by,
                changed_at=entry.updated_at,
                snapshot=snapshot(entry),
            )
        )
    return entry


def create_in(
    session: Session,
    new: NewEntry,
    actor: str,
    action: str = "create",
    approved_by: str | None = None,
) -> KbEntry:
    existing = session.scalar(select(KbEntry).where(KbEntry.key == new.key))
    if existing is not None:
        raise KbConflict(f"entry {new.key!r} already exists / 该条目已存在")
    entry = KbEntry(key=new.key, hits=0, version=1, active=True)
    _apply(entry, new)
    session.add(entry)
    _record(session, entry, action, actor, approved_by)
    return entry


def update_in(
    session: Session,
    key: str,
    fields: EntryFields,
    actor: str,
    expected_version: int | None,
    action: str = "update",
    approved_by: str | None = None,
) -> KbEntry:
    entry = _entry(session, key)
    _check_version(entry, expected_version)
    if not entry.active:
        action = "restore"
    _apply(entry, fields)
    entry.active = True
    entry.version += 1
    _record(session, entry, action, actor, approved_by)
    return entry


def _check_version(entry: KbEntry, expected_version: int | None) -> None:
    if expected_version is not None and entry.version != expected_version:
        raise KbConflict(
            f"entry {entry.key!r} changed since version {expected_version} (now "
            f"{entry.version}) / 条目已被他人修改，请刷新后重试"
        )


def delete_in(
    session: Session,
    key: str,
    actor: str,
    expected_version: int | None = None,
    approved_by: str | None = None,
) -> KbEntry:
    """Withdraw an entry (the assistant stops answering with it); history is kept."""
    entry = _entry(session, key)
    _check_version(entry, expected_version)
    if entry.active:
        entry.active = False
        entry.version += 1
        _record(session, entry, "delete", actor, approved_by)
    return entry


def version_fields(session: Session, key: str, to_version: int) -> tuple[EntryFields, bool]:
    """An entry's fields and whether it was live, as at ``to_version``."""
    entry = session.scalar(select(KbEntry).where(KbEntry.key == key))
    if entry is None:
        raise LookupError(key)
    old = session.scalar(
        select(KbVersion).where(KbVersion.entry_id == entry.id, KbVersion.version == to_version)
    )
    if old is None:
        raise LookupError(f"{key} v{to_version}")
    fields = EntryFields.model_validate({k: old.snapshot.get(k) for k in EDITABLE})
    return fields, bool(old.snapshot.get("active", True))


def rollback_in(
    session: Session,
    key: str,
    to_version: int,
    actor: str,
    expected_version: int | None = None,
    approved_by: str | None = None,
) -> KbEntry:
    """Bring back the entry as it was at ``to_version``, as a new version."""
    fields, active = version_fields(session, key, to_version)
    entry = _entry(session, key)
    _check_version(entry, expected_version)
    _apply(entry, fields)
    entry.active = active
    entry.version += 1
    _record(session, entry, "rollback", actor, approved_by)
    return entry


def create(db: Database, new: NewEntry, actor: str) -> dict[str, Any]:
    with db.session() as session:
        entry = create_in(session, new, actor)
        return view(entry)


def update(
    db: Database, key: str, fields: EntryFields, actor: str, expected_version: int | None
) -> dict[str, Any]:
    with db.session() as session:
        return view(update_in(session, key, fields, actor, expected_version))


def delete(db: Database, key: str, actor: str) -> None:
    """Withdraw an entry (the assistant stops answering with it); history is kept."""
    with db.session() as session:
        delete_in(session, key, actor)


def rollback(db: Database, key: str, to_version: int, actor: str) -> dict[str, Any]:
    """Bring back the entry as it was at ``to_version``, as a new version."""
    with db.session() as session:
        return view(rollback_in(session, key, to_version, actor))


def history(db: Database, key: str) -> list[dict[str, Any]]:
    with db.session() as session:
        entry = session.scalar(select(KbEntry).where(KbEntry.key == key))
        if entry is None:
            raise LookupError(key)
        return [
            {
                "version": v.version,
                "action": v.action,
                "changed_by": v.changed_by,
                "changed_at": v.changed_at.isoformat(),
                "approved_by": v.approved_by,
                "entry": v.snapshot,
            }
            for v in session.scalars(
                select(KbVersion)
                .where(KbVersion.entry_id == entry.id)
                .order_by(KbVersion.version.desc())
            )
        ]


def view(entry: KbEntry) -> dict[str, Any]:
    return {
        **snapshot(entry),
        "hits": entry.hits,
        "version": entry.version,
        "updated_at": entry.updated_at.isoformat(),
        "updated_by": entry.updated_by,
    }


def listing(db: Database, include_deleted: bool = False) -> list[dict[str, Any]]:
    with db.session() as session:
        query = select(KbEntry).order_by(KbEntry.category, KbEntry.key)
        if not include_deleted:
            query = query.where(KbEntry.active.is_(True))
        return [view(e) for e in session.scalars(query)]


def get(db: Database, key: str) -> dict[str, Any] | None:
    with db.session() as session:
        entry = session.scalar(select(KbEntry).where(KbEntry.key == key))
        return view(entry) if entry is not None else None
