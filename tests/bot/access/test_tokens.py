"""API tokens (security finding 4): scopes, owner, expiry, last use, revocation; every
use and every refusal in the audit trail. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from bot.access.tokens import (
    SCOPES,
    Refused,
    TokenError,
    authenticate,
    create_token,
    list_tokens,
    revoke_token,
)
from bot.cli import main
from bot.core.migrate import upgrade
from bot.core.models import ApiToken, AuditEntry, utcnow
from bot.web.app import create_app
from tests.conftest import schema_reset
from tests.helpers import app_routes

ENTRY = {
    "key": "token_test",
    "category": "cards",
    "question_zh": "新卡怎么激活？",
    "question_en": "How do I activate a new card?",
    "answer_zh": "在手机银行「卡片管理」中点击「激活」。",
    "answer_en": "Open Card Management in the app and tap Activate.",
    "owner": "cards-team",
}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _audit(db, **where: str) -> list[AuditEntry]:
    with db.session() as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        for column, value in where.items():
            query = query.where(getattr(AuditEntry, column) == value)
        return list(session.scalars(query))


def test_finding_4_a_tickets_read_token_cannot_write_the_knowledge_base(customer, app_db) -> None:
    token = create_token(app_db, "reader", ["tickets:read"], owner="li.na")
    assert customer.get("/api/v1/tickets", headers=_bearer(token)).status_code == 200
    refused = customer.post("/api/v1/kb", json=ENTRY, headers=_bearer(token))
    assert refused.status_code == 403 and "kb:write" in refused.json()["detail"]
    assert customer.get("/api/v1/kb", headers=_bearer(token)).status_code == 403
    assert customer.get("/api/v1/audit", headers=_bearer(token)).status_code == 403
    denied = _audit(app_db, actor="reader", action="denied")
    assert [e.detail for e in denied][:1] == ["needs kb:write · POST /api/v1/kb"]
    used = _audit(app_db, actor="reader", action="token.use")
    assert "GET /api/v1/tickets" in [e.detail for e in used]  # every use is recorded
    writer = create_token(app_db, "kb-writer", ["kb:read", "kb:write"])
    proposed = customer.post("/api/v1/kb", json=ENTRY, headers=_bearer(writer))
    assert proposed.status_code == 202  # it waits for a second person


def test_finding_4_a_revoked_token_is_refused_on_its_next_call(customer, app_db, cli_db) -> None:
    token = create_token(app_db, "reporting", ["reports:read"])
    assert customer.get("/api/v1/figures", headers=_bearer(token)).status_code == 200
    assert main(["token", "revoke", "reporting"]) == 0
    assert main(["token", "revoke", "reporting"]) == 2  # once
    refused = customer.get("/api/v1/figures", headers=_bearer(token))
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == "Bearer"
    [revoked] = _audit(app_db, action="token.revoke")
    assert revoked.object_id == "reporting" and revoked.actor.startswith("cli:")
    [denied] = _audit(app_db, actor="reporting", action="denied")
    assert denied.detail == "revoked · GET /api/v1/figures"
    unknown = customer.get("/api/v1/figures", headers=_bearer("not-a-token"))
    assert unknown.status_code == 401
    assert _audit(app_db, actor="anonymous", action="denied")[0].detail.startswith("unknown")


def test_expired_tokens_are_refused_and_last_use_is_kept(app_db) -> None:
    token = create_token(app_db, "short", ["kb:read"], days=1)
    holder = authenticate(app_db, token)
    assert holder.name == "short" and holder.allows("kb:read") and not holder.allows("kb:write")
    [info] = list_tokens(app_db)
    assert info.last_used_at is not None and info.state(utcnow()) == "active"
    with app_db.session() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.name == "short"))
        row.expires_at = utcnow() - timedelta(seconds=1)
    with pytest.raises(Refused) as refused:
        authenticate(app_db, token)
    assert refused.value.reason == "expired" and refused.value.name == "short"
    assert revoke_token(app_db, "short") and not revoke_token(app_db, "nobody")


def test_admin_holds_every_scope_and_scopes_are_checked(app_db) -> None:
    admin = authenticate(app_db, create_token(app_db, "root", ["admin"]))
    assert all(admin.allows(scope) for scope in SCOPES)
    for bad in ([], ["tickets:delete"], ["admin, nonsense"]):
        with pytest.raises(TokenError):
            create_token(app_db, "bad", bad)
    with pytest.raises(TokenError):
        create_token(app_db, "forever", ["kb:read"], days=10_000)


def test_every_public_api_route_declares_a_scope(settings) -> None:
    app = create_app(settings)
    unscoped, checked = [], 0
    for route in app_routes(app):
        if not route.path.startswith("/api/v1/") or route.path.startswith("/api/v1/docs"):
            continue
        if route.path == "/api/v1/openapi.json":
            continue
        if route.path.startswith("/api/v1/internal/"):
            continue  # the service token's
        scopes = [getattr(d.dependency, "scope", None) for d in route.dependencies]
        checked += 1
        if not [s for s in scopes if s in SCOPES]:
            unscoped.append(f"{sorted(route.methods)} {route.path}")
    assert unscoped == [] and checked >= 45


def test_cli_creates_lists_and_revokes(cli_db, capsys) -> None:
    assert main(["token", "create", "etl", "--scope", "tickets:read,reports:read"]) == 0
    out = capsys.readouterr().out
    token = out.rsplit(": ", 1)[1].strip()
    assert "tickets:read reports:read" in out and "90 days" in out
    assert main(["token", "create", "bad", "--scope", "everything"]) == 2
    assert "unknown scope" in capsys.readouterr().err
    assert main(["token", "create", "etl", "--scope", "kb:read"]) == 2  # the name is taken
    capsys.readouterr()
    authenticate(cli_db, token)
    assert main(["token", "list"]) == 0
    listing = capsys.readouterr().out
    assert "etl" in listing and "active" in listing and token not in listing
    assert main(["token", "revoke", "etl"]) == 0
    assert main(["token", "list"]) == 0
    assert "revoked" in capsys.readouterr().out
    created = _audit(cli_db, action="token.create")
    assert created[0].detail.startswith("scopes=tickets:read reports:read")


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_tokens_made_before_scopes_become_admin_for_90_days(kind, tmp_path, request) -> None:
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = request.getfixturevalue("pg_server")
        schema_reset(url)
    upgrade(url, "0015")
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO api_tokens (name, token_hash, created_at) "
                "VALUES ('old-tool', :hash, :at)"
            ),
            {"hash": "a" * 64, "at": utcnow()},
        )
    engine.dispose()
    upgrade(url)
    from bot.core.db import Database

    db = Database(url)
    try:
        [old] = list_tokens(db)
        assert old.legacy and old.scopes == ("admin",)
        assert old.expires_at is not None
        left = old.expires_at - utcnow()
        assert timedelta(days=89) < left <= timedelta(days=90)
    finally:
        db.dispose()


def test_auditors_read_the_trail_and_the_reading_is_recorded(customer, app_db) -> None:
    auditor = create_token(app_db, "auditor", ["audit:read"])
    reader = create_token(app_db, "reader-2", ["tickets:read"])
    customer.get("/api/v1/tickets", headers=_bearer(reader))
    found = customer.get(
        "/api/v1/audit", params={"actor": "reader-2", "limit": 5}, headers=_bearer(auditor)
    )
    assert found.status_code == 200
    entries = found.json()
    assert entries and {e["actor"] for e in entries} == {"reader-2"}
    assert entries == sorted(entries, key=lambda e: -e["id"])  # newest first
    older = customer.get(
        "/api/v1/audit", params={"before_id": entries[-1]["id"]}, headers=_bearer(auditor)
    ).json()
    assert all(e["id"] < entries[-1]["id"] for e in older)
    assert [e.action for e in _audit(app_db, object_type="audit_log")] == ["search", "search"]
    assert (
        customer.get("/api/v1/audit", params={"limit": 501}, headers=_bearer(auditor)).status_code
        == 422
    )
