"""Tables for download: characters a worksheet cannot hold do not break the export."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from bot.api.table_export import to_xlsx


def test_control_characters_are_dropped_from_xlsx_cells() -> None:
    data = to_xlsx("kb", ["key", "question"], [["k1", "密码\x1b忘了\x00"], ["k2", 3]])
    sheet = load_workbook(io.BytesIO(data)).active
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["key", "question"],
        ["k1", "密码忘了"],
        ["k2", 3],
    ]
