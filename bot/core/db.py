"""Database engine and sessions. Accepts plain URLs and picks the drivers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")


def normalise_url(url: str) -> str:
    """Map ``sqlite:///x.db`` and ``postgresql://...`` onto the drivers we ship."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        parsed = parsed.set(drivername="sqlite+pysqlite")
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
    elif backend in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    else:
        raise ValueError(
            f"unsupported DATABASE_URL backend: {backend!r} (use sqlite or postgresql)"
        )
    return parsed.render_as_string(hide_password=False)


# Up to 30 connections, kept open: a connection made and dropped per burst costs more
# than the query (for SQLite, a tenth of the web process's CPU under a burst of webhooks,
# measured with py-spy: connect plus the pragmas, for every request past the fifth).
# The anyio thread pool runs at most 40 database calls at once.
_POOL: dict[str, Any] = {"pool_size": 15, "max_overflow": 15}


SQLITE_BUSY_TIMEOUT_S = 30.0  # how long a statement waits for another's write lock


def make_engine(url: str, synchronous: str = "FULL") -> Engine:
    """``synchronous`` (SQLite): FULL syncs every commit to disk (the write-ahead log),
    so a message acknowledged to its provider survives a power cut, not only a crash;
    NORMAL syncs only at checkpoints, or when a FULL commit syncs the log after it."""
    if synchronous not in ("FULL", "NORMAL"):
        raise ValueError(f"synchronous must be FULL or NORMAL, not {synchronous!r}")
    normalised = normalise_url(url)
    if normalised.startswith("sqlite"):
        in_memory = make_url(normalised).database in (None, "", ":memory:")
        engine = create_engine(
            normalised,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
            **({} if in_memory else _POOL),  # one shared connection in memory
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA synchronous={synchronous}")  # group commit: one per batch
            cursor.close()

        return engine
    return create_engine(normalised, pool_pre_ping=True, **_POOL)


def upsert(session: Session, model: type[T], keys: dict[str, Any], values: dict[str, Any]) -> T:
    """Find the row with ``keys`` and set ``values`` on it, or add a new one."""
    query = select(model).filter_by(**keys)
    row = session.scalar(query)
    if row is None:
        row = model(**keys, **values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    return row


def upsert_described(
    session: Session, model: type[Any], keys: dict[str, Any], values: dict[str, Any]
) -> str:
    """``upsert`` under a row lock, and what it changed in words, for the audit trail:
    "resolution_minutes 240 → 180", or "new: …"."""
    row = session.scalar(select(model).filter_by(**keys).with_for_update())
    before = {name: getattr(row, name) for name in values} if row is not None else None
    upsert(session, model, keys, values)
    if before is None:
        return "new: " + ", ".join(f"{k}={v}" for k, v in values.items())
    changed = [f"{k} {before[k]} → {v}" for k, v in values.items() if before[k] != v]
    return "; ".join(changed) or "unchanged"


class Database:
    """Owns one engine and hands out sessions."""

    def __init__(self, url: str, synchronous: str = "FULL") -> None:
        self.url = url
        self.engine = make_engine(url, synchronous)
        self._factory = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        session = self._factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
