"""Time arithmetic inside SQL on both backends: the seconds between two timestamps.

PostgreSQL subtracts timestamps into an interval (``EXTRACT(EPOCH FROM b - a)``); SQLite
stores them as text and counts days with ``julianday``. Reports aggregate with it in the
database instead of reading every row into Python.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, bindparam
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.functions import FunctionElement

from bot.core.models.base import UTCDateTime


class seconds_between(FunctionElement[float]):
    """``seconds_between(a, b)``: b - a in seconds (negative when b is earlier)."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between)
def _postgresql(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    a, b = (compiler.process(c, **kw) for c in element.clauses)
    return f"EXTRACT(EPOCH FROM ({b} - {a}))"


@compiles(seconds_between, "sqlite")
def _sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    a, b = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({b}) - julianday({a})) * 86400.0)"


def moment(name: str, value: datetime) -> BindParameter[datetime]:
    """A timestamp parameter stored the way the columns are (UTC on both backends)."""
    return bindparam(name, value, type_=UTCDateTime())
