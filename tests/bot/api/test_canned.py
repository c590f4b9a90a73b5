"""Canned replies through the API: supervisors keep them per team (audited), variables
are checked, agents read their team's and the shared ones and cannot change them."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.models import AuditEntry

REPLY = {
    "team": "cards",
    "title_zh": "补卡进度",
    "title_en": "Card replacement",
    "body_zh": "{customer}您好，工单 {ticket} 的新卡已寄出。",
    "body_en": "Hello, the new card for ticket {ticket} is on its way.",
    "position": 1,
}


def test_supervisors_keep_canned_replies_and_agents_read_their_teams(person, desk_db) -> None:
    sup, cards, loans = person("sun.sup"), person("wang.a"), person("zhao.c")
    shared = len(cards.get("/api/v1/desk/canned").json())
    assert shared >= 5  # the replies the console shipped with, for every team
    assert cards.post("/api/v1/desk/canned", json=REPLY).status_code == 403
    bad = sup.post("/api/v1/desk/canned", json={**REPLY, "body_zh": "您好 {name}"})
    assert bad.status_code == 422 and "{name}" in bad.json()["detail"]
    made = sup.post("/api/v1/desk/canned", json=REPLY)
    assert made.status_code == 200
    reply_id = made.json()["id"]
    assert any(r["id"] == reply_id for r in cards.get("/api/v1/desk/canned").json())
    assert all(r["id"] != reply_id for r in loans.get("/api/v1/desk/canned").json())
    assert len(loans.get("/api/v1/desk/canned").json()) == shared
    changed = sup.put(f"/api/v1/desk/canned/{reply_id}", json={**REPLY, "title_zh": "补卡寄出"})
    assert changed.json()["title_zh"] == "补卡寄出" and changed.json()["updated_by"] == "sun.sup"
    assert sup.put("/api/v1/desk/canned/999999", json=REPLY).status_code == 404
    assert sup.delete(f"/api/v1/desk/canned/{reply_id}").status_code == 200
    assert sup.delete(f"/api/v1/desk/canned/{reply_id}").status_code == 404
    with desk_db.session() as session:
        actions = list(
            session.scalars(
                select(AuditEntry.action)
                .where(
                    AuditEntry.object_id == str(reply_id), AuditEntry.object_type == "canned_reply"
                )
                .order_by(AuditEntry.id)
            )
        )
    assert actions == ["canned.create", "canned.update", "canned.delete"]
