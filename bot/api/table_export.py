"""A table as a download: CSV (UTF-8 with BOM, so Excel shows Chinese) or XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


def to_csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def _xlsx_safe(value: Any) -> Any:
    """Control characters cannot be stored in a worksheet: they are dropped."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def to_xlsx(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    sheet.append(list(header))
    for row in rows:
        sheet.append([_xlsx_safe(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def download(
    name: str, header: Sequence[str], rows: Sequence[Sequence[Any]], format: str
) -> tuple[bytes, str, dict[str, str]]:
    """(body, media type, headers) for a ``format`` (csv or xlsx) download."""
    if format == "xlsx":
        data, kind = to_xlsx(name, header, rows), XLSX_TYPE
    else:
        data, kind = to_csv(header, rows), CSV_TYPE
    return data, kind, {"Content-Disposition": f'attachment; filename="{name}.{format}"'}
