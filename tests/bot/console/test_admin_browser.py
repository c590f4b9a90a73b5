"""Administration in real Chromium at 1366×768: an admin adds a person (who must choose
their own password at the first sign-in), makes an API token for an agent, disables the
agent — their open app and their token are refused at their next call —, resets a
password (a change is forced), and schedules a shift in the calendar."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import select

from bot.access.accounts import add_user
from bot.core.db import Database
from bot.core.models import AuditEntry, Shift, Ticket
from tests.bot.console.test_desk_browser import DESK, desk_page
from tests.helpers import running_service, seed_ticket, service_env

pytestmark = pytest.mark.browser
SCREENS = Path(__file__).resolve().parents[3] / "docs" / "images"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def first_sign_in(browser: Browser, url: str, name: str, temporary: str, chosen: str) -> Page:
    """A person's first sign-in with a temporary password: the page asks for a new one."""
    page = browser.new_context(
        viewport=DESK, locale="zh-CN", timezone_id="Asia/Shanghai"
    ).new_page()
    page.goto(f"{url}/console/app/")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", temporary)
    page.click("[data-test=sign-in]")
    page.wait_for_selector("[data-test=must-change]")
    page.fill("input[name=new-password]", chosen)
    page.fill("input[name=new-password-again]", chosen)
    return page


def confirm(page: Page) -> None:
    page.click(".el-message-box__btns .el-button--primary")


def row_of(page: Page, name: str) -> str:
    return f"[data-test=people] .el-table__row:has(b:text-is('{name}'))"


def test_people_tokens_and_shifts(settings, browser: Browser, tmp_path) -> None:
    db = Database(settings.database_url)
    add_user(db, "root.admin", "admin", "pw-root-admin-123")
    add_user(db, "wang.a", "agent", "pw-wang-a-123", team="cards")
    add_user(db, "li.b", "agent", "pw-li-b-1234", team="cards")
    SCREENS.mkdir(parents=True, exist_ok=True)
    with running_service(service_env(settings), tmp_path / "service.log") as url:
        admin = desk_page(browser, url, "root.admin", "pw-root-admin-123")
        wang = desk_page(browser, url, "wang.a", "pw-wang-a-123")

        # a new person, with a temporary password shown once
        admin.click("[data-nav=people]")
        admin.wait_for_selector(row_of(admin, "li.b"))
        admin.click("[data-test=person-add]")
        admin.fill("[data-test=person-name]", "zhou.e")
        admin.click("[data-test=person-team]")
        admin.click(".el-select-dropdown__item:visible:has-text('cards')")
        admin.click(".el-dialog label.el-checkbox:visible:has-text('投诉')")
        admin.fill("[data-test=person-display]", "小周")
        admin.fill("[data-test=person-number]", "3072")
        admin.click("[data-test=person-save]")
        temporary = admin.inner_text("[data-test=temp-password]").strip()
        admin.wait_for_timeout(300)
        admin.screenshot(path=str(SCREENS / "admin-new-person.png"))
        admin.click("[data-test=secret-close]")
        assert "待修改密码" in admin.inner_text(row_of(admin, "zhou.e"))

        zhou = first_sign_in(browser, url, "zhou.e", temporary, "zhou-chose-this-1")
        zhou.wait_for_timeout(200)
        zhou.screenshot(path=str(SCREENS / "sign-in-new-password.png"))
        zhou.click("[data-test=sign-in]")
        zhou.wait_for_selector("[data-test=who]:has-text('zhou.e')")

        # an API token for wang.a, shown once
        admin.click("[data-nav=tokens]")
        admin.click("[data-test=token-add]")
        admin.fill("[data-test=token-name]", "wang-crm")
        admin.click("[data-test=token-scopes] label:visible:has-text('查看工单')")
        admin.click("[data-test=token-owner]")
        admin.click(".el-select-dropdown__item:visible:has-text('wang.a')")
        admin.click("[data-test=token-create]")
        token = admin.inner_text("[data-test=token-value]").strip()
        assert token.startswith("anx_")
        bearer = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{url}/api/v1/tickets", headers=bearer).status_code == 200
        admin.keyboard.press("Escape")
        admin.reload()
        admin.wait_for_selector("[data-test=tokens] .el-table__row:has-text('wang-crm')")
        admin.wait_for_timeout(300)
        admin.screenshot(path=str(SCREENS / "admin-tokens.png"))

        # disabling wang.a: the open app and the token are refused at the next call
        admin.click("[data-nav=people]")
        admin.click(f"{row_of(admin, 'wang.a')} [data-test=person-disable]")
        confirm(admin)
        admin.wait_for_selector(f"{row_of(admin, 'wang.a')} [data-test=person-enable]")
        assert httpx.get(f"{url}/api/v1/tickets", headers=bearer).status_code == 401
        # her next click, unless her socket's heartbeat got there first (then the app is
        # at sign-in already and the menu is gone)
        wang.evaluate("document.querySelector('[data-nav=revisits]')?.click()")
        wang.wait_for_selector("[data-test=ended]")
        assert "/sign-in" in wang.url
        admin.wait_for_timeout(300)
        admin.screenshot(path=str(SCREENS / "admin-people.png"))

        # a reset password: li.b must choose a new one
        admin.click(f"{row_of(admin, 'li.b')} [data-test=person-reset]")
        confirm(admin)
        reset = admin.inner_text("[data-test=temp-password]").strip()
        admin.click("[data-test=secret-close]")
        li = first_sign_in(browser, url, "li.b", reset, "li-chose-this-22")
        li.click("[data-test=sign-in]")
        li.wait_for_selector("[data-test=who]:has-text('li.b')")

        # a shift for li.b tomorrow 08:30-17:30: nobody is on shift until then
        tomorrow = (datetime.now(SHANGHAI) + timedelta(days=1)).date()
        admin.click("[data-nav=shifts]")
        admin.wait_for_selector("[data-test=shift-grid]")
        if tomorrow.weekday() == 0:
            admin.click("[data-test=next-week]")
        admin.click(f"[data-test=shift-cell-li\\.b-{tomorrow.isoformat()}]")
        admin.click("[data-test=shift-save]")
        admin.wait_for_selector("[data-test=shift]:has-text('08:30–17:30')")
        now_line = admin.inner_text("[data-test=shift-now]")
        assert "现在无人值班" in now_line and f"{tomorrow.isoformat()} 08:30" in now_line
        admin.wait_for_timeout(300)
        admin.screenshot(path=str(SCREENS / "shift-calendar.png"))

    with db.session() as session:
        shift = session.scalar(select(Shift))
        assert shift.user_name == "li.b"
        assert shift.starts_at.astimezone(SHANGHAI).strftime("%H:%M") == "08:30"
        actions = set(session.scalars(select(AuditEntry.action)))
    assert {
        "user.create",
        "password.change",
        "token.create",
        "user.disable",
        "user.password_reset",
        "shift.create",
    } <= actions
    db.dispose()


def test_an_sla_policy_edited_in_the_app_changes_new_tickets_only(
    settings, browser: Browser, tmp_path
) -> None:
    db = Database(settings.database_url)
    add_user(db, "root.admin", "admin", "pw-root-admin-123")
    old = seed_ticket(db, "v-before", "想了解理财产品", category="inquiry")
    with running_service(service_env(settings), tmp_path / "service.log") as url:
        admin = desk_page(browser, url, "root.admin", "pw-root-admin-123")
        admin.click("[data-nav=settings]")
        admin.click("[data-test=policy-edit-P3-\\*]")
        admin.fill("[data-test=policy-first] input", "60")
        admin.fill("[data-test=policy-resolution] input", "480")
        admin.click("[data-test=policy-save]")
        row = "[data-test=policies] .el-table__row:has-text('P3')"
        admin.wait_for_selector(f"{row} [data-test=first-response]:text-is('1小时')")
        assert admin.inner_text(f"{row} [data-test=resolution]") == "8小时"
        admin.wait_for_timeout(300)
        admin.screenshot(path=str(SCREENS / "admin-settings.png"))
        new = seed_ticket(db, "v-after", "信用卡额度怎么查", category="inquiry")
    with db.session() as session:
        due = {
            t.number: t.first_response_due_at - t.created_at
            for t in session.scalars(select(Ticket).where(Ticket.number.in_((old, new))))
        }
        detail = session.scalar(select(AuditEntry.detail).where(AuditEntry.action == "sla.policy"))
    assert due == {old: timedelta(hours=24), new: timedelta(minutes=60)}
    assert detail == "first_response_minutes 1440 → 60; resolution_minutes 4320 → 480"
    db.dispose()
