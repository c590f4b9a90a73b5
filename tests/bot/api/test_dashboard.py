"""The supervisors' dashboard: live queue, SLA risk, containment, reasons, CSAT by day."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from sqlalchemy import select, update

from bot.access.tokens import create_token
from bot.core.models import Conversation, SurveyResponse, Ticket, utcnow
from fakes.processes import wait_for
from tests.helpers import agent_client, ask_for_human, beat, chat_post, texts


def _score(db) -> int | None:
    with db.session() as s:
        return s.scalar(select(SurveyResponse.score))


def test_dashboard_figures_and_export(customer, settings, app_db) -> None:
    beat(settings, "li.na")
    conversation_a, _ = ask_for_human(customer, "visitor-dash-a")
    li = agent_client(settings, "li.na", "pw-li-na-123")
    try:
        [item] = li.get("/console/api/queue").json()
        li.post(f"/console/api/handoffs/{item['handoff_id']}/accept")
        li.post(f"/console/api/handoffs/{item['handoff_id']}/end", json={})
        wait_for(lambda: any("打分" in t for t in texts(app_db, "bot")))
        chat_post(customer, "visitor-dash-a", "5")
        wait_for(lambda: _score(app_db) == 5)
        chat_post(customer, "visitor-dash-b", "你好")
        conversation_c, _ = ask_for_human(customer, "visitor-dash-c")  # stays queued
        now = utcnow()
        with app_db.session() as s:
            ids = dict(s.execute(select(Conversation.public_id, Conversation.id)).all())
            s.execute(
                update(Ticket)
                .where(Ticket.conversation_id == ids[conversation_c])
                .values(priority="P1", resolution_due_at=now - timedelta(hours=1))
            )
            s.execute(
                update(Ticket)
                .where(Ticket.conversation_id == ids[conversation_a])
                .values(
                    created_at=now - timedelta(hours=10), resolution_due_at=now + timedelta(hours=1)
                )
            )
        token = create_token(app_db, "dash", ["reports:read"])
        auth = {"Authorization": f"Bearer {token}"}
        data = customer.get("/api/v1/dashboard", headers=auth).json()
        assert data["live"]["queue_length"] == 1 and data["live"]["agents_online"] == 1
        assert data["live"]["longest_wait_s"] >= 0
        assert data["sla"] == {
            "open": 2,
            "at_risk": 1,
            "breached_open": 1,
            "p1_breached_open": 1,
            "p1_within_4h_rate": None,  # its 4 hours are not over yet
        }
        assistant = data["assistant"]
        assert (assistant["conversations"], assistant["handed_off"]) == (3, 2)
        assert assistant["containment_rate"] == 0.3333 and assistant["handoff_rate"] == 0.6667
        assert assistant["handoff_reasons"] == {"customer_request": 2}
        assert assistant["by_channel"]["webchat"]["conversations"] == 3
        [day] = data["csat_by_day"]
        assert (day["responses"], day["avg"], day["satisfied_rate"]) == (1, 5.0, 1.0)
        assert data["csat"] == {
            "by_channel": {"webchat": {"responses": 1, "avg": 5.0}},
            "by_team": {"unassigned": {"responses": 1, "avg": 5.0}},
        }
        future = customer.get(
            "/api/v1/dashboard", params={"since": "2099-01-01T00:00:00Z"}, headers=auth
        ).json()
        assert future["assistant"]["conversations"] == 0 and future["csat_by_day"] == []
        assert future["live"]["queue_length"] == 1  # live figures ignore the window

        exported = customer.get("/api/v1/dashboard/export", headers=auth).content
        rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
        assert rows[0] == ["section", "key", "value"]
        assert ["assistant", "containment_rate", "0.3333"] in rows
        xlsx = customer.get("/api/v1/dashboard/export", params={"format": "xlsx"}, headers=auth)
        assert xlsx.content[:2] == b"PK"
        bad = {"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}
        assert customer.get("/api/v1/dashboard", params=bad, headers=auth).status_code == 422
        mixed = {"since": "2026-01-01T00:00:00Z", "until": "2026-02-01T00:00:00"}  # one naive
        assert customer.get("/api/v1/dashboard", params=mixed, headers=auth).status_code == 200
        assert li.get("/api/v1/dashboard").status_code == 403
        assert customer.get("/api/v1/dashboard").status_code == 401
    finally:
        li.__exit__(None, None, None)
