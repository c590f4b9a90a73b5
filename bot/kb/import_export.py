"""Knowledge-base import and export as CSV (UTF-8 with BOM, so Excel shows Chinese)
or XLSX. One row per entry; similar questions are one per line inside their cell.

An import is checked whole before anything is written: any bad row refuses the file
with every problem listed by row number, so a file is applied entirely or not at all.
Rows whose key exists update that entry (a new version, action ``import``); rows
identical to the entry are left alone. Cells that a spreadsheet would run as a formula
(starting with = + - @) are exported with a leading apostrophe, and read back without.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from openpyxl import load_workbook
from pydantic import ValidationError
from sqlalchemy import select

from bot.core.db import Database
from bot.core.models import KbEntry
from bot.kb import changes
from bot.kb.store import EDITABLE, KbError, NewEntry, create_in, snapshot, update_in

COLUMNS = (
    "key",
    "category",
    "question_zh",
    "question_en",
    "similar_zh",
    "similar_en",
    "answer_zh",
    "answer_en",
    "valid_from",
    "valid_to",
    "owner",
)
LISTS = ("similar_zh", "similar_en")
FORMULA_START = ("=", "+", "-", "@")
MAX_ROWS = 5000


class ImportRefused(KbError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems[:20]))
        self.problems = problems


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    proposed: list[int] = field(default_factory=list)  # changes waiting for review


def _safe(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def _unsafe(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_START) else value


def rows(db: Database) -> list[list[str]]:
    """Every entry in force as export rows (COLUMNS), formula cells escaped."""
    with db.session() as session:
        entries = session.scalars(
            select(KbEntry).where(KbEntry.active.is_(True)).order_by(KbEntry.category, KbEntry.key)
        )
        rows = []
        for entry in entries:
            data = snapshot(entry)
            row = []
            for column in COLUMNS:
                value = data.get(column)
                if isinstance(value, list):
                    text = "\n".join(value)
                else:
                    text = "" if value is None else str(value)
                row.append(_safe(str(text)))
            rows.append(row)
        return rows


def read_csv(data: bytes) -> list[dict[str, str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRefused(["the file is not UTF-8 / 文件不是 UTF-8 编码"]) from exc
    try:
        return [dict(row) for row in csv.DictReader(io.StringIO(text, newline=""))]
    except csv.Error as exc:
        raise ImportRefused([f"not a readable CSV file / 无法读取的 CSV 文件: {exc}"]) from exc


def read_xlsx(data: bytes) -> list[dict[str, str]]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a bad file
        raise ImportRefused(["not a readable XLSX file / 无法读取的 XLSX 文件"]) from exc
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    if not rows:
        return []
    header = [str(h or "").strip() for h in rows[0]]
    return [
        {header[i]: "" if v is None else str(v) for i, v in enumerate(row) if i < len(header)}
        for row in rows[1:]
        if any(v not in (None, "") for v in row)
    ]


def _parse(rows: list[dict[str, str]]) -> list[NewEntry]:
    if not rows:
        raise ImportRefused(["the file has no rows / 文件没有数据行"])
    if len(rows) > MAX_ROWS:
        raise ImportRefused([f"more than {MAX_ROWS} rows / 超过 {MAX_ROWS} 行"])
    missing = [
        c
        for c in ("key", "question_zh", "question_en", "answer_zh", "answer_en")
        if c not in rows[0]
    ]
    if missing:
        raise ImportRefused([f"missing columns: {', '.join(missing)} / 缺少列"])
    problems: list[str] = []
    entries: list[NewEntry] = []
    seen: set[str] = set()
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        values: dict[str, Any] = {}
        for column in COLUMNS:
            raw = _unsafe((row.get(column) or "").strip())
            if column in LISTS:
                values[column] = [q for q in raw.splitlines() if q.strip()]
            elif raw or column in ("key",):
                values[column] = raw
        try:
            entry = NewEntry.model_validate(values)
        except ValidationError as exc:
            for error in exc.errors():
                where = ".".join(str(p) for p in error["loc"]) or "row"
                problems.append(f"row {number}: {where}: {error['msg']}")
            continue
        if entry.key in seen:
            problems.append(f"row {number}: key {entry.key!r} appears twice / 键重复")
        seen.add(entry.key)
        entries.append(entry)
    if problems:
        raise ImportRefused(problems)
    return entries


def import_rows(
    db: Database, rows: list[dict[str, str]], actor: str, *, propose: bool = False
) -> ImportResult:
    """Apply the rows (all or none); with ``propose``, each new or changed entry becomes
    a change waiting for a second person instead (``bot.kb.changes``)."""
    entries = _parse(rows)
    result = ImportResult()
    with db.session() as session:
        for new in entries:
            existing = session.scalar(select(KbEntry).where(KbEntry.key == new.key))
            if existing is not None:
                now = snapshot(existing)
                wanted = new.model_dump(mode="json")
                if existing.active and all(now[k] == wanted[k] for k in EDITABLE):
                    result.unchanged.append(new.key)
                    continue
            if propose:
                action, base = (
                    ("create", None) if existing is None else ("update", existing.version)
                )
                proposal = changes.Proposal(action, new.key, changes.fields_of(new), base)
                result.proposed.append(changes.propose_in(session, proposal, actor).id)
            elif existing is None:
                changes.refuse_forbidden(session, changes.fields_of(new))
                create_in(session, new, actor, action="import")
            else:
                changes.refuse_forbidden(session, changes.fields_of(new))
                update_in(session, new.key, new, actor, None, action="import")
            (result.created if existing is None else result.updated).append(new.key)
    return result
