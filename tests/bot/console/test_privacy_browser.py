"""Data and privacy in real Chromium at 1366×768, as an administrator handles a
customer's request: find them by phone number, place a legal hold (the erasure is then
refused in the page), lift it, erase them after typing their label, export another
customer's data (JSON and a readable page), and read the retention rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser

from bot.access.accounts import add_user
from bot.core.db import Database
from tests.bot.console.test_desk_browser import desk_page
from tests.bot.privacy.seed import seed
from tests.bot.privacy.test_erasure import everything
from tests.helpers import running_service, service_env

pytestmark = pytest.mark.browser
SCREENS = Path(__file__).resolve().parents[3] / "docs" / "images"


def test_a_customer_request_from_hold_to_erasure_and_an_export(
    settings, browser: Browser, tmp_path
) -> None:
    db = Database(settings.database_url)
    add_user(db, "root.admin", "admin", "pw-root-admin-123")
    zhang = seed(db, "张三丰", "+8613912345678", "visitor-zhang", "我的借记卡在地铁上丢了")
    li = seed(db, "李四光", "+8613700002222", "visitor-li", "信用卡账单金额不对")
    SCREENS.mkdir(parents=True, exist_ok=True)
    with running_service(service_env(settings), tmp_path / "service.log") as url:
        page = desk_page(browser, url, "root.admin", "pw-root-admin-123")
        page.click("[data-nav=privacy]")
        page.fill("[data-test=privacy-phone]", "139 1234 5678")
        page.click("[data-test=privacy-find]")
        subject = page.wait_for_selector("[data-test=privacy-subject]")
        assert "2 个会话、1 张工单" in subject.inner_text() and zhang.ticket in subject.inner_text()

        # a legal hold: the erasure cannot even be started
        page.click("[data-test=privacy-hold]")
        page.fill(".el-message-box__input input", "诉讼保全（2026）京0105民初123号")
        page.click(".el-message-box__btns .el-button--primary")
        page.wait_for_selector("[data-test=privacy-held]")
        assert page.is_disabled("[data-test=privacy-erase]")
        page.wait_for_timeout(300)
        page.screenshot(path=str(SCREENS / "privacy-held.png"))

        page.click(".el-tabs__item:has-text('法律保全')")
        page.click("[data-test=hold-lift]")
        page.fill(".el-message-box__input input", "判决已生效")
        page.click(".el-message-box__btns .el-button--primary")
        page.wait_for_selector("[data-test=holds] .el-table__empty-text")

        # the erasure, confirmed by typing the customer's label
        page.click(".el-tabs__item:has-text('客户请求')")
        page.click("[data-test=privacy-find]")
        page.wait_for_selector("[data-test=privacy-erase]:not([disabled])")
        page.click("[data-test=privacy-erase]")
        label = page.inner_text("[data-test=privacy-subject] b").strip()
        page.fill("[data-test=erase-reason]", "客户 12 月 1 日书面申请，编号 2026-118")
        assert page.is_disabled("[data-test=erase-go]")
        page.fill("[data-test=erase-confirm]", label)
        page.click("[data-test=erase-go]")
        done = page.wait_for_selector("[data-test=privacy-erased]")
        assert "2 个会话" in done.inner_text()
        page.wait_for_timeout(300)
        page.screenshot(path=str(SCREENS / "privacy-erased.png"))
        assert "张三丰" not in everything(db) and "李四光" in everything(db)

        # another customer's export: the data and a page to hand them
        page.click("[data-test=privacy-way] label:has-text('工单号')")
        page.fill("[data-test=privacy-ticket]", li.ticket)
        page.click("[data-test=privacy-find]")
        page.wait_for_selector("[data-test=privacy-subject]")
        downloads = []
        page.on("download", lambda download: downloads.append(download))
        page.click("[data-test=privacy-export]")
        for _ in range(50):
            if len(downloads) == 2:
                break
            page.wait_for_timeout(100)
        saved = {d.suggested_filename.rsplit(".", 1)[1]: d for d in downloads}
        assert sorted(saved) == ["html", "json"]
        assert saved["html"].suggested_filename.endswith(".zh.html")
        html = Path(saved["html"].path()).read_text()
        assert "个人信息副本" in html and "李四光" in html
        reader = page.context.new_page()  # as the customer reads it
        reader.set_content(html)
        reader.screenshot(path=str(SCREENS / "privacy-export.png"))
        reader.close()

        page.click(".el-tabs__item:has-text('保留期限')")
        page.wait_for_selector("[data-test=retention] .el-table__row")
        assert "会话记录" in page.inner_text("[data-test=retention]")
        page.wait_for_timeout(300)
        page.screenshot(path=str(SCREENS / "privacy-retention.png"))
        page.click(".el-tabs__item:has-text('处理记录')")
        assert "删除个人信息" in page.wait_for_selector("[data-test=privacy-records]").inner_text()
    db.dispose()
