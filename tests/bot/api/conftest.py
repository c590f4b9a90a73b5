"""Staff of the desk's tests: two agents of the cards team, one of loans, a supervisor;
``person(name)`` is one of them signed in to an app of their own."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from starlette.testclient import TestClient

from bot.access.accounts import add_user
from bot.core.config import Settings
from bot.core.db import Database
from bot.web.app import create_app
from tests.helpers import sign_in

PASSWORDS = {
    "wang.a": "pw-wang-a-123",
    "li.b": "pw-li-b-1234",
    "zhao.c": "pw-zhao-c-123",
    "sun.sup": "pw-sun-sup-123",
}
TEAMS = {"wang.a": "cards", "li.b": "cards", "zhao.c": "loans", "sun.sup": None}


@pytest.fixture
def desk_db(settings: Settings) -> Iterator[Database]:
    database = Database(settings.database_url)
    for name, password in PASSWORDS.items():
        role = "supervisor" if name == "sun.sup" else "agent"
        add_user(database, name, role, password, team=TEAMS[name])
    yield database
    database.dispose()


@pytest.fixture
def person(settings: Settings, desk_db: Database) -> Iterator[Callable[[str], TestClient]]:
    """A signed-in member of staff (one app each, all stopped at the end)."""
    clients: list[TestClient] = []

    def sign(name: str) -> TestClient:
        client = TestClient(create_app(settings))
        client.__enter__()
        clients.append(client)
        assert sign_in(client, name, PASSWORDS[name]).status_code == 200
        return client

    yield sign
    for client in clients:
        client.__exit__(None, None, None)


ADMIN_PW = "pw-admin-1234567"


@pytest.fixture
def admin(settings: Settings, desk_db: Database, person: object) -> Iterator[TestClient]:
    """root.admin, an administrator, signed in to an app of their own."""
    add_user(desk_db, "root.admin", "admin", ADMIN_PW)
    client = TestClient(create_app(settings))
    client.__enter__()
    assert sign_in(client, "root.admin", ADMIN_PW).status_code == 200
    yield client
    client.__exit__(None, None, None)
