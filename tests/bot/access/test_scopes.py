"""Who sees what: agents their own and their team's conversations, a team's supervisor
the team's, others everything; every denial is tested and the sensitive ones audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from bot.access.accounts import add_user
from bot.core.models import AuditEntry, User
from tests.helpers import agent_client, ask_for_human, beat, visitor_of

PASSWORD = "pw-access-123"


@pytest.fixture
def teams(customer, settings, app_db):
    """li.na and wang.wei in team cards, zhao.min in loans; A handled by li.na, B by zhao.min."""
    for name, role, team in (
        ("zhao.min", "agent", "loans"),
        ("sup.cards", "supervisor", "cards"),
        ("sup.all", "supervisor", None),
    ):
        add_user(app_db, name, role, PASSWORD, team=team)
    with app_db.session() as s:
        s.execute(update(User).where(User.name.in_(["li.na", "wang.wei"])).values(team="cards"))
        s.execute(update(User).where(User.name == "li.na").values(password_hash=_hash()))
    chats = {}
    for visitor, agent in (("visitor-cards", "li.na"), ("visitor-loans", "zhao.min")):
        beat(settings, agent)
        conversation, _ = ask_for_human(customer, visitor)
        client = agent_client(settings, agent, PASSWORD)
        try:
            item = next(
                i for i in client.get("/console/api/queue").json() if i["state"] == "queued"
            )
            client.post(f"/console/api/handoffs/{item['handoff_id']}/accept")
            client.post(f"/console/api/handoffs/{item['handoff_id']}/end", json={})
        finally:
            client.__exit__(None, None, None)
        chats[agent] = (conversation, item["handoff_id"])
    return chats


def _hash() -> str:
    from bot.core.security import hash_password

    return hash_password(PASSWORD)


def _as(settings, name: str):
    return agent_client(settings, name, PASSWORD if name != "wang.wei" else "pw-wang-wei-123")


def _visible(client) -> set[str]:
    response = client.get("/api/v1/transcripts")
    assert response.status_code == 200
    return {c["conversation_id"] for c in response.json()}


def test_each_role_sees_its_own(teams, settings, app_db) -> None:
    a, b = teams["li.na"][0], teams["zhao.min"][0]
    expectations = {
        "wang.wei": {a},  # a teammate's chat, not another team's
        "zhao.min": {b},
        "sup.cards": {a},
        "sup.all": {a, b},
    }
    for name, expected in expectations.items():
        client = _as(settings, name)
        try:
            assert _visible(client) == expected, name
            for conversation in {a, b} - expected:
                denied = client.get(f"/api/v1/conversations/{conversation}/timeline")
                assert denied.status_code == 404, name  # as if it did not exist (#21.14)
            for conversation in expected:
                assert (
                    client.get(f"/api/v1/conversations/{conversation}/timeline").status_code == 200
                )
        finally:
            client.__exit__(None, None, None)
    with app_db.session() as s:
        denials = {
            (e.actor, e.object_id)
            for e in s.scalars(select(AuditEntry).where(AuditEntry.action == "denied"))
        }
    assert ("wang.wei", b) in denials and ("sup.cards", b) in denials


def test_a_team_supervisor_scores_only_the_team(teams, settings) -> None:
    sup = _as(settings, "sup.cards")
    try:
        rules = {r["key"]: 5 for r in sup.get("/api/v1/qa/rules").json()}
        other = {"handoff_id": teams["zhao.min"][1], "scores": rules}
        assert sup.post("/api/v1/qa/reviews", json=other).status_code == 404
        mine = {"handoff_id": teams["li.na"][1], "scores": rules}
        assert sup.post("/api/v1/qa/reviews", json=mine).status_code == 201
        assert [c["agent"] for c in sup.get("/api/v1/qa/scorecards").json()] == ["li.na"]
        assert {c["agent"] for c in sup.get("/api/v1/qa/flagged").json()} <= {"li.na"}
    finally:
        sup.__exit__(None, None, None)


def test_agents_are_refused_supervisor_work(teams, settings) -> None:
    agent = _as(settings, "wang.wei")
    a = teams["li.na"][0]
    try:
        for method, path, body in (
            ("get", "/api/v1/qa/flagged", None),
            ("get", "/api/v1/qa/scorecards", None),
            ("get", "/api/v1/figures", None),
            ("get", "/api/v1/figures/export", None),
            ("post", f"/api/v1/conversations/{a}/contact", {"reason": "需要回电核实"}),
            ("post", "/api/v1/kb", {}),
        ):
            response = getattr(agent, method)(path, **({"json": body} if body is not None else {}))
            assert response.status_code == 403, path
    finally:
        agent.__exit__(None, None, None)


def test_unmasking_needs_a_reason_and_is_audited(teams, settings, app_db) -> None:
    a, b = teams["li.na"][0], teams["zhao.min"][0]
    sup = _as(settings, "sup.cards")
    try:
        url = f"/api/v1/conversations/{a}/contact"
        assert sup.post(url, json={}).status_code == 422
        assert sup.post(url, json={"reason": "x"}).status_code == 422
        shown = sup.post(url, json={"reason": "客户要求回电，核实挂失"})
        assert shown.status_code == 200 and shown.json() == {
            "channel": "webchat",
            "address": visitor_of(app_db, a),
        }
        other = sup.post(
            f"/api/v1/conversations/{b}/contact", json={"reason": "只是想看看这个客户"}
        )
        assert other.status_code == 404
    finally:
        sup.__exit__(None, None, None)
    with app_db.session() as s:
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "unmask"))
    assert (entry.actor, entry.object_id, entry.detail) == (
        "sup.cards",
        a,
        "客户要求回电，核实挂失",
    )


def test_finding_14_out_of_scope_is_answered_as_not_there(teams, settings, app_db) -> None:
    """Security finding 14: a 403 for another team's conversation told that it exists.
    Out of scope and missing now get the same answer; the refusal is still audited."""
    b = teams["zhao.min"][0]
    client = _as(settings, "wang.wei")
    try:
        other = client.get(f"/api/v1/conversations/{b}/timeline")
        missing = client.get("/api/v1/conversations/no-such-conversation/timeline")
        assert other.status_code == missing.status_code == 404
        assert other.json() == missing.json()
    finally:
        client.__exit__(None, None, None)
    with app_db.session() as s:
        assert s.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "denied",
                AuditEntry.actor == "wang.wei",
                AuditEntry.object_id == b,
            )
        )
