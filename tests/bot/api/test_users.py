"""People, teams and API tokens through the API: an administrator creates an account
(a temporary password that must be changed), edits it, disables it (its sessions and
tokens are refused at their next call), resets a password (sessions end, a change is
forced), keeps teams as records and manages tokens; everything audited."""

from __future__ import annotations

from sqlalchemy import select
from starlette.testclient import TestClient

from bot.core.db import Database
from bot.core.models import AuditEntry, User
from bot.web.app import create_app
from tests.bot.api.conftest import ADMIN_PW
from tests.helpers import sign_in


def _actions(db: Database, object_id: str) -> list[str]:
    with db.session() as session:
        return list(
            session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.object_id == object_id)
                .order_by(AuditEntry.id)
            )
        )


def test_a_new_account_must_choose_its_own_password(settings, admin, desk_db) -> None:
    assert admin.put(
        "/api/v1/teams/cards", json={"title_zh": "信用卡组", "title_en": "Cards"}
    ).json() == {
        "created": False  # made from the users' teams by the migration (or on the fly)
    }
    refused = admin.post(
        "/api/v1/users", json={"name": "qian.d", "role": "agent", "team": "nowhere"}
    )
    assert refused.status_code == 422 and "nowhere" in refused.json()["detail"]
    bad_skill = admin.post(
        "/api/v1/users", json={"name": "qian.d", "role": "agent", "skills": ["cooking"]}
    )
    assert bad_skill.status_code == 422
    made = admin.post(
        "/api/v1/users",
        json={
            "name": "qian.d",
            "role": "agent",
            "team": "cards",
            "skills": ["complaint", "vip"],
            "capacity": 4,
            "display_name": "小钱",
            "staff_number": "2048",
        },
    )
    assert made.status_code == 201
    temporary = made.json()["password"]
    listed = {p["name"]: p for p in admin.get("/api/v1/users").json()}
    assert listed["qian.d"]["must_change_password"] is True
    assert listed["qian.d"]["skills"] == ["complaint", "vip"] and listed["qian.d"]["capacity"] == 4

    with TestClient(create_app(settings)) as newcomer:
        first = sign_in(newcomer, "qian.d", temporary)
        assert first.status_code == 409 and first.json()["detail"]["must_change_password"]
        assert newcomer.get("/api/v1/desk/me").status_code == 401  # no session was opened
        short = newcomer.post(
            "/console/api/password",
            json={"name": "qian.d", "password": temporary, "new_password": "short"},
        )
        assert short.status_code == 422
        wrong = newcomer.post(
            "/console/api/password",
            json={"name": "qian.d", "password": "nope", "new_password": "a-long-new-secret"},
        )
        assert wrong.status_code == 401
        changed = newcomer.post(
            "/console/api/password",
            json={"name": "qian.d", "password": temporary, "new_password": "a-long-new-secret"},
        )
        assert changed.status_code == 200 and changed.json()["role"] == "agent"
        assert newcomer.get("/api/v1/desk/me").json()["team"] == "cards"
    with TestClient(create_app(settings)) as later:
        assert sign_in(later, "qian.d", temporary).status_code == 401

    edited = admin.patch("/api/v1/users/qian.d", json={"role": "supervisor", "capacity": 2})
    assert edited.json() == {"changed": ["capacity", "role"]}
    assert admin.patch("/api/v1/users/qian.d", json={"team": "nowhere"}).status_code == 422
    assert admin.patch("/api/v1/users/nobody", json={"capacity": 2}).status_code == 404
    assert _actions(desk_db, "qian.d")[:1] == ["user.create"]
    assert "user.update" in _actions(desk_db, "qian.d")
    assert "password.change" in _actions(desk_db, "qian.d")


def test_disabling_stops_sessions_and_tokens_at_once(settings, admin, person, desk_db) -> None:
    agent = person("wang.a")
    assert agent.get("/api/v1/desk/me").status_code == 200
    made = admin.post(
        "/api/v1/tokens",
        json={"name": "wang-crm", "scopes": ["tickets:read"], "owner": "wang.a", "days": 30},
    )
    assert made.status_code == 201
    token = made.json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert agent.get("/api/v1/tickets", headers=bearer).status_code == 200
    listed = {t["name"]: t for t in admin.get("/api/v1/tokens").json()["tokens"]}
    assert listed["wang-crm"]["state"] == "active" and listed["wang-crm"]["last_used_at"]
    assert token not in str(listed)

    done = admin.post("/api/v1/users/wang.a/disable").json()
    assert done["sessions_ended"] == 1 and done["tokens_revoked"] == ["wang-crm"]
    assert agent.get("/api/v1/desk/me").status_code == 401
    assert agent.get("/console/api/queue").status_code == 401
    with TestClient(create_app(settings)) as other:
        assert other.get("/api/v1/tickets", headers=bearer).status_code == 401
        again = sign_in(other, "wang.a", "pw-wang-a-123")
        assert again.status_code == 403 and "停用" in again.json()["detail"]
    assert "wang.a" not in [p["name"] for p in admin.get("/api/v1/desk/staff").json()]
    assert admin.post("/api/v1/users/root.admin/disable").status_code == 422  # not oneself

    assert admin.post("/api/v1/users/wang.a/enable").status_code == 200
    with TestClient(create_app(settings)) as later:
        assert sign_in(later, "wang.a", "pw-wang-a-123").status_code == 200
    assert _actions(desk_db, "wang.a")[-4:-1] == ["user.disable", "login_disabled", "user.enable"]


def test_a_reset_password_ends_sessions_and_forces_a_change(
    settings, admin, person, desk_db
) -> None:
    agent = person("li.b")
    reset = admin.post("/api/v1/users/li.b/password-reset")
    assert reset.status_code == 200
    assert agent.get("/api/v1/desk/me").status_code == 401
    with TestClient(create_app(settings)) as fresh:
        assert sign_in(fresh, "li.b", "pw-li-b-1234").status_code == 401
        assert sign_in(fresh, "li.b", reset.json()["password"]).status_code == 409
    with desk_db.session() as session:
        assert session.scalar(select(User.must_change_password).where(User.name == "li.b"))
    assert "user.password_reset" in _actions(desk_db, "li.b")


def test_only_admins_manage_people_and_the_last_admin_stays(admin, person, desk_db) -> None:
    sup = person("sun.sup")
    assert sup.get("/api/v1/users").status_code == 403
    assert sup.post("/api/v1/users/wang.a/disable").status_code == 403
    assert sup.get("/api/v1/tokens").status_code == 403
    assert sup.get("/api/v1/teams").status_code == 200  # the titles, for every screen
    demoted = admin.patch("/api/v1/users/root.admin", json={"role": "agent"})
    assert demoted.status_code == 422 and "管理员" in demoted.json()["detail"]


def test_teams_are_records(admin, desk_db) -> None:
    assert admin.put(
        "/api/v1/teams/wealth", json={"title_zh": "理财组", "title_en": "Wealth"}
    ).json() == {"created": True}
    assert (
        admin.put("/api/v1/teams/bad name", json={"title_zh": "x", "title_en": "x"}).status_code
        == 422
    )
    teams = {t["name"]: t for t in admin.get("/api/v1/teams").json()}
    assert teams["wealth"]["title_zh"] == "理财组" and teams["cards"]["members"] == 2
    busy = admin.delete("/api/v1/teams/cards")
    assert busy.status_code == 422 and "2" in busy.json()["detail"]
    assert admin.delete("/api/v1/teams/wealth").status_code == 200
    assert admin.delete("/api/v1/teams/wealth").status_code == 404
    assert _actions(desk_db, "wealth") == ["team.create", "team.delete"]


def test_tokens_are_made_listed_and_revoked(admin, desk_db, settings) -> None:
    bad = admin.post("/api/v1/tokens", json={"name": "x", "scopes": ["everything"]})
    assert bad.status_code == 422
    made = admin.post("/api/v1/tokens", json={"name": "report-bot", "scopes": ["reports:read"]})
    token = made.json()["token"]
    assert (
        admin.post(
            "/api/v1/tokens", json={"name": "report-bot", "scopes": ["reports:read"]}
        ).status_code
        == 422
    )
    assert admin.post("/api/v1/tokens/report-bot/revoke").status_code == 200
    assert admin.post("/api/v1/tokens/report-bot/revoke").status_code == 404
    listed = {t["name"]: t for t in admin.get("/api/v1/tokens").json()["tokens"]}
    assert listed["report-bot"]["state"] == "revoked"
    with TestClient(create_app(settings)) as other:
        assert (
            other.get("/api/v1/targets", headers={"Authorization": f"Bearer {token}"}).status_code
            == 401
        )
    assert _actions(desk_db, "report-bot")[:2] == ["token.create", "token.revoke"]


def test_the_command_lines_other_jobs_are_in_the_app(settings, admin, desk_db) -> None:
    """The starter knowledge base (proposed for review with four-eyes) and the Telegram
    webhook, from an administrator's session as from ``python -m bot``."""
    from bot.core.models import KbChange, KbEntry
    from fakes.providers import FakeTelegram

    loaded = admin.post("/api/v1/kb/starter").json()
    assert "balance_check" in loaded["proposed"] and len(loaded["proposed"]) > 100
    with desk_db.session() as session:
        waiting = set(session.scalars(select(KbChange.entry_key)))
        live = set(session.scalars(select(KbEntry.key)))
    assert waiting == set(loaded["proposed"]) and not waiting & live  # none live before review
    assert admin.post("/api/v1/channels/telegram/webhook").status_code == 422  # not set up

    fake = FakeTelegram()
    try:
        configured = settings.model_copy(
            update={
                "telegram_bot_token": "123:abc",
                "telegram_secret_token": "s3cret-token",
                "telegram_api_base_url": fake.url,
                "public_url": "https://bank.example",
            }
        )
        with TestClient(create_app(configured)) as client:
            assert sign_in(client, "root.admin", ADMIN_PW).status_code == 200
            done = client.post("/api/v1/channels/telegram/webhook")
            assert done.json() == {"webhook": "https://bank.example/webhooks/telegram"}
        [call] = fake.calls("/bot123:abc/setWebhook")
        assert call.form()["secret_token"] == "s3cret-token"
    finally:
        fake.stop()
    assert {"kb.starter", "channel.telegram_webhook"} <= set(
        a for a in _actions(desk_db, "starter") + _actions(desk_db, "telegram")
    )
