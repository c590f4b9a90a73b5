"""Privacy for administrators through the API: retention shown and changed, a legal hold
refusing an erasure (409, audited) until lifted, an erasure confirmed by the customer's
label, an export with the data and a readable page; supervisors are refused."""

from __future__ import annotations

import redis
from sqlalchemy import select

from bot.core.config import rasa_key_prefix
from bot.core.models import AuditEntry, Conversation
from bot.privacy.erasure import ERASED
from tests.bot.privacy.seed import seed
from tests.bot.privacy.test_erasure import everything


def test_hold_erase_and_export_through_the_api(admin, person, desk_db, settings) -> None:
    zhang = seed(desk_db, "张三丰", "+8613912345678", "visitor-zhang", "我的借记卡丢了")
    li = seed(desk_db, "李四光", "+8613700002222", "visitor-li", "账单金额不对")
    assert person("sun.sup").get("/api/v1/privacy/retention").status_code == 403

    kinds = admin.get("/api/v1/privacy/retention").json()["kinds"]
    assert {k["kind"]: k["days"] for k in kinds}["transcripts"] == 1095
    assert admin.put("/api/v1/privacy/retention/logs", json={"days": 30}).status_code == 422
    changed = admin.put("/api/v1/privacy/retention/transcripts", json={"days": 730})
    assert changed.json() == {"change": "transcripts: days 1095 → 730"}

    hold = admin.post(
        "/api/v1/privacy/holds", json={"ticket": zhang.ticket, "reason": "诉讼保全 2026-9"}
    )
    assert hold.status_code == 201 and hold.json()["label"] == f"工单 {zhang.ticket}"
    who = {"phone": "13912345678"}
    preview = admin.post("/api/v1/privacy/subject", json=who).json()
    assert preview["conversations"] == 2 and preview["tickets"] == [zhang.ticket]
    assert [h["reason"] for h in preview["holds"]] == ["诉讼保全 2026-9"]
    label = preview["label"]
    erase = {**who, "reason": "PIPL 47 #118", "confirm": label}
    assert admin.post("/api/v1/privacy/erase", json={**erase, "confirm": "x"}).status_code == 422
    refused = admin.post("/api/v1/privacy/erase", json=erase)
    assert refused.status_code == 409 and "诉讼保全 2026-9" in refused.json()["detail"]
    assert "张三丰" in everything(desk_db)
    lifted = admin.post(
        f"/api/v1/privacy/holds/{hold.json()['id']}/lift", json={"reason": "案件已结"}
    )
    assert lifted.json()["lifted_by"] == "root.admin"
    with desk_db.session() as session:  # Rasa's dialogue state of the customer's chat
        chat = session.get(Conversation, zhang.webchat_id)
        tracker = f"{rasa_key_prefix(settings.redis_prefix)}:tracker:{chat.public_id}"
    store = redis.Redis.from_url(settings.redis_url)
    store.set(tracker, '{"events": ["我的借记卡丢了"]}')
    done = admin.post("/api/v1/privacy/erase", json=erase)
    assert store.exists(tracker) == 0
    store.close()
    assert done.status_code == 200 and done.json()["conversations"] == 2
    assert "张三丰" not in everything(desk_db) and ERASED in everything(desk_db)
    assert admin.post("/api/v1/privacy/subject", json=who).status_code == 404

    exported = admin.post("/api/v1/privacy/export", json={"ticket": li.ticket, "language": "en"})
    body = exported.json()
    assert body["data"]["tickets"][0]["number"] == li.ticket
    assert "Copy of your personal information" in body["document"]
    assert admin.post("/api/v1/privacy/export", json={}).status_code == 422
    kinds = [r["kind"] for r in admin.get("/api/v1/privacy/records").json()]
    assert kinds == ["erase"]
    assert admin.post("/api/v1/audit/verify").json()["ok"] is True
    with desk_db.session() as session:
        actions = set(session.scalars(select(AuditEntry.action)))
    assert {
        "privacy.lookup",
        "privacy.retention",
        "privacy.hold",
        "privacy.erase_refused",
        "privacy.hold_lift",
        "privacy.erase",
        "privacy.export",
    } <= actions


def test_the_purge_runs_on_demand(admin, desk_db) -> None:
    report = admin.post("/api/v1/privacy/retention/run").json()
    assert report["held_kept"] == 0 and "removed" in report
    runs = admin.get("/api/v1/privacy/retention").json()["runs"]
    assert runs[0]["actor"] == "root.admin"
