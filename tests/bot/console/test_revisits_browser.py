"""Call-backs and the 回访 worklist in real Chromium at 1366×768: a call-back promised
for tomorrow morning from the ticket page is listed under 待回电 and its number opens
with a reason; today's 回访 are worked — "not reached" goes to tomorrow, "reached,
unsatisfied" reopens the ticket — and the coverage shown is reached / required."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import select

from bot.access.accounts import add_user
from bot.core.db import Database, upsert
from bot.core.models import FollowupPlan, Ticket
from bot.tickets.lifecycle import transition
from tests.bot.console.test_desk_browser import choose_view, desk_page
from tests.helpers import running_service, seed_ticket, service_env

pytestmark = pytest.mark.browser
SCREENS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


def closed(db: Database, settings, visitor: str, text: str) -> str:
    number = seed_ticket(db, visitor, text, team="cards")
    with db.session() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket is not None
        ticket.assignee = "wang.a"
    transition(db, settings, number, "resolved", "wang.a", note="已处理")
    transition(db, settings, number, "closed", "system")
    return number


def rows(page: Page) -> list[str]:
    page.wait_for_selector("[data-test=revisits]:not(:has(.el-loading-mask:visible))")
    return [a.inner_text() for a in page.query_selector_all("[data-test=revisit-ticket]")]


def wait_rows(page: Page, expect: int) -> list[str]:
    for _ in range(100):
        found = rows(page)
        if len(found) == expect:
            return found
        page.wait_for_timeout(100)
    raise AssertionError(rows(page))


def record(page: Page, number: str, result: str, satisfaction: str | None = None) -> None:
    page.click(f"tr:has([data-test=revisit-ticket]:text-is('{number}')) [data-test=record]")
    page.click(f"[data-test=revisit-result] .el-radio:has-text('{result}')")
    if satisfaction:
        page.click(f"[data-test=revisit-satisfaction] .el-radio:has-text('{satisfaction}')")
    page.fill("textarea[data-test=revisit-note]", f"回访：{result}")
    page.click("[data-test=revisit-save]")


def test_callbacks_and_the_revisit_worklist(settings, browser: Browser, tmp_path) -> None:
    db = Database(settings.database_url)
    add_user(db, "wang.a", "agent", "pw-wang-a-123", team="cards")
    with db.session() as session:
        upsert(
            session,
            FollowupPlan,
            {"category": "complaint", "tier": "*"},
            {"delay_hours": 0, "active": True},
        )
    away, unhappy, happy = (
        closed(db, settings, f"v-rv-{n}", text)
        for n, text in enumerate(("账单分期", "年费扣错", "挂失补卡"))
    )
    open_one = seed_ticket(db, "v-cb", "客户要求明早回电说明额度", team="cards")
    SCREENS.mkdir(parents=True, exist_ok=True)
    with running_service(service_env(settings), tmp_path / "service.log") as url:
        wang = desk_page(browser, url, "wang.a", "pw-wang-a-123")

        # a call-back for tomorrow morning, on another number
        wang.goto(f"{url}/console/app/tickets/{open_one}")
        wang.click(".el-tabs__item:has-text('约定回电')")
        wang.click(".el-tab-pane:visible .el-date-editor input")
        wang.click(".el-picker-panel__shortcut:has-text('早上 9:00')")
        wang.fill("input[data-test=callback-phone]", "139 1234 5678")
        wang.click("[data-test=save-callback]")
        wang.wait_for_selector("[data-test=callback]")
        wang.click("[data-test=show-number]")
        wang.fill("input[data-test=unmask-reason]", "按约定回电客户")
        wang.click("[data-test=unmask-apply]")
        wang.wait_for_selector("[data-test=callback-number]:has-text('13912345678')")
        wang.wait_for_timeout(300)
        wang.screenshot(path=str(SCREENS / "desk-callback-ticket.png"))
        with db.session() as session:
            due = session.scalar(select(Ticket.callback_due_at).where(Ticket.number == open_one))
        # the next 09:00 in Shanghai (the browser's time zone), within a day
        assert due is not None and due.astimezone(UTC).hour == 1
        assert timedelta(0) < due - datetime.now(UTC) <= timedelta(days=1)
        wang.goto(f"{url}/console/app/tickets")
        wang.wait_for_selector("[data-test=count]")
        assert choose_view(wang, "待回电", 1) == [open_one]
        wang.screenshot(path=str(SCREENS / "desk-callbacks.png"))

        # today's 回访
        wang.click("[data-nav=revisits]")
        assert sorted(wait_rows(wang, 3)) == sorted([away, unhappy, happy])
        assert "0 / 3" in wang.inner_text("[data-test=coverage]")
        record(wang, away, "未联系上")
        wang.wait_for_selector(".el-message:has-text('已安排再次回访')")
        assert sorted(wait_rows(wang, 2)) == sorted([unhappy, happy])
        record(wang, unhappy, "已联系上", "不满意")
        wang.wait_for_selector(f".el-message:has-text('{unhappy}')")
        record(wang, happy, "已联系上", "满意")
        wait_rows(wang, 0)
        coverage = wang.inner_text("[data-test=coverage]")
        assert "66.7%" in coverage and "2 / 3" in coverage
        with db.session() as session:
            assert session.scalar(select(Ticket.status).where(Ticket.number == unhappy)) == "open"
            assert session.scalar(select(Ticket.status).where(Ticket.number == happy)) == "closed"
        wang.click("[data-test=revisit-views] .el-tabs__item:has-text('待开始')")
        assert wait_rows(wang, 1) == [away]
        wang.click("[data-test=revisit-views] .el-tabs__item:has-text('已完成')")
        assert sorted(wait_rows(wang, 2)) == sorted([unhappy, happy])
        wang.wait_for_timeout(300)
        wang.screenshot(path=str(SCREENS / "desk-revisits.png"))
    db.dispose()
