"""The ticket panel beside a chat, and unread counts in the agent's list."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.models import Handoff, Message, Ticket, TicketEvent
from fakes.processes import wait_for
from tests.helpers import agent_client, ask_for_human, beat, chat_post


def _accepted(customer, settings, visitor: str = "visitor-handoff"):
    beat(settings, "li.na", "wang.wei")
    conversation, _ = ask_for_human(customer, visitor)
    li = agent_client(settings, "li.na", "pw-li-na-123")
    item = next(
        i for i in li.get("/console/api/queue").json() if i["conversation_id"] == conversation
    )
    assert li.post(f"/console/api/handoffs/{item['handoff_id']}/accept").status_code == 200
    return li, item


def test_open_move_and_note_a_ticket_from_the_chat(customer, settings, app_db) -> None:
    li, item = _accepted(customer, settings)
    wang = agent_client(settings, "wang.wei", "pw-wang-wei-123")
    base = f"/console/api/handoffs/{item['handoff_id']}/tickets"
    try:
        created = li.post(
            base, json={"category": "complaint", "description": "网点排队两小时 13812345678"}
        )
        assert created.status_code == 200
        number = created.json()["number"]
        assert li.post(base, json={"category": "nonsense", "description": "x"}).status_code == 422
        assert (
            wang.post(base, json={"category": "complaint", "description": "x"}).status_code == 404
        )
        assert li.post(f"{base}/{number}/transition", json={"to": "open"}).status_code == 200
        assert li.post(f"{base}/{number}/notes", json={"body": "已致电网点核实"}).status_code == 200
        assert li.post(f"{base}/{number}/transition", json={"to": "resolved"}).status_code == 200
        # resolved → pending_customer is not a move the lifecycle allows
        moved = li.post(f"{base}/{number}/transition", json={"to": "pending_customer"})
        assert moved.status_code == 409
        assert (
            wang.post(f"{base}/{number}/transition", json={"to": "open"}).status_code == 404
        )  # not his chat
        assert li.post(f"{base}/AX99999999999/notes", json={"body": "x"}).status_code == 404
        with app_db.session() as s:
            ticket = s.scalar(select(Ticket).where(Ticket.number == number))
            assert ticket is not None
            assert ticket.status == "resolved" and "13812345678" not in ticket.description
            actions = [
                (e.actor, e.action, e.to_value)
                for e in s.scalars(
                    select(TicketEvent)
                    .where(TicketEvent.ticket_id == ticket.id)
                    .order_by(TicketEvent.id)
                )
            ]
        assert actions == [
            ("li.na", "created", "P2"),  # complaints are P2
            ("li.na", "status", "open"),
            ("li.na", "note", None),
            ("li.na", "status", "resolved"),
        ]
    finally:
        for client in (li, wang):
            client.__exit__(None, None, None)


def test_a_ticket_of_another_customer_is_refused(customer, settings, app_db) -> None:
    li, item = _accepted(customer, settings)
    try:
        ask_for_human(customer, "visitor-other")
        with app_db.session() as s:
            numbers = list(s.scalars(select(Ticket.number).order_by(Ticket.id)))
        base = f"/console/api/handoffs/{item['handoff_id']}/tickets"
        assert li.post(f"{base}/{numbers[-1]}/notes", json={"body": "x"}).status_code == 404
        assert li.post(f"{base}/{numbers[0]}/notes", json={"body": "ok"}).status_code == 200
    finally:
        li.__exit__(None, None, None)


def test_unread_counts_follow_what_the_agent_has_seen(customer, settings, app_db) -> None:
    li, item = _accepted(customer, settings)
    try:
        assert item["unread"] == 0
        for text in ("还在吗", "我的卡号是 6222 0212 3456 7890"):
            chat_post(customer, "visitor-handoff", text)

        def unread() -> int:
            [mine] = [i for i in li.get("/console/api/queue").json() if i["state"] == "active"]
            return int(mine["unread"])

        wait_for(lambda: unread() == 2)
        with app_db.session() as s:
            last = s.scalar(select(Message.id).order_by(Message.id.desc()).limit(1))
        url = f"/console/api/handoffs/{item['handoff_id']}/read"
        assert li.post(url, json={"message_id": last}).status_code == 200
        assert unread() == 0
        with app_db.session() as s:
            assert s.scalar(select(Handoff.agent_read_id)) == last
    finally:
        li.__exit__(None, None, None)
