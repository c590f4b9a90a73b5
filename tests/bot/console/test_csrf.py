"""CSRF: a state-changing request riding on the console's session cookie needs the
token the sign-in set; API tokens and reads are not affected."""

from __future__ import annotations

from bot.access.tokens import create_token
from bot.core.db import Database
from tests.helpers import sign_in


def test_cookie_requests_that_change_something_need_the_token(customer, settings) -> None:
    signed = sign_in(customer, "li.na", "pw-li-na-123")
    assert signed.status_code == 200
    cookies = signed.headers.get_list("set-cookie")
    csrf_cookie = next(c for c in cookies if c.startswith("anxin_csrf="))
    assert "samesite=strict" in csrf_cookie.lower() and "httponly" not in csrf_cookie.lower()
    token = customer.headers.pop("X-CSRF-Token")
    assert customer.get("/console/api/queue").status_code == 200  # reads need no token
    forged = customer.post("/console/api/status", json={"status": "away"})
    assert forged.status_code == 403 and "CSRF" in forged.json()["detail"]
    wrong = customer.post(
        "/console/api/status", json={"status": "away"}, headers={"X-CSRF-Token": "x" + token}
    )
    assert wrong.status_code == 403
    right = customer.post(
        "/console/api/status", json={"status": "away"}, headers={"X-CSRF-Token": token}
    )
    assert right.status_code != 403, right.text


def test_api_tokens_do_not_use_the_cookie_and_are_not_affected(customer, settings) -> None:
    db = Database(settings.database_url)
    token = create_token(db, "csrf-check", ["kb:read"])
    db.dispose()
    sign_in(customer, "li.na", "pw-li-na-123")
    customer.headers.pop("X-CSRF-Token")
    made = customer.post(
        "/api/v1/kb/try",
        json={"text": "网银密码忘了"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert made.status_code == 200


def test_finding_7_the_token_is_bound_to_the_session(customer) -> None:
    """Security finding 7: an attacker-chosen cookie with the same header was accepted,
    and any Authorization header (``Basic x``) skipped the check."""
    assert sign_in(customer, "li.na", "pw-li-na-123").status_code == 200
    customer.headers.pop("X-CSRF-Token")
    customer.cookies.set("anxin_csrf", "attacker-chosen")
    planted = customer.post(
        "/console/api/status", json={"status": "away"}, headers={"X-CSRF-Token": "attacker-chosen"}
    )
    assert planted.status_code == 403
    basic = customer.post(
        "/console/api/status", json={"status": "away"}, headers={"Authorization": "Basic eDp4"}
    )
    assert basic.status_code == 403
    # A bearer request skips the check, and then the session cookie is not used at all.
    bearer = customer.post(
        "/console/api/status", json={"status": "away"}, headers={"Authorization": "Bearer junk"}
    )
    assert bearer.status_code == 401
