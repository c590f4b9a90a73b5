"""Sign-in throttling and the security headers on the console and web chat."""

from __future__ import annotations

import json
import time

import redis
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.access.accounts import add_user
from bot.cli import main
from bot.console.throttle import FREE_TRIES, delay_s
from bot.core.models import AuditEntry
from bot.web.app import create_app
from fakes.processes import wait_for


def _login(client, name: str, password: str):
    return client.post("/console/api/login", json={"name": name, "password": password})


def _from(settings, address: str) -> TestClient:
    """The app as seen from ``address`` (sharing the database and Redis)."""
    return TestClient(create_app(settings), client=(address, 50000))


def _actions(db, actor: str) -> list[str]:
    with db.session() as s:
        return [e.action for e in s.scalars(select(AuditEntry).where(AuditEntry.actor == actor))]


def test_finding_6_guessing_from_one_address_does_not_lock_the_owner_out(settings, app_db) -> None:
    with _from(settings, "203.0.113.7") as attacker, _from(settings, "10.1.2.3") as owner:
        for _ in range(FREE_TRIES):
            assert _login(attacker, "li.na", "wrong").status_code == 401
        slowed = _login(attacker, "li.na", "wrong")
        assert slowed.status_code == 429 and slowed.headers["Retry-After"] == "1"
        assert "秒" in slowed.json()["detail"]
        time.sleep(1.1)
        assert _login(attacker, "li.na", "wrong").status_code == 401  # the 4th try, after 1 s
        waits = _login(attacker, "li.na", "pw-li-na-123")  # even the right one, from there
        assert waits.status_code == 429 and 1 <= int(waits.headers["Retry-After"]) <= 2
        # The owner, at their own desk, signs in at once.
        assert _login(owner, "li.na", "pw-li-na-123").status_code == 200
    assert _actions(app_db, "li.na").count("login_failed") == FREE_TRIES + 1
    assert "login_locked" in _actions(app_db, "li.na")


def test_the_slow_down_doubles_and_is_capped() -> None:
    assert [delay_s(n) for n in range(1, 8)] == [0, 0, 1, 2, 4, 8, 16]
    assert delay_s(100) == 15 * 60


def test_a_right_password_clears_the_count(customer) -> None:
    for _ in range(FREE_TRIES - 1):
        _login(customer, "li.na", "wrong")
    assert _login(customer, "li.na", "pw-li-na-123").status_code == 200
    for _ in range(FREE_TRIES):
        assert _login(customer, "li.na", "wrong").status_code == 401  # counting from zero again


def test_finding_6_many_addresses_lock_the_account_alert_admins_and_an_admin_unlocks(
    settings, app_db, smtp_sink, cli_db
) -> None:
    config = settings.model_copy(
        update={
            "login_lock_at": 8,
            "security_emails": "security@bank.example",
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_sink.port,
        }
    )
    add_user(app_db, "root", "admin", "pw-root-admin-1")
    staff = redis.Redis.from_url(settings.redis_url).pubsub(ignore_subscribe_messages=True)
    staff.subscribe(f"{settings.redis_prefix}:staff")
    for n in range(4):  # a botnet: two tries from each of four addresses
        with _from(config, f"198.51.100.{n}") as bot:
            for _ in range(2):
                assert _login(bot, "wang.wei", "guess").status_code == 401
    with _from(config, "10.1.2.4") as owner:
        locked = _login(owner, "wang.wei", "pw-wang-wei-123")
        assert locked.status_code == 403 and "管理员" in locked.json()["detail"]
        notice = wait_for(lambda: staff.get_message(timeout=0.2), timeout=5)
        assert json.loads(notice["data"])["event"] == "account_locked"
        mail = wait_for(lambda: smtp_sink.messages, timeout=10)
        assert mail[0][0] == ["security@bank.example"] and "wang.wei" in mail[0][1]
        assert "account.locked" in _actions(app_db, "system")
        # An agent cannot unlock; an admin can, from the console session or the CLI.
        agent = _login(owner, "li.na", "pw-li-na-123")
        assert agent.status_code == 200
        csrf = {"X-CSRF-Token": owner.cookies.get("anxin_csrf")}
        assert owner.post("/api/v1/users/wang.wei/unlock", headers=csrf).status_code == 403
        assert _login(owner, "root", "pw-root-admin-1").status_code == 200
        csrf = {"X-CSRF-Token": owner.cookies.get("anxin_csrf")}
        assert owner.post("/api/v1/users/wang.wei/unlock", headers=csrf).status_code == 200
        assert owner.post("/api/v1/users/wang.wei/unlock", headers=csrf).status_code == 404
        assert _login(owner, "wang.wei", "pw-wang-wei-123").status_code == 200
    assert "account.unlock" in _actions(app_db, "root")
    staff.close()
    assert main(["user", "unlock", "wang.wei"]) == 2  # not locked any more


def test_security_headers(customer) -> None:
    console = customer.get("/console").headers
    assert (
        console["X-Frame-Options"] == "DENY"
        and "frame-ancestors 'none'" in console["Content-Security-Policy"]
    )
    assert (
        console["X-Content-Type-Options"] == "nosniff"
        and console["Referrer-Policy"] == "no-referrer"
    )
    chat = customer.get("/chat").headers
    assert (
        "X-Frame-Options" not in chat and "frame-ancestors" not in chat["Content-Security-Policy"]
    )
    assert "default-src 'self'" in chat["Content-Security-Policy"]
    api = customer.get("/healthz").headers
    assert api["X-Content-Type-Options"] == "nosniff" and "Content-Security-Policy" not in api


async def test_the_guard_counts_on_the_embedded_and_the_real_redis(redis_under_test) -> None:
    from redis.asyncio import Redis

    from bot.console.throttle import LoginGuard

    client = Redis.from_url(redis_under_test)
    guard = LoginGuard(client, f"t-{time.time_ns()}", lock_at=4)
    failures = [await guard.failed("li.na", f"10.0.0.{n}") for n in range(5)]
    assert [f.account_failures for f in failures] == [1, 2, 3, 4, 5]
    assert [f.lock for f in failures] == [False, False, False, True, False]  # once
    for _ in range(FREE_TRIES):
        await guard.failed("wang.wei", "10.9.9.9")
    assert await guard.wait_s("wang.wei", "10.9.9.9") == 1
    assert await guard.wait_s("wang.wei", "10.9.9.8") == 0
    await guard.succeeded("wang.wei", "10.9.9.9")
    assert await guard.wait_s("wang.wei", "10.9.9.9") == 0
    await client.aclose()
