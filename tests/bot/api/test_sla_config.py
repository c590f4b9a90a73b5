"""SLA settings, 回访 plans, VIPs and the audit check through the API, as an
administrator's app session: a policy edited changes the deadlines of new tickets and
not of open ones; bad settings are refused with a reason; every change is audited with
what it changed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.access.accounts import add_user
from bot.core.db import Database
from bot.core.models import AuditEntry, Ticket
from bot.web.app import create_app
from tests.helpers import seed_ticket, sign_in


@pytest.fixture
def admin(settings, desk_db: Database) -> TestClient:
    add_user(desk_db, "root.admin", "admin", "pw-admin-1234567")
    with TestClient(create_app(settings)) as client:
        assert sign_in(client, "root.admin", "pw-admin-1234567").status_code == 200
        yield client


def _deadline(db: Database, number: str) -> timedelta:
    with db.session() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        return ticket.first_response_due_at - ticket.created_at


def _details(db: Database, action: str) -> list[str]:
    with db.session() as session:
        return list(
            session.scalars(
                select(AuditEntry.detail).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


def test_a_policy_edited_changes_new_tickets_only(admin, desk_db) -> None:
    before = seed_ticket(desk_db, "v-old", "想问问理财产品", category="inquiry")
    assert _deadline(desk_db, before) == timedelta(hours=24)  # P3 as shipped
    policy = {
        "priority": "P3",
        "category": "*",
        "first_response_minutes": 60,
        "next_response_minutes": 1440,
        "resolution_minutes": 480,
        "calendar": "24x7",
    }
    assert admin.put("/api/v1/sla/policies", json=policy).status_code == 200
    after = seed_ticket(desk_db, "v-new", "信用卡额度怎么查", category="inquiry")
    assert _deadline(desk_db, after) == timedelta(minutes=60)
    assert _deadline(desk_db, before) == timedelta(hours=24)
    assert _details(desk_db, "sla.policy") == [
        "first_response_minutes 1440 → 60; resolution_minutes 4320 → 480"
    ]


def test_bad_settings_are_refused_with_a_reason(admin, person) -> None:
    backwards = {
        "priority": "P2",
        "first_response_minutes": 600,
        "resolution_minutes": 60,
    }
    refused = admin.put("/api/v1/sla/policies", json=backwards)
    assert refused.status_code == 422 and "首次响应" in str(refused.json()["detail"])
    general = admin.delete("/api/v1/sla/policies/P1/*")
    assert general.status_code == 422 and "通用" in general.json()["detail"]
    assert admin.delete("/api/v1/sla/policies/P1/complaint").status_code == 404
    assert (
        admin.put(
            "/api/v1/priority-rules",
            json={"category": "incident", "subcategory": "Bad Name", "priority": "P1"},
        ).status_code
        == 422
    )
    assert (
        admin.put("/api/v1/followup-plans", json={"tier": "gold", "delay_hours": 2}).status_code
        == 422
    )
    agent = person("wang.a")
    assert agent.get("/api/v1/sla/policies").status_code == 403
    assert agent.put("/api/v1/holidays", json={"day": "2027-01-01"}).status_code == 403


def test_rules_holidays_plans_and_vips_are_edited_and_audited(admin, desk_db) -> None:
    rule = {"category": "complaint", "subcategory": "fee_dispute", "priority": "P2"}
    assert admin.put("/api/v1/priority-rules", json=rule).status_code == 200
    assert rule in admin.get("/api/v1/priority-rules").json()
    assert admin.delete("/api/v1/priority-rules/complaint/fee_dispute").status_code == 200
    assert (
        admin.put("/api/v1/holidays", json={"day": "2027-02-17", "name": "春节"}).status_code == 200
    )
    assert admin.delete("/api/v1/holidays/2027-02-17").status_code == 200
    plan = {"category": "complaint", "tier": "vip", "delay_hours": 2, "active": True}
    assert admin.put("/api/v1/followup-plans", json=plan).status_code == 200
    assert plan in admin.get("/api/v1/followup-plans").json()
    made = admin.post("/api/v1/vips", json={"channel": "wechat", "id": "o-vip-openid-1"})
    assert made.status_code == 201
    assert {"channel": "wechat", "key": "o-vip-openid-1"} in admin.get("/api/v1/vips").json()
    assert admin.delete("/api/v1/vips/wechat/o-vip-openid-1").status_code == 200
    assert admin.delete("/api/v1/vips/wechat/o-vip-openid-1").status_code == 404
    with desk_db.session() as session:
        actions = set(session.scalars(select(AuditEntry.action)))
    assert {
        "sla.priority_rule",
        "sla.priority_rule_delete",
        "sla.holiday",
        "sla.holiday_delete",
        "followup.plan",
        "vip.add",
        "vip.remove",
    } <= actions
    verdict = admin.post("/api/v1/audit/verify").json()
    assert verdict["ok"] is True and verdict["entries"] >= 8 and verdict["anchored"] is True
