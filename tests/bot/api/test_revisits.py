"""The 回访 worklist's API: today's tasks in the caller's scope, attempts and their
results, an unsatisfied customer's ticket reopened, hand-over, coverage, bad input."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.config import Settings
from bot.core.db import Database, upsert
from bot.core.models import AuditEntry, FollowupPlan, Ticket
from bot.tickets.lifecycle import transition
from tests.helpers import seed_ticket


def closed(db: Database, settings: Settings, visitor: str, team: str) -> str:
    with db.session() as session:
        upsert(
            session,
            FollowupPlan,
            {"category": "complaint", "tier": "*"},
            {"delay_hours": 0, "active": True},
        )
    number = seed_ticket(db, visitor, team=team)
    transition(db, settings, number, "resolved", "sun.sup", note="已处理")
    transition(db, settings, number, "closed", "system")
    return number


def test_the_worklist_and_an_attempt_through_the_api(person, desk_db, settings) -> None:
    cards = closed(desk_db, settings, "v-rv-cards", "cards")
    loans = closed(desk_db, settings, "v-rv-loans", "loans")
    agent = person("wang.a")
    listed = agent.get("/api/v1/desk/revisits", params={"view": "due"}).json()
    assert [t["ticket"] for t in listed["tasks"]] == [cards]  # the loans team's is not theirs
    assert listed["coverage"] == {"required": 2, "reached": 0, "rate": 0.0}
    task = listed["tasks"][0]["id"]
    sup = person("sun.sup")
    loans_task = next(
        t["id"] for t in sup.get("/api/v1/desk/revisits").json()["tasks"] if t["ticket"] == loans
    )
    assert (
        agent.post(
            f"/api/v1/desk/revisits/{loans_task}/attempts", json={"result": "reached"}
        ).status_code
        == 404
    )
    assert (
        agent.post(f"/api/v1/desk/revisits/{task}/attempts", json={"result": "maybe"}).status_code
        == 422
    )
    assert (
        agent.post(
            f"/api/v1/desk/revisits/{task}/attempts",
            json={"result": "not_reached", "satisfaction": "satisfied"},
        ).status_code
        == 409
    )
    assert (
        agent.post("/api/v1/desk/revisits/999999/attempts", json={"result": "reached"}).status_code
        == 404
    )
    # handed to a colleague, then reached and unsatisfied: the ticket is open again
    assert (
        agent.post(f"/api/v1/desk/revisits/{task}/assign", json={"owner": "nobody"}).status_code
        == 422
    )
    assert (
        agent.post(f"/api/v1/desk/revisits/{task}/assign", json={"owner": "li.b"}).status_code
        == 200
    )
    colleague = person("li.b")
    assert [
        t["ticket"]
        for t in colleague.get("/api/v1/desk/revisits", params={"view": "mine"}).json()["tasks"]
    ] == [cards]
    done = colleague.post(
        f"/api/v1/desk/revisits/{task}/attempts",
        json={
            "result": "reached",
            "satisfaction": "unsatisfied",
            "note": "客户仍不满意，电话 13912345678",
        },
    )
    assert done.json() == {"state": "reached", "next_due_at": None, "reopened": cards}
    page = colleague.get(f"/api/v1/desk/tickets/{cards}").json()
    assert page["status"] == "open"
    [revisit] = page["revisits"]
    assert revisit["tries"][0]["satisfaction"] == "unsatisfied"
    assert "13912345678" not in (revisit["tries"][0]["note"] or "")
    again = colleague.post(f"/api/v1/desk/revisits/{task}/attempts", json={"result": "reached"})
    assert again.status_code == 409
    after = sup.get("/api/v1/desk/revisits", params={"view": "done"}).json()
    assert [t["ticket"] for t in after["tasks"]] == [cards]
    assert after["coverage"] == {"required": 2, "reached": 1, "rate": 0.5}
    with desk_db.session() as session:
        audited = session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "revisit.attempt", AuditEntry.object_id == cards
            )
        )
        assert audited is not None and audited.actor == "li.b"
        assert session.scalar(select(Ticket.status).where(Ticket.number == loans)) == "closed"
    assert agent.get("/api/v1/desk/revisits", params={"view": "later"}).status_code == 422
