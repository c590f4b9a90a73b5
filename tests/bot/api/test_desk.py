"""The ticket desk's API: views and SLA states, keyset paging, search, scoping by team,
the resolution rule, calls, replies, notes with @mentions, merging, bulk changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.core.db import Database
from bot.core.models import AuditEntry, Message, StaffNotice, Ticket, utcnow
from bot.tickets import clock
from tests.helpers import seed_ticket as ticket


@pytest.fixture
def db(desk_db: Database) -> Database:
    return desk_db


def numbers(client: TestClient, **query) -> list[str]:
    response = client.get("/api/v1/desk/tickets", params=query)
    assert response.status_code == 200, response.text
    return [row["number"] for row in response.json()["items"]]


def test_at_risk_and_breached_are_exactly_the_tickets_past_their_marks(person, db) -> None:
    fresh = ticket(db, "v-fresh", elapsed=0.1)
    risky = [ticket(db, f"v-risk-{i}", elapsed=share) for i, share in enumerate((0.8, 0.9, 0.99))]
    late = ticket(db, "v-late", elapsed=1.5)
    edge = ticket(db, "v-edge", elapsed=0.7)  # 30 % left: on track
    sup = person("sun.sup")
    assert sorted(numbers(sup, view="at_risk")) == sorted(risky)
    assert numbers(sup, view="breached") == [late]
    assert set(numbers(sup, sla="on_track")) == {fresh, edge}
    # by due time: the breached one first, then the risky ones soonest first
    assert numbers(sup)[:4] == [late, risky[2], risky[1], risky[0]]
    rows = sup.get("/api/v1/desk/tickets").json()["items"]
    assert {r["number"]: r["sla"] for r in rows}[late] == "breached"


def test_keyset_pages_cover_every_ticket_once(person, db) -> None:
    made = {ticket(db, f"v-page-{i}", f"问题 {i}", elapsed=i / 40) for i in range(23)}
    sup = person("sun.sup")
    for sort in ("due", "newest"):
        seen: list[str] = []
        cursor = None
        while True:
            body = sup.get(
                "/api/v1/desk/tickets", params={"limit": 5, "sort": sort, "cursor": cursor}
            ).json()
            seen += [r["number"] for r in body["items"]]
            assert body["count"] == 23
            cursor = body["next"]
            if cursor is None:
                break
        assert len(seen) == len(set(seen)) == 23 and set(seen) == made, sort
    assert sup.get("/api/v1/desk/tickets", params={"cursor": "nonsense!"}).status_code == 422
    assert sup.get("/api/v1/desk/tickets", params={"view": "nope"}).status_code == 422
    assert sup.get("/api/v1/desk/tickets", params={"status": "weird"}).status_code == 422


def test_search_by_number_phone_and_text(person, db) -> None:
    card = ticket(db, "v-search-1", "信用卡被重复扣年费")
    other = ticket(db, "v-search-2", "转账限额太低")
    sup = person("sun.sup")
    assert numbers(sup, q=card) == [card]
    assert numbers(sup, q=card.lower()) == [card]
    assert numbers(sup, q="重复扣") == [card]
    assert numbers(sup, q="限额") == [other]
    assert numbers(sup, q="13800001111") == []  # no customer has this number
    assert sup.get("/api/v1/desk/tickets", params={"q": "x"}).status_code == 422
    with db.session() as session:
        trail = session.scalars(
            select(AuditEntry.action).where(AuditEntry.actor == "sun.sup")
        ).all()
    assert "search" in trail


def test_an_agent_sees_their_team_and_the_pool_and_nothing_else(person, db) -> None:
    pool = ticket(db, "v-scope-1")
    cards = ticket(db, "v-scope-2", team="cards")
    loans = ticket(db, "v-scope-3", team="loans")
    wang = person("wang.a")
    assert set(numbers(wang)) == {pool, cards}
    assert wang.get(f"/api/v1/desk/tickets/{loans}").status_code == 404
    assert (
        wang.post(f"/api/v1/desk/tickets/{loans}/notes", json={"body": "peek"}).status_code == 404
    )
    assert wang.get("/api/v1/desk/tickets/AX00000000000").status_code == 404
    zhao = person("zhao.c")
    assert set(numbers(zhao)) == {pool, loans}
    assert zhao.get(f"/api/v1/desk/tickets/{cards}").status_code == 404
    with db.session() as session:
        denied = session.scalars(
            select(AuditEntry.object_id).where(
                AuditEntry.actor == "zhao.c", AuditEntry.action == "denied"
            )
        ).all()
    assert cards in denied


def test_work_a_ticket_call_reply_note_resolve(person, db) -> None:
    number = ticket(db, "v-work")
    wang = person("wang.a")
    assert wang.post(
        f"/api/v1/desk/tickets/{number}/calls", json={"outcome": "reached", "note": "客户确认"}
    ).json() == {"ok": True}
    page = wang.get(f"/api/v1/desk/tickets/{number}").json()
    # the call was a human response; the unassigned ticket became the caller's
    assert page["clocks"]["first_responded_at"] is not None
    assert page["assignee"] == "wang.a" and page["team"] == "cards"
    assert page["status"] == "open"
    assert wang.post(
        f"/api/v1/desk/tickets/{number}/replies", json={"body": "已为您退还年费"}
    ).json() == {"ok": True}
    mentioned = wang.post(
        f"/api/v1/desk/tickets/{number}/notes", json={"body": "@li.b 请复核 @nobody"}
    ).json()
    assert mentioned == {"mentioned": ["li.b"]}
    # resolving needs a note and a category
    refused = wang.post(f"/api/v1/desk/tickets/{number}/transition", json={"to": "resolved"})
    assert refused.status_code == 422
    done = wang.post(
        f"/api/v1/desk/tickets/{number}/transition",
        json={"to": "resolved", "note": "年费已退", "category": "inquiry"},
    )
    assert done.status_code == 200, done.text
    page = wang.get(f"/api/v1/desk/tickets/{number}").json()
    assert page["status"] == "resolved" and page["category"] == "inquiry"
    assert page["clocks"]["sla"] == "done"
    actions = [e["action"] for e in page["timeline"] if e["kind"] == "event"]
    for expected in ("created", "assign", "call", "reply", "note", "category", "status"):
        assert expected in actions, (expected, actions)
    said = [e["text"] for e in page["timeline"] if e["kind"] == "message"]
    assert "已为您退还年费" in said
    assert any("已处理完毕" in (t or "") for t in said)  # the follow-up question went out
    with db.session() as session:
        agent_msg = session.scalar(select(Message).where(Message.text == "已为您退还年费"))
        assert agent_msg is not None and agent_msg.sender == "agent"
        notices = session.scalars(select(StaffNotice.user_name)).all()
    assert notices == ["li.b"]
    li = person("li.b")
    me = li.get("/api/v1/desk/me").json()
    assert me["unread"] == 1 and me["notices"][0]["number"] == number
    li.post("/api/v1/desk/notices/read", json={"up_to": me["notices"][0]["id"]})
    assert li.get("/api/v1/desk/me").json()["unread"] == 0


def test_merge_duplicates_of_one_customer_only(person, db) -> None:
    keep = ticket(db, "v-dup", "卡被吞了")
    again = ticket(db, "v-dup", "卡被ATM吞了")
    stranger = ticket(db, "v-other", "卡被吞")
    sup = person("sun.sup")
    refused = sup.post(f"/api/v1/desk/tickets/{keep}/merge", json={"duplicates": [stranger]})
    assert refused.status_code == 409 and "another customer" in refused.text
    merged = sup.post(f"/api/v1/desk/tickets/{keep}/merge", json={"duplicates": [again]})
    assert merged.json() == {"merged": [again]}
    dup = sup.get(f"/api/v1/desk/tickets/{again}").json()
    assert dup["status"] == "closed" and dup["merged_into"] == keep
    assert sup.get(f"/api/v1/desk/tickets/{keep}").json()["duplicates"] == [again]
    again_merge = sup.post(f"/api/v1/desk/tickets/{keep}/merge", json={"duplicates": [again]})
    assert again_merge.status_code == 409


def test_bulk_assign_and_status_report_each_ticket(person, db) -> None:
    mine = [ticket(db, f"v-bulk-{i}") for i in range(3)]
    theirs = ticket(db, "v-bulk-loans", team="loans")
    wang = person("wang.a")
    result = wang.post(
        "/api/v1/desk/tickets/bulk",
        json={"numbers": [*mine, theirs], "action": "assign", "assignee": "li.b", "team": "cards"},
    ).json()
    assert result["done"] == mine and list(result["failed"]) == [theirs]
    li = person("li.b")
    assert set(numbers(li, view="mine")) == set(mine)
    moved = wang.post(
        "/api/v1/desk/tickets/bulk",
        json={"numbers": mine, "action": "status", "to": "pending_customer"},
    ).json()
    assert moved["done"] == mine
    assert set(numbers(li, view="waiting")) == set(mine)
    unknown = wang.post(
        "/api/v1/desk/tickets/bulk",
        json={"numbers": mine, "action": "assign", "assignee": "ghost"},
    )
    assert unknown.status_code == 422
    assert (
        wang.post("/api/v1/desk/tickets/bulk", json={"numbers": mine, "action": "status"})
    ).status_code == 422


def test_the_clock_follows_the_ticket(person, db) -> None:
    number = ticket(db, "v-clock", elapsed=0.5)
    with db.session() as session:
        row = session.scalar(select(Ticket).where(Ticket.number == number))
        assert row is not None
        assert row.due_at == row.first_response_due_at
        assert clock.state(row, utcnow()) == "on_track"
        assert clock.state(row, row.due_at + timedelta(seconds=1)) == "breached"
    wang = person("wang.a")
    wang.post(f"/api/v1/desk/tickets/{number}/replies", json={"body": "您好"})
    wang.post(f"/api/v1/desk/tickets/{number}/transition", json={"to": "pending_customer"})
    with db.session() as session:
        row = session.scalar(select(Ticket).where(Ticket.number == number))
        assert row is not None and row.due_at is None  # answered and waiting: paused
    wang.post(f"/api/v1/desk/tickets/{number}/transition", json={"to": "open"})
    with db.session() as session:
        row = session.scalar(select(Ticket).where(Ticket.number == number))
        assert row is not None and row.due_at == row.resolution_due_at


def test_a_supervisor_acknowledges_a_p1_page_from_the_desk(person, db) -> None:
    number = ticket(db, "v-p1", "卡被盗刷", category="incident")
    agent = person("wang.a")
    assert agent.post(f"/api/v1/desk/tickets/{number}/acknowledge").status_code == 403
    sup = person("sun.sup")
    assert sup.post(f"/api/v1/desk/tickets/{number}/acknowledge").json() == {"ok": True}
    clocks = sup.get(f"/api/v1/desk/tickets/{number}").json()["clocks"]
    assert clocks["acknowledged_by"] == "sun.sup"


def test_a_promised_callback_is_listed_with_its_sealed_number(person, db) -> None:
    number = ticket(db, "v-callback-api", team="cards")
    later = ticket(db, "v-callback-api-2", team="cards")
    agent = person("wang.a")
    due = (utcnow() + timedelta(hours=11)).isoformat()
    sooner = (utcnow() + timedelta(hours=2)).isoformat()
    assert (
        agent.post(
            f"/api/v1/desk/tickets/{number}/callback",
            json={"due_at": due, "phone": "139-1234-5678"},
        ).status_code
        == 200
    )
    assert (
        agent.post(f"/api/v1/desk/tickets/{later}/callback", json={"due_at": sooner}).status_code
        == 200
    )
    # soonest first; nothing of the number in the list or the ticket page
    rows = agent.get("/api/v1/desk/tickets", params={"view": "callbacks"}).json()["items"]
    assert [r["number"] for r in rows] == [later, number]
    page = agent.get(f"/api/v1/desk/tickets/{number}")
    assert page.json()["callback"]["sealed_number"] is True
    assert "5678" not in page.text
    with db.session() as session:
        sealed = session.scalar(select(Ticket.callback_phone_sealed).where(Ticket.number == number))
    assert sealed and "13912345678" not in sealed
    # the number, opened with a reason (audited); a reason is required
    short = agent.post(f"/api/v1/desk/tickets/{number}/callback/number", json={"reason": "x"})
    assert short.status_code == 422
    opened = agent.post(
        f"/api/v1/desk/tickets/{number}/callback/number", json={"reason": "按约定回电客户"}
    )
    assert opened.json() == {"number": "13912345678"}
    with db.session() as session:
        unmasked = session.scalar(
            select(AuditEntry).where(AuditEntry.action == "unmask", AuditEntry.object_id == number)
        )
    assert unmasked is not None and unmasked.actor == "wang.a"
    none = agent.post(
        f"/api/v1/desk/tickets/{later}/callback/number", json={"reason": "按约定回电客户"}
    )
    assert none.status_code == 404
    # bad input: a time gone, a number that is not one, another team's ticket
    past = (utcnow() - timedelta(minutes=5)).isoformat()
    assert (
        agent.post(f"/api/v1/desk/tickets/{number}/callback", json={"due_at": past}).status_code
        == 409
    )
    assert (
        agent.post(
            f"/api/v1/desk/tickets/{number}/callback", json={"due_at": due, "phone": "call me"}
        ).status_code
        == 422
    )
    other = ticket(db, "v-callback-loans", team="loans")
    assert (
        agent.post(f"/api/v1/desk/tickets/{other}/callback", json={"due_at": due}).status_code
        == 404
    )
    # a call logged keeps the promise: off the list
    assert (
        agent.post(f"/api/v1/desk/tickets/{later}/calls", json={"outcome": "reached"}).status_code
        == 200
    )
    rows = agent.get("/api/v1/desk/tickets", params={"view": "callbacks"}).json()["items"]
    assert [r["number"] for r in rows] == [number]
