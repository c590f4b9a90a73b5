"""After resolution: confirm, survey, reopen on a low score, 回访 tasks and coverage."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.access.tokens import create_token
from bot.core.db import Database
from bot.core.models import Conversation, FollowupTask, Message, SurveyResponse, Ticket, utcnow
from bot.tickets.lifecycle import close_silent_confirmations
from bot.web.app import create_app
from fakes.processes import wait_for
from tests.conftest import SERVICE_TOKEN
from tests.helpers import chat_post, new_id

VISITOR = "visitor-followup-1"


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def db(settings):
    database = Database(settings.database_url)
    yield database
    database.dispose()


@pytest.fixture
def staff(db) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {create_token(db, 'agent.zhao', ['tickets:read', 'tickets:write', 'reports:read', 'admin'])}"
    }


def say(client, text: str) -> None:
    assert chat_post(client, VISITOR, text).status_code == 202


def open_resolved_ticket(client, staff) -> str:
    say(client, "柜员态度很差")
    conversation = chat_post(client, VISITOR, "我要投诉").json()["conversation_id"]
    number = client.post(
        "/api/v1/internal/tickets",
        json={
            "conversation_id": conversation,
            "category": "complaint",
            "description": "态度差",
            "idempotency_key": new_id(),
        },
        headers={"Authorization": f"Bearer {SERVICE_TOKEN}"},
    ).json()["number"]
    assert (
        client.post(
            f"/api/v1/tickets/{number}/transition", json={"to": "resolved"}, headers=staff
        ).status_code
        == 200
    )
    return number


def bot_texts(db) -> list[str]:
    with db.session() as s:
        return list(
            s.scalars(select(Message.text).where(Message.direction == "out").order_by(Message.id))
        )


def payloads(db, words: str) -> list[str]:
    with db.session() as s:
        buttons = s.scalar(
            select(Message.buttons)
            .where(Message.direction == "out", Message.text.contains(words))
            .order_by(Message.id)
            .limit(1)
        )
    return [b["payload"] for b in buttons or []]


def status(db, number: str) -> str:
    with db.session() as s:
        return s.scalar(select(Ticket.status).where(Ticket.number == number))


def test_confirm_then_survey_then_low_score_reopens(client, db, staff, fake_rasa) -> None:
    number = open_resolved_ticket(client, staff)
    wait_for(lambda: any("回复「1」" in t for t in bot_texts(db)))
    wait_for(lambda: len(fake_rasa.calls) == 2)  # the two messages before the ticket
    rasa_calls = len(fake_rasa.calls)
    say(client, "1")
    wait_for(lambda: status(db, number) == "closed")
    wait_for(lambda: any("打分" in t for t in bot_texts(db)))
    # both questions come with quick replies (web chat and Telegram show them)
    assert payloads(db, "回复「1」") == ["1", "2"]
    assert payloads(db, "打分") == ["5", "4", "3", "2", "1", "0"]
    say(client, "2 等了太久")
    wait_for(lambda: status(db, number) == "open")
    with db.session() as s:
        response = s.scalar(select(SurveyResponse))
        assert (response.score, response.comment) == (2, "等了太久")
        reasons = sorted(s.scalars(select(FollowupTask.reason)))
    assert reasons == ["plan"]  # the 回访 planned at closing is still open: no second task
    assert len(fake_rasa.calls) == rasa_calls  # the answers never reached the assistant
    figures = client.get("/api/v1/figures", headers=staff).json()["followup"]
    assert figures["surveys"] == 1 and figures["csat_avg"] == 2.0


def test_not_solved_reopens_and_silence_closes(client, db, staff, settings) -> None:
    number = open_resolved_ticket(client, staff)
    wait_for(lambda: any("回复「1」" in t for t in bot_texts(db)))
    say(client, "没有")
    wait_for(lambda: status(db, number) == "open")
    client.post(f"/api/v1/tickets/{number}/transition", json={"to": "resolved"}, headers=staff)
    with time_machine.travel(utcnow() + timedelta(hours=73), tick=True):
        client.app.state.services.wake_scanner()  # the service's own loop closes it
        wait_for(lambda: status(db, number) == "closed")
    assert close_silent_confirmations(db, settings) == 0  # once


def test_declining_surveys_is_recorded_and_respected(client, db, staff) -> None:
    number = open_resolved_ticket(client, staff)
    wait_for(lambda: any("回复「1」" in t for t in bot_texts(db)))
    say(client, "是")
    wait_for(lambda: any("打分" in t for t in bot_texts(db)))
    say(client, "0")
    wait_for(lambda: _opted_out(db))
    client.post(f"/api/v1/tickets/{number}/transition", json={"to": "open"}, headers=staff)
    client.post(f"/api/v1/tickets/{number}/transition", json={"to": "resolved"}, headers=staff)
    wait_for(lambda: sum("回复「1」" in t for t in bot_texts(db)) == 2)
    say(client, "1")
    wait_for(lambda: status(db, number) == "closed")
    assert sum("打分" in t for t in bot_texts(db)) == 1  # no second survey


def _opted_out(db) -> bool:
    with db.session() as s:
        return s.scalar(select(Conversation.survey_opt_out_at)) is not None


def test_followup_tasks_and_coverage(client, db, staff) -> None:
    plan = {"category": "complaint", "tier": "*", "delay_hours": 1.5, "active": True}
    assert client.put("/api/v1/followup-plans", json=plan, headers=staff).status_code == 200
    number = open_resolved_ticket(client, staff)
    wait_for(lambda: any("回复「1」" in t for t in bot_texts(db)))
    say(client, "1")
    wait_for(lambda: status(db, number) == "closed")
    with time_machine.travel(utcnow() + timedelta(hours=5), tick=False):
        [task] = client.get("/api/v1/followup-tasks", headers=staff).json()
        assert task["ticket"] == number and task["reason"] == "plan"
        with db.session() as s:
            closed_at = s.scalar(select(Ticket.closed_at))
            due = s.scalar(select(FollowupTask.due_at))
        assert timedelta(hours=1.4) < due - closed_at < timedelta(hours=1.6)  # the edited plan
        assert client.get("/api/v1/figures", headers=staff).json()["followup"]["coverage"] == 0.0
        assert (
            client.post(
                f"/api/v1/followup-tasks/{task['id']}/done",
                json={"outcome": "客户满意"},
                headers=staff,
            ).status_code
            == 200
        )
        figures = client.get("/api/v1/figures", headers=staff).json()["followup"]
    assert figures["coverage"] == 1.0 and figures["tasks_done"] == 1
    assert (
        client.post(
            "/api/v1/followup-tasks/999/done", json={"outcome": "x"}, headers=staff
        ).status_code
        == 404
    )
