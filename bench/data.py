"""Reading the benchmark CSV files and printing the result line shared by every bench."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any


def read_rows(path: str | Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return [
            {k.strip(): (v or "").strip() for k, v in row.items() if k}
            for row in csv.DictReader(handle)
        ]


def write_rows(path: str | Path, fields: list[str], rows: list[dict[str, Any]]) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def label_column(rows: list[dict[str, str]]) -> str:
    for name in ("intent", "category", "label"):
        if rows and name in rows[0]:
            return name
    raise SystemExit("the CSV needs a 'text' column and an 'intent' or 'category' column")


def finish(result: dict[str, Any]) -> None:
    """Rounded figures; the last line printed is the one JSON object."""
    print(json.dumps(_rounded(result), ensure_ascii=False))


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value
