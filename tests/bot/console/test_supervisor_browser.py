"""Issue 7's walk-through in real Chromium, in the staff app's conversation review: a
supervisor finds yesterday's conversations where a P1 ticket breached its SLA, opens
one, scores it, adjusts the rubric, downloads the week's targets; every read is in the
audit log, and a hand-edited audit row makes `audit verify` fail."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import select, text

from bot.access.accounts import add_user
from bot.cli import main
from bot.core.db import Database
from bot.core.models import AuditEntry
from tests.bot.console.test_desk_browser import desk_page
from tests.helpers import (
    SERVICE,
    SESSION_HEADER,
    beat,
    open_chat,
    running_service,
    service_env,
    sign_in,
)

pytestmark = pytest.mark.browser
SCREENS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


def pick_date(page: Page, field: str, day: date) -> None:
    box = page.locator("[data-test=review] .el-form-item:has(.el-date-editor) input").nth(
        0 if field == "since" else 1
    )
    box.fill(day.isoformat())
    box.press("Enter")


def _p1_chat(url: str, settings, visitor: str, words: str) -> str:
    """A customer reports fraud (a P1 ticket), an agent takes the chat and ends it."""
    conversation = httpx.post(
        f"{url}/webhooks/webchat",
        json={"id": visitor + "-1", "text": words},
        headers={SESSION_HEADER: open_chat(httpx, url)},
    ).json()["conversation_id"]
    ticket = httpx.post(
        f"{url}/api/v1/internal/tickets",
        json={
            "conversation_id": conversation,
            "category": "incident",
            "subcategory": "fraud",
            "description": words,
            "idempotency_key": visitor,
        },
        headers=SERVICE,
    ).json()["number"]
    beat(settings, "li.na")
    httpx.post(
        f"{url}/api/v1/internal/handoffs",
        json={"conversation_id": conversation, "ticket_number": ticket, "reason": "p1"},
        headers=SERVICE,
    )
    with httpx.Client(base_url=url) as agent:
        sign_in(agent, "li.na", "pw-li-na-123")
        [item] = [i for i in agent.get("/console/api/queue").json() if i["ticket"] == ticket]
        agent.post(f"/console/api/handoffs/{item['handoff_id']}/accept")
        agent.post(
            f"/console/api/handoffs/{item['handoff_id']}/messages", json={"text": "已为您冻结账户"}
        )
        agent.post(
            f"/console/api/handoffs/{item['handoff_id']}/end", json={"disposition": "resolved"}
        )
    return conversation


def _move_to_yesterday(db: Database, conversation: str) -> None:
    day = {"d": timedelta(days=1)}
    with db.session() as s:
        cid = s.execute(
            text("SELECT id FROM conversations WHERE public_id = :p"), {"p": conversation}
        ).scalar_one()
        params = {"c": cid, **day}
        if db.is_sqlite:  # SQLite keeps these as ISO strings; shift them in Python
            from bot.core.models import Conversation, Handoff, Message, Ticket

            rows = [
                *s.scalars(select(Message).where(Message.conversation_id == cid)),
                *s.scalars(select(Ticket).where(Ticket.conversation_id == cid)),
                *s.scalars(select(Handoff).where(Handoff.conversation_id == cid)),
                s.get(Conversation, cid),
            ]
            for row in rows:
                for column in (
                    "created_at",
                    "last_message_at",
                    "first_response_due_at",
                    "resolution_due_at",
                    "queued_at",
                    "accepted_at",
                    "ended_at",
                ):
                    value = getattr(row, column, None)
                    if value is not None:
                        setattr(row, column, value - day["d"])
            return
        s.execute(
            text("UPDATE messages SET created_at = created_at - :d WHERE conversation_id = :c"),
            params,
        )
        s.execute(
            text(
                "UPDATE tickets SET created_at = created_at - :d, first_response_due_at ="
                " first_response_due_at - :d, resolution_due_at = resolution_due_at - :d"
                " WHERE conversation_id = :c"
            ),
            params,
        )
        s.execute(
            text(
                "UPDATE handoffs SET queued_at = queued_at - :d, accepted_at = accepted_at - :d,"
                " ended_at = ended_at - :d WHERE conversation_id = :c"
            ),
            params,
        )
        s.execute(
            text(
                "UPDATE conversations SET created_at = created_at - :d,"
                " last_message_at = last_message_at - :d WHERE id = :c"
            ),
            params,
        )


def test_supervisor_walk_through(settings, browser: Browser, tmp_path, cli_db) -> None:
    db = Database(settings.database_url)
    add_user(db, "li.na", "agent", "pw-li-na-123")
    add_user(db, "zhang.sup", "supervisor", "pw-zhang-sup-123")
    with running_service(service_env(settings), tmp_path / "service.log") as url:
        breached = _p1_chat(url, settings, "visitor-yesterday", "我的卡被盗刷了三笔")
        _p1_chat(url, settings, "visitor-today", "账户被盗了")  # today: not yet breached
        _move_to_yesterday(db, breached)

        page = desk_page(browser, url, "zhang.sup", "pw-zhang-sup-123")
        page.goto(f"{url}/console/supervisor")  # the old address leads to the staff app
        page.wait_for_url("**/console/app/review")
        page.wait_for_selector("[data-test=found]")
        today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
        pick_date(page, "since", today - timedelta(days=1))
        pick_date(page, "until", today)
        page.click("[data-test=priority]")
        page.click(".el-select-dropdown__item:visible:has-text('P1')")
        page.click("[data-test=breached]")
        page.click("[data-test=search]")
        page.wait_for_selector("[data-test=found]:has-text('找到会话 1')")
        results = page.query_selector_all("[data-test=result]")
        assert [r.get_attribute("data-conversation") for r in results] == [breached]
        results[0].click()
        page.wait_for_selector("[data-test=timeline]:has-text('盗刷')")
        timeline = page.inner_text("[data-test=timeline]")
        assert "已为您冻结账户" in timeline and "li.na" in timeline
        assert "紧急事件" in timeline and "p1" not in timeline  # the reason, in words
        page.click("[data-rule=resolution]")
        page.click(".el-select-dropdown__item:visible:has-text('4')")
        page.click("[data-test=submit-score]")
        page.wait_for_selector(".el-message:has-text('评分已保存')")
        page.wait_for_timeout(300)
        page.screenshot(path=str(SCREENS / "supervisor-review.png"))
        # this week's targets as a download
        week = today.isoformat()
        response = page.request.get(f"{url}/api/v1/targets/export?format=csv&period=week&at={week}")
        rows = list(csv.reader(io.StringIO(response.body().decode("utf-8-sig"))))
        assert rows[0][:3] == ["指标", "目标", "实际"]

    with db.session() as s:
        trail = [
            (e.action, e.object_type)
            for e in s.scalars(select(AuditEntry).where(AuditEntry.actor == "zhang.sup"))
        ]
    for expected in [
        ("login", "user"),
        ("search", "transcripts"),
        ("read", "timeline"),
        ("qa.review", "handoff"),
        ("export", "targets"),
    ]:
        assert expected in trail, (expected, trail)
    assert main(["audit", "verify"]) == 0
    with db.session() as s:
        s.execute(
            text(
                "UPDATE audit_log SET actor = 'nobody' WHERE action = 'read' AND object_type = 'timeline'"
            )
        )
    assert main(["audit", "verify"]) == 1
    db.dispose()
