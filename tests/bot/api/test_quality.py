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
            "phrases": ["核心系统"],
        }
        assert sup.put("/api/v1/qa/rules/internal_systems", json=edit).status_code == 200
        assert sup.put("/api/v1/qa/rules/bad", json={**edit, "phrases": [" "]}).status_code == 422
        regex = {**edit, "advanced": True, "pattern": "(["}
        assert sup.put("/api/v1/qa/rules/bad", json=regex).status_code == 422
        # Agents are refused every supervisor call.
        for path in ("/api/v1/qa/flagged", "/api/v1/qa/scorecards"):
            assert li.get(path).status_code == 403
        assert li.get("/api/v1/qa/rules").status_code == 200  # what they are scored on
        assert li.put("/api/v1/qa/rules/x", json=edit).status_code == 403
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


def test_a_rule_of_two_phrases_is_tried_then_flags_a_real_chat(customer, settings, app_db) -> None:
    add_user(app_db, "zhang.sup", "supervisor", "pw-zhang-sup-123")
    sup = agent_client(settings, "zhang.sup", "pw-zhang-sup-123")
    try:
        rule = {"kind": "forbidden", "phrases": ["包您满意", "绝对没问题"]}
        sample = "客户：这个产品靠谱吗\n这个产品绝对没问题，您放心"
        trial = sup.post("/api/v1/qa/rules/test", json={**rule, "text": sample}).json()
        assert trial["flagged"] is True and trial["flagged_line"] == 1
        assert trial["found"] == [
            {"line": 1, "start": 4, "end": 9, "text": "绝对没问题", "role": "pattern"}
        ]
        clean = sup.post("/api/v1/qa/rules/test", json={**rule, "text": "这个问题我帮您查询"})
        assert clean.json()["flagged"] is False
        words = {"kind": "greeting", "phrases": ["hi"]}
        assert sup.post("/api/v1/qa/rules/test", json={**words, "text": "this is it"}).json()[
            "flagged"
        ]  # "hi" is a whole word, not the middle of "this"
        saved = sup.put(
            "/api/v1/qa/rules/no_overpromise",
            json={**rule, "title_zh": "禁止过度承诺", "title_en": "No over-promising"},
        )
        assert saved.status_code == 200
    finally:
        sup.__exit__(None, None, None)
    promised = _chat(customer, settings, "visitor-promise", ["您好，这个绝对没问题"])
    with app_db.session() as s:
        keys = set(s.scalars(select(QaFlag.rule_key).where(QaFlag.handoff_id == promised)))
    assert "no_overpromise" in keys


def test_calibration_and_an_agents_appeal(customer, settings, app_db) -> None:
    chat = _chat(customer, settings, "visitor-calib", ["您好，已为您处理。"])
    add_user(app_db, "zhang.sup", "supervisor", "pw-zhang-sup-123")
    add_user(app_db, "zhou.sup", "supervisor", "pw-zhou-sup-1234")
    zhang = agent_client(settings, "zhang.sup", "pw-zhang-sup-123")
    zhou = agent_client(settings, "zhou.sup", "pw-zhou-sup-1234")
    li = agent_client(settings, "li.na", "pw-li-na-123")
    try:
        rules = sorted(r["key"] for r in zhang.get("/api/v1/qa/rules").json())
        first = {key: 5 for key in rules}
        second = {key: 5 for key in rules} | {rules[0]: 3, rules[1]: 4}
        review = zhang.post("/api/v1/qa/reviews", json={"handoff_id": chat, "scores": first})
        zhou.post("/api/v1/qa/reviews", json={"handoff_id": chat, "scores": second})
        found = zhang.get("/api/v1/qa/calibration").json()
        [one] = found["chats"]
        lines = len(rules)
        assert one["handoff_id"] == chat and {r["reviewer"] for r in one["reviews"]} == {
            "zhang.sup",
            "zhou.sup",
        }
        assert one["exact"] == round((lines - 2) / lines, 4)
        assert one["within_one"] == round((lines - 1) / lines, 4)
        assert found["exact"] == one["exact"]

        review_id = review.json()["review_id"]
        mine = li.get("/api/v1/qa/my-reviews").json()
        assert {r["review_id"] for r in mine} >= {review_id}
        assert (
            zhou.post(f"/api/v1/qa/reviews/{review_id}/appeal", json={"reason": "x"}).status_code
            == 404
        )
        made = li.post(f"/api/v1/qa/reviews/{review_id}/appeal", json={"reason": "客户已表示满意"})
        assert made.status_code == 201
        again = li.post(f"/api/v1/qa/reviews/{review_id}/appeal", json={"reason": "再次申诉"})
        assert again.status_code == 422
        [waiting] = zhou.get("/api/v1/qa/appeals").json()
        assert waiting["appeal"]["reason"] == "客户已表示满意"
        assert li.get("/api/v1/qa/appeals").status_code == 403
        appeal_id = made.json()["appeal_id"]
        lower = {key: 4 for key in rules}
        decided = zhou.post(
            f"/api/v1/qa/appeals/{appeal_id}/decide",
            json={"outcome": "changed", "note": "复核后调整", "scores": lower},
        ).json()
        assert decided["total"] == 80.0 and decided["appeal"]["old_total"] == 100.0
        assert zhou.get("/api/v1/qa/appeals").json() == []
        assert (
            zhou.post(
                f"/api/v1/qa/appeals/{appeal_id}/decide", json={"outcome": "upheld", "note": "x"}
            ).status_code
            == 422
        )
        mine = {r["review_id"]: r for r in li.get("/api/v1/qa/my-reviews").json()}
        assert mine[review_id]["appeal"]["state"] == "changed" and mine[review_id]["total"] == 80.0
    finally:
        for client in (zhang, zhou, li):
            client.__exit__(None, None, None)
    with app_db.session() as s:
        actions = set(s.scalars(select(AuditEntry.action)))
    assert {"qa.appeal", "qa.appeal_decision", "qa.review"} <= actions
