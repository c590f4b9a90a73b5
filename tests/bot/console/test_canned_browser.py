"""The canned replies screen in real Chromium at 1366×768: a supervisor adds a reply for
one team with variables; an agent of that team gets it, of another team does not."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser

from bot.access.accounts import add_user
from bot.core.db import Database
from tests.bot.console.test_desk_browser import desk_page
from tests.helpers import running_service, service_env

pytestmark = pytest.mark.browser
SCREENS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


def test_a_supervisor_adds_a_team_reply(settings, browser: Browser, tmp_path) -> None:
    db = Database(settings.database_url)
    add_user(db, "zhang.sup", "supervisor", "pw-zhang-sup-123", team="cards")
    add_user(db, "wang.a", "agent", "pw-wang-a-123", team="cards")
    add_user(db, "zhao.c", "agent", "pw-zhao-c-123", team="loans")
    db.dispose()
    SCREENS.mkdir(parents=True, exist_ok=True)
    with running_service(service_env(settings), tmp_path / "service.log") as url:
        sup = desk_page(browser, url, "zhang.sup", "pw-zhang-sup-123")
        sup.click("[data-nav=canned]")
        sup.wait_for_selector("[data-test=canned-rows] .el-table__row")
        sup.click("[data-test=canned-add]")
        sup.click("[data-test=canned-team]")
        sup.click(".el-select-dropdown__item:visible:has-text('cards')")
        sup.fill("input[data-test=canned-title-zh]", "补卡进度")
        sup.fill("input[data-test=canned-title-en]", "Card replacement")
        sup.fill(
            "textarea[data-test=canned-body-zh]", "{customer}您好，工单 {ticket} 的新卡已寄出。"
        )
        sup.fill(
            "textarea[data-test=canned-body-en]", "The new card for ticket {ticket} is on its way."
        )
        sup.click("[data-test=canned-save]")
        sup.wait_for_selector("[data-test=canned-rows] .el-table__row:has-text('补卡进度')")
        sup.wait_for_timeout(300)
        sup.screenshot(path=str(SCREENS / "desk-canned.png"))

        cards = desk_page(browser, url, "wang.a", "pw-wang-a-123")
        mine = cards.request.get(f"{url}/api/v1/desk/canned").json()
        assert any(r["title_zh"] == "补卡进度" for r in mine)
        loans = desk_page(browser, url, "zhao.c", "pw-zhao-c-123")
        theirs = loans.request.get(f"{url}/api/v1/desk/canned").json()
        assert not any(r["title_zh"] == "补卡进度" for r in theirs)
        # an agent has no canned screen
        assert loans.locator("[data-nav=canned]").count() == 0
