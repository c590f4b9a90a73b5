"""Sign-in throttling and the security headers on the console and web chat."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.models import AuditEntry


def _login(client, name: str, password: str):
    return client.post("/console/api/login", json={"name": name, "password": password})


def test_five_wrong_passwords_lock_the_account(customer, app_db) -> None:
    for _ in range(5):
        assert _login(customer, "li.na", "wrong").status_code == 401
    locked = _login(customer, "li.na", "pw-li-na-123")  # even the right one, for now
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 800
    assert "分钟" in locked.json()["detail"]
    assert _login(customer, "wang.wei", "pw-wang-wei-123").status_code == 200  # others unaffected
    with app_db.session() as s:
        actions = [
            e.action for e in s.scalars(select(AuditEntry).where(AuditEntry.actor == "li.na"))
        ]
    assert actions.count("login_failed") == 5 and "login_locked" in actions


def test_a_right_password_clears_the_count(customer) -> None:
    for _ in range(4):
        _login(customer, "li.na", "wrong")
    assert _login(customer, "li.na", "pw-li-na-123").status_code == 200
    for _ in range(4):
        assert _login(customer, "li.na", "wrong").status_code == 401  # counting from zero again


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
