"""The ticket desk in real Chromium at 1366×768: the at-risk view shows exactly the
tickets with less than a quarter of their time left; three are bulk-assigned; two
duplicates of one customer are merged; an @mention reaches the colleague live; an
agent of another team neither sees the ticket listed nor can open it."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import select

from bot.access.accounts import add_user
from bot.core.db import Database
from bot.core.models import Ticket
from tests.helpers import running_service, seed_ticket, service_env

pytestmark = pytest.mark.browser
DESK = {"width": 1366, "height": 768}
SCREENS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


def desk_page(browser: Browser, url: str, name: str, password: str) -> Page:
    """The staff app, signed in as ``name`` (the app's own sign-in page)."""
    page = browser.new_context(
        viewport=DESK, locale="zh-CN", timezone_id="Asia/Shanghai"
    ).new_page()
    page.goto(f"{url}/console/app/")
    page.wait_for_selector("[data-test=sign-in]")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("[data-test=sign-in]")
    page.wait_for_selector("[data-test=count]")
    return page


def listed(page: Page) -> list[str]:
    page.wait_for_selector("[data-test=tickets]:not(:has(.el-loading-mask:visible))")
    return [a.inner_text() for a in page.query_selector_all("[data-test=ticket-link]")]


def choose_view(page: Page, label: str, expect: int) -> list[str]:
    """Open a saved view and wait for its ``expect`` rows (polled: the page's policy
    forbids the string evaluation ``wait_for_function`` would use)."""
    page.click(f"[data-test=views] .el-tabs__item:has-text('{label}')")
    for _ in range(100):
        rows = listed(page)
        if len(rows) == expect:
            return rows
        page.wait_for_timeout(100)
    raise AssertionError(f"{label}: {listed(page)}")


def test_desk_at_risk_bulk_merge_mention_and_scope(settings, browser: Browser, tmp_path) -> None:
    db = Database(settings.database_url)
    add_user(db, "wang.a", "agent", "pw-wang-a-123", team="cards")
    add_user(db, "li.b", "agent", "pw-li-b-1234", team="cards")
    add_user(db, "zhao.c", "agent", "pw-zhao-c-123", team="loans")
    risky = [
        seed_ticket(db, f"v-risk-{i}", f"年费争议 {i}", team="cards", elapsed=share)
        for i, share in enumerate((0.8, 0.85, 0.9, 0.95))
    ]
    seed_ticket(db, "v-ok", "额度咨询", team="cards", elapsed=0.5)
    seed_ticket(db, "v-late", "转账失败", team="cards", elapsed=1.2)
    first = seed_ticket(db, "v-dup", "ATM 吞卡", team="cards")
    second = seed_ticket(db, "v-dup", "ATM 吞了我的卡", team="cards")
    SCREENS.mkdir(parents=True, exist_ok=True)
    with running_service(service_env(settings), tmp_path / "service.log") as url:
        wang = desk_page(browser, url, "wang.a", "pw-wang-a-123")
        li = desk_page(browser, url, "li.b", "pw-li-b-1234")

        at_risk = choose_view(wang, "即将超时", len(risky))
        assert sorted(at_risk) == sorted(risky)
        wang.screenshot(path=str(SCREENS / "desk-at-risk.png"))

        # bulk-assign three of them to li.b
        boxes = wang.query_selector_all("[data-test=tickets] .el-table__body .el-checkbox")
        for box in boxes[:3]:
            box.click()
        wang.click("[data-test=bulk-assign]")
        wang.click("[data-test=bulk-assignee]")
        wang.click(".el-select-dropdown__item:visible:has-text('li.b')")
        wang.click("[data-test=bulk-apply]")
        wang.wait_for_selector(".el-message--success")
        with db.session() as session:
            assigned = session.scalars(select(Ticket.number).where(Ticket.assignee == "li.b"))
            assert sorted(assigned) == sorted(at_risk[:3])
        assert sorted(choose_view(li, "我的", 3)) == sorted(at_risk[:3])

        # merge the two duplicates of one customer
        wang.goto(f"{url}/console/app/tickets/{first}")
        wang.wait_for_selector("[data-test=merge]")
        wang.click("[data-test=merge]")
        wang.click(f"[data-test=merge-pick] .el-checkbox:has-text('{second}')")
        wang.click("[data-test=merge-apply]")
        wang.wait_for_selector(f"[data-test=duplicates]:has-text('{second}')")
        with db.session() as session:
            dup = session.scalar(select(Ticket).where(Ticket.number == second))
            assert dup is not None and dup.status == "closed" and dup.merged_into_id is not None

        # an @mention reaches li.b's app while it is open
        wang.click(".el-tabs__item:has-text('内部备注')")
        wang.fill("textarea[data-test=note]", "@li.b 请帮忙联系客户取卡")
        wang.click("[data-test=save-note]")
        li.wait_for_selector("[data-test=bell] .el-badge__content:has-text('1')")
        li.click("[data-test=bell]")
        li.wait_for_selector(f"[data-test=notice]:has-text('{first}')")
        li.wait_for_timeout(500)  # the popover's fade-in, for the screenshot
        li.screenshot(path=str(SCREENS / "desk-mention.png"))
        li.click(f"[data-test=notice]:has-text('{first}')")
        li.wait_for_selector("[data-test=timeline] .entry[data-action=note]")
        assert "请帮忙联系客户取卡" in li.inner_text("[data-test=timeline]")
        wang.screenshot(path=str(SCREENS / "desk-ticket.png"), full_page=True)

        # the loans team neither lists nor opens a cards ticket
        zhao = desk_page(browser, url, "zhao.c", "pw-zhao-c-123")
        zhao.click("[data-test=views] .el-tabs__item:has-text('全部工单')")
        zhao.wait_for_timeout(800)
        assert first not in listed(zhao) and not set(risky) & set(listed(zhao))
        zhao.goto(f"{url}/console/app/tickets/{first}")
        zhao.wait_for_selector("[data-test=error]")
        assert "没有" in zhao.inner_text("[data-test=error]") or "未找到" in zhao.inner_text(
            "[data-test=error]"
        )
    db.dispose()
