import pytest

from bot.db import normalise_url


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
