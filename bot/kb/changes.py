"""Four-eyes on the knowledge base: an editor's change waits for a second person.

A change (create, update, withdraw, roll back) is stored as a ``kb_changes`` row with
the version it was made from. Customers keep getting the entry as it is until someone
other than the editor approves it; then it is applied as a new version that records
both names, and the entry counts as reviewed. A change made from an older version than
the entry now has is refused at approval (someone else's change came first). Answers
that say a phrase the quality rubric forbids (保本保收益, …) are refused when proposed
and again when approved: they cannot reach customers.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.db import Database
from bot.core.models import KbChange, KbEntry, KbVersion, QaRule, utcnow
from bot.kb.store import (
    EDITABLE,
    EntryFields,
    KbConflict,
    KbError,
    NewEntry,
    create_in,
    delete_in,
    rollback_in,
    snapshot,
    update_in,
    version_fields,
    view,
)
from bot.quality.rubric import Written

ACTIONS = ("create", "update", "delete", "rollback")
ANSWERS = ("answer_zh", "answer_en")


class KbForbidden(KbError):
    """An answer says what the rubric forbids; ``findings`` name the rule and phrase."""

    def __init__(self, findings: list[dict[str, str]]) -> None:
        said = "; ".join(f"{f['rule']}: 「{f['found']}」" for f in findings)
        super().__init__(f"答案含有禁用语，不能发布 / the answer says forbidden words: {said}")
        self.findings = findings


def forbidden_in(session: Session, fields: dict[str, Any]) -> list[dict[str, str]]:
    """The rubric's forbidden phrases in the answers of ``fields``."""
    found: list[dict[str, str]] = []
    rules = session.scalars(
        select(QaRule).where(QaRule.active.is_(True), QaRule.kind == "forbidden")
    )
    for rule in rules:
        pattern, _ = Written.of(rule).expressions()
        if not pattern:
            continue
        try:
            expression = re.compile(pattern, re.IGNORECASE)
        except re.error:
            continue
        for name in ANSWERS:
            match = expression.search(str(fields.get(name) or ""))
            if match:
                found.append(
                    {
                        "rule": rule.title_zh,
                        "rule_en": rule.title_en,
                        "field": name,
                        "found": match.group(0),
                    }
                )
    return found


def refuse_forbidden(session: Session, fields: dict[str, Any]) -> None:
    found = forbidden_in(session, fields)
    if found:
        raise KbForbidden(found)


@dataclass(frozen=True, slots=True)
class Proposal:
    action: str
    key: str
    fields: dict[str, Any]  # the entry's editable fields as proposed (none to withdraw)
    base_version: int | None  # the version it was made from (None: a new entry)


def _current(session: Session, key: str) -> KbEntry | None:
    return session.scalar(select(KbEntry).where(KbEntry.key == key))


def propose_in(session: Session, proposal: Proposal, actor: str) -> KbChange:
    """Record a change for review (checked now: forbidden words, the entry's existence)."""
    if proposal.action not in ACTIONS:
        raise KbError(f"unknown action {proposal.action!r}")
    entry = _current(session, proposal.key)
    if proposal.action == "create" and entry is not None:
        raise KbConflict(f"entry {proposal.key!r} already exists / 该条目已存在")
    if proposal.action != "create" and entry is None:
        raise LookupError(proposal.key)
    if proposal.action in ("create", "update"):
        refuse_forbidden(session, proposal.fields)
    change = KbChange(
        entry_key=proposal.key,
        action=proposal.action,
        fields=proposal.fields,
        base_version=proposal.base_version,
        proposed_by=actor,
        proposed_at=utcnow(),
        state="pending",
    )
    session.add(change)
    session.flush()
    return change


def check_answers(db: Database, fields: dict[str, Any]) -> None:
    """Refuse answers with forbidden words (``KbForbidden``), for a change applied at
    once (four-eyes switched off)."""
    with db.session() as session:
        refuse_forbidden(session, fields)


def propose(db: Database, proposal: Proposal, actor: str) -> dict[str, Any]:
    with db.session() as session:
        return shown(session, propose_in(session, proposal, actor))


def fields_of(new: EntryFields) -> dict[str, Any]:
    return {name: value for name, value in new.model_dump(mode="json").items() if name in EDITABLE}


def rollback_proposal(
    db: Database, key: str, to_version: int, base_version: int | None
) -> Proposal:
    """A roll-back as a change: the fields the entry had at ``to_version``."""
    with db.session() as session:
        fields, active = version_fields(session, key, to_version)
    proposed = {**fields.model_dump(mode="json"), "to_version": to_version, "active": active}
    return Proposal("rollback", key, proposed, base_version)


def _locked(session: Session, change_id: int) -> KbChange:
    change = session.get(KbChange, change_id, with_for_update=True)
    if change is None:
        raise LookupError(change_id)
    if change.state != "pending":
        raise KbError("此变更已处理 / this change was already decided")
    return change


def approve(db: Database, change_id: int, reviewer: str) -> dict[str, Any]:
    """Apply a change a second person approves; returns the entry as it now is."""
    with db.session() as session:
        change = _locked(session, change_id)
        if reviewer == change.proposed_by:
            raise PermissionError("须由提交人以外的人审核 / someone other than the editor approves")
        editor, fields = change.proposed_by, dict(change.fields)
        if change.action in ("create", "update", "rollback"):
            refuse_forbidden(session, fields)
        if change.action == "create":
            entry = create_in(
                session,
                NewEntry.model_validate({**_editable(fields), "key": change.entry_key}),
                editor,
                approved_by=reviewer,
            )
        elif change.action == "update":
            entry = update_in(
                session,
                change.entry_key,
                EntryFields.model_validate(_editable(fields)),
                editor,
                change.base_version,
                approved_by=reviewer,
            )
        elif change.action == "delete":
            entry = delete_in(
                session, change.entry_key, editor, change.base_version, approved_by=reviewer
            )
        else:
            entry = rollback_in(
                session,
                change.entry_key,
                int(fields["to_version"]),
                editor,
                change.base_version,
                approved_by=reviewer,
            )
        change.state, change.reviewed_by, change.reviewed_at = "approved", reviewer, utcnow()
        change.applied_version = entry.version
        return view(entry)


def _editable(fields: dict[str, Any]) -> dict[str, Any]:
    return {name: fields.get(name) for name in EDITABLE if name in fields}


def reject(db: Database, change_id: int, reviewer: str, note: str) -> dict[str, Any]:
    """Turn a change down (or, by its editor, withdraw it), with the reason."""
    with db.session() as session:
        change = _locked(session, change_id)
        change.state = "withdrawn" if reviewer == change.proposed_by else "rejected"
        change.reviewed_by, change.reviewed_at, change.note = reviewer, utcnow(), note.strip()
        return shown(session, change)


# What a change or a version changed


SHORT_EQUAL = 2  # equal runs this short between changes are read as part of them
MOSTLY_NEW = 0.4  # below this similarity a text is shown as replaced whole


def _text_ops(before: str, after: str) -> list[dict[str, str]]:
    """A character diff (Chinese has no spaces to split words on) that reads as
    phrases: a rewritten text is one replacement, and a one- or two-character match
    between two changes does not cut them apart."""
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    if before and after and matcher.ratio() < MOSTLY_NEW:
        return [{"op": "replace", "before": before, "after": after}]
    ops: list[dict[str, str]] = []
    codes = matcher.get_opcodes()
    for n, (op, i1, i2, j1, j2) in enumerate(codes):
        between = 0 < n < len(codes) - 1 and i2 - i1 <= SHORT_EQUAL
        if op == "equal" and not between:
            ops.append({"op": "equal", "before": before[i1:i2], "after": after[j1:j2]})
            continue
        if ops and ops[-1]["op"] != "equal":
            ops[-1] = {
                "op": "replace",
                "before": ops[-1]["before"] + before[i1:i2],
                "after": ops[-1]["after"] + after[j1:j2],
            }
        else:
            ops.append({"op": op, "before": before[i1:i2], "after": after[j1:j2]})
    return ops


def diff(before: dict[str, Any] | None, after: dict[str, Any]) -> list[dict[str, Any]]:
    """Field by field, what differs between two states of an entry: texts as runs of
    equal, inserted, deleted and replaced characters; question lists as added and removed
    questions."""
    changed: list[dict[str, Any]] = []
    for name in (*EDITABLE, "active"):
        if name not in after:
            continue
        old = (before or {}).get(name)
        new = after.get(name)
        if isinstance(old, date):
            old = old.isoformat()
        if old == new:
            continue
        if isinstance(new, list) or isinstance(old, list):
            olds, news = list(old or []), list(new or [])
            changed.append(
                {
                    "field": name,
                    "added": [q for q in news if q not in olds],
                    "removed": [q for q in olds if q not in news],
                }
            )
        else:
            changed.append(
                {
                    "field": name,
                    "before": old,
                    "after": new,
                    "ops": _text_ops(str(old or ""), str(new or "")),
                }
            )
    return changed


def _proposed_state(change: KbChange, current: dict[str, Any] | None) -> dict[str, Any]:
    if change.action == "delete":
        return {**(current or {}), "active": False}
    state = {**(current or {}), **_editable(change.fields)}
    state["active"] = bool(change.fields.get("active", True))
    return state


def shown(session: Session, change: KbChange) -> dict[str, Any]:
    """A change as reviewers see it: who, when, from which version, and the diff against
    the entry as it is now."""
    entry = _current(session, change.entry_key)
    current = snapshot(entry) if entry is not None else None
    return {
        "id": change.id,
        "key": change.entry_key,
        "action": change.action,
        "state": change.state,
        "proposed_by": change.proposed_by,
        "proposed_at": change.proposed_at.isoformat(),
        "base_version": change.base_version,
        "current_version": entry.version if entry is not None else None,
        "stale": entry is not None
        and change.base_version is not None
        and entry.version != change.base_version,
        "reviewed_by": change.reviewed_by,
        "reviewed_at": change.reviewed_at.isoformat() if change.reviewed_at else None,
        "note": change.note,
        "to_version": change.fields.get("to_version"),
        "question_zh": change.fields.get("question_zh") or (current or {}).get("question_zh"),
        "diff": diff(current, _proposed_state(change, current))
        if change.state == "pending"
        else [],
    }


def listing(db: Database, state: str = "pending", key: str | None = None) -> list[dict[str, Any]]:
    with db.session() as session:
        query = select(KbChange).where(KbChange.state == state).order_by(KbChange.id.desc())
        if key is not None:
            query = query.where(KbChange.entry_key == key)
        return [shown(session, change) for change in session.scalars(query.limit(200))]


def one(db: Database, change_id: int) -> dict[str, Any]:
    with db.session() as session:
        change = session.get(KbChange, change_id)
        if change is None:
            raise LookupError(change_id)
        return shown(session, change)


def between_versions(db: Database, key: str, older: int, newer: int) -> list[dict[str, Any]]:
    """What changed from version ``older`` to version ``newer`` of an entry."""
    with db.session() as session:
        entry = _current(session, key)
        if entry is None:
            raise LookupError(key)
        found = {
            v.version: v.snapshot
            for v in session.scalars(
                select(KbVersion).where(
                    KbVersion.entry_id == entry.id, KbVersion.version.in_((older, newer))
                )
            )
        }
    if older not in found or newer not in found:
        raise LookupError(f"{key} v{older}..v{newer}")
    return diff(found[older], found[newer])
