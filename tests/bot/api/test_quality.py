"""Quality inspection through the service: every ended chat inspected, supervisors score,
scorecards; agents are refused."""

from __future__ import annotations

from sqlalchemy import select

from bot.access.accounts import add_user
from bot.core.models import AuditEntry, QaFlag
from tests.helpers import agent_client, ask_for_human, beat


def _chat(customer, settings, visitor: str, lines: list[str]) -> int:
    beat(settings, "li.na")
    ask_for_human(customer, visitor)
    li = agent_client(settings, "li.na", "pw-li-na-123")
    try:
        item = next(i for i in li.get("/console/api/queue").json() if i["state"] == "queued")
        url = f"/console/api/handoffs/{item['handoff_id']}"
        li.post(f"{url}/accept")
        for line in lines:
            li.post(f"{url}/messages", json={"text": line, "override": True})
        li.post(f"{url}/end", json={"disposition": "resolved"})
        return int(item["handoff_id"])
    finally:
        li.__exit__(None, None, None)


def test_flag_score_and_scorecard(customer, settings, app_db) -> None:
    bad = _chat(customer, settings, "visitor-badchat", ["这款理财保本保收益，您放心买"])
    good = _chat(customer, settings, "visitor-goodchat", ["理财非存款，产品有风险，投资须谨慎。"])
    with app_db.session() as s:
        flags = sorted((f.handoff_id, f.rule_key) for f in s.scalars(select(QaFlag)))
    assert flags == [(bad, "no_guaranteed_returns"), (bad, "risk_disclosure")]

    add_user(app_db, "zhang.sup", "supervisor", "pw-zhang-sup-123")
    sup = agent_client(settings, "zhang.sup", "pw-zhang-sup-123")
    li = agent_client(settings, "li.na", "pw-li-na-123")
    try:
        flagged = sup.get("/api/v1/qa/flagged").json()
        assert [(c["handoff_id"], sorted(c["flags"])) for c in flagged] == [
            (bad, ["no_guaranteed_returns", "risk_disclosure"])
        ]
        rules = {r["key"] for r in sup.get("/api/v1/qa/rules").json()}
        scores = {key: 5 for key in rules} | {"no_guaranteed_returns": 0}
        made = sup.post("/api/v1/qa/reviews", json={"handoff_id": bad, "scores": scores})
        assert made.status_code == 201 and made.json()["total"] == 70.6  # 12*5 of 17*5
        partial = sup.post(
            "/api/v1/qa/reviews", json={"handoff_id": good, "scores": {"greeting": 5}}
        )
        assert partial.status_code == 422
        too_high = sup.post(
            "/api/v1/qa/reviews", json={"handoff_id": good, "scores": {k: 6 for k in rules}}
        )
        assert too_high.status_code == 422
        assert (
            sup.post("/api/v1/qa/reviews", json={"handoff_id": 999, "scores": scores}).status_code
            == 404
        )
        assert [
            c["handoff_id"] for c in sup.get("/api/v1/qa/sample", params={"size": 5}).json()
        ] == [good]
        [card] = sup.get("/api/v1/qa/scorecards").json()
        assert card == {
            "agent": "li.na",
            "chats": 2,
            "flagged_chats": 1,
            "flagged_rate": 0.5,
            "flags": {"no_guaranteed_returns": 1, "risk_disclosure": 1},
            "reviews": 1,
            "review_avg": 70.6,
        }
        edit = {
            "title_zh": "禁止提及内部系统",
            "title_en": "Never mentions internal systems",
            "kind": "forbidden",
            "pattern": "核心系统",
        }
        assert sup.put("/api/v1/qa/rules/internal_systems", json=edit).status_code == 200
        assert sup.put("/api/v1/qa/rules/bad", json={**edit, "pattern": "(["}).status_code == 422
        # Agents are refused every supervisor call.
        for path in ("/api/v1/qa/flagged", "/api/v1/qa/scorecards", "/api/v1/qa/rules"):
            assert li.get(path).status_code == 403
        assert (
            li.post("/api/v1/qa/reviews", json={"handoff_id": bad, "scores": scores}).status_code
            == 403
        )
        assert li.get("/api/v1/qa/sample").status_code == 403
        assert li.get("/api/v1/figures").status_code == 403
        assert customer.get("/api/v1/qa/flagged").status_code == 401
    finally:
        for client in (sup, li):
            client.__exit__(None, None, None)
    with app_db.session() as s:
        audited = {
            e.action for e in s.scalars(select(AuditEntry).where(AuditEntry.actor == "zhang.sup"))
        }
    assert {"qa.review", "qa.rule", "read"} <= audited
