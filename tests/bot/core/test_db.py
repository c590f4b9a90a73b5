import pytest

from bot.core.db import normalise_url


def test_plain_urls_get_our_drivers(tmp_path) -> None:
    assert normalise_url(f"sqlite:///{tmp_path}/x.db").startswith("sqlite+pysqlite:///")
    assert (
        normalise_url("postgresql://postgres@127.0.0.1:5432/test")
        == "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    assert normalise_url("postgres://u:p@h/db").startswith("postgresql+psycopg://u:p@h/db")


def test_sqlite_parent_directory_is_created(tmp_path) -> None:
    normalise_url(f"sqlite:///{tmp_path}/nested/dir/x.db")
    assert (tmp_path / "nested" / "dir").is_dir()


def test_unsupported_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        normalise_url("mysql://root@localhost/db")


def test_a_burst_reuses_sqlite_connections(tmp_path) -> None:
    """Fifteen sessions at once, twice: the second burst opens no new connection (past
    the fifth, SQLAlchemy's default pool opened and closed one per request)."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from sqlalchemy import event, text

    from bot.core.db import Database

    db = Database(f"sqlite:///{tmp_path / 'pool.db'}")
    opened = 0

    def count(*_: object) -> None:
        nonlocal opened
        opened += 1

    event.listen(db.engine, "connect", count)
    barrier = Barrier(15)

    def one(_: int) -> None:
        with db.session() as session:
            session.execute(text("select 1"))
            barrier.wait(timeout=10)  # all fifteen hold a connection at once

    with ThreadPoolExecutor(15) as pool:
        list(pool.map(one, range(15)))
        first = opened
        list(pool.map(one, range(15)))
    assert first == 15
    assert opened == first
    db.engine.dispose()


def test_sqlite_commits_are_synced_to_disk(tmp_path) -> None:
    """Acknowledged means stored: each commit waits for the disk (synchronous=FULL; 2),
    in write-ahead-log mode so readers do not wait for writers."""
    from sqlalchemy import text

    from bot.core.db import Database

    db = Database(f"sqlite:///{tmp_path / 'durable.db'}")
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    db.dispose()
    # A process that only runs the worker's loops may leave syncing to the next FULL
    # commit (its writes are made again from the inbox); nothing else is accepted.
    loops = Database(f"sqlite:///{tmp_path / 'durable.db'}", "NORMAL")
    with loops.engine.connect() as connection:
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 1
    loops.dispose()
    with pytest.raises(ValueError, match="FULL or NORMAL"):
        Database(f"sqlite:///{tmp_path / 'durable.db'}", "OFF")
