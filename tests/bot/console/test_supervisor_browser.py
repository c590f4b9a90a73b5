"""Issue 7's walk-through in real Chromium: a supervisor finds yesterday's conversations
where a P1 ticket breached its SLA, opens one, scores it, exports the week's figures;
every read is in the audit log, and a hand-edited audit row makes `audit verify` fail."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Browser
from sqlalchemy import select, text

from bot.access.accounts import add_user
from bot.cli import main
from bot.core.db import Database
from bot.core.models import AuditEntry
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

        page = browser.new_context(
            bypass_csp=True, viewport={"width": 1400, "height": 900}, accept_downloads=True
        ).new_page()
        page.goto(f"{url}/console")
        page.fill("#name", "zhang.sup")
        page.fill("#password", "pw-zhang-sup-123")
        page.click("#signin")
        page.wait_for_selector("#app", state="visible")
        page.click("#sup-link")
        page.wait_for_selector("#dashboard .kpi")  # the dashboard, with its charts
        assert len(page.query_selector_all("#dashboard .kpi")) == 10
        assert page.query_selector("#dashboard svg rect") is not None
        today = datetime.now(UTC).date()
        page.fill("#since", str(today - timedelta(days=1)))
        page.fill("#until", str(today))
        page.select_option("#priority", "P1")
        page.check("#breached")
        page.click("#go")
        page.wait_for_selector(".result")
        results = page.query_selector_all(".result")
        assert [r.get_attribute("data-conversation") for r in results] == [breached]
        results[0].click()
        page.wait_for_function("document.querySelector('#timeline').textContent.includes('盗刷')")
        timeline = page.text_content("#timeline")
        assert "已为您冻结账户" in timeline and "li.na" in timeline
        page.wait_for_selector("#submit-score")
        page.select_option("#score select[name='resolution']", "4")
        page.click("#submit-score")
        page.wait_for_function("document.querySelector('#message').className === 'ok'")
        assert "评分已保存" in page.text_content("#message")
        page.fill("#since", str(today - timedelta(days=7)))
        page.fill("#until", str(today + timedelta(days=1)))
        page.dispatch_event("#until", "change")
        with page.expect_download() as download:
            page.click("#export-csv")
        rows = list(
            csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8-sig").read()))
        )
        p1 = next(r for r in rows if r["dimension"] == "priority" and r["value"] == "P1")
        assert p1["tickets"] == "2" and float(p1["breach_rate"]) == 1.0
        # The rubric is edited on the page too.
        page.fill(".rule[data-key='greeting'] input.weight", "2")
        page.click(".rule[data-key='greeting'] button.save-rule")
        page.wait_for_function("document.querySelector('#message').className === 'ok'")
        page.wait_for_function(
            "document.querySelector(\".rule[data-key='greeting'] input.weight\").value === '2'"
        )
        page.screenshot(path=str(tmp_path / "supervisor.png"))

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
        ("export", "figures"),
        ("qa.rule", "qa_rule"),
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
