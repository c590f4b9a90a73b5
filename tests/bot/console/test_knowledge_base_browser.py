"""The knowledge base in the staff app, in real Chromium at 1366×768: a supervisor's
edit waits for a second person — the assistant keeps the old answer, the editor cannot
approve it, an agent cannot edit — and is answered once another supervisor approves it;
an answer promising 「保本保收益」 cannot be submitted; the diff shows what changed, for
the change and between versions. Staff see unanswered questions and try a question."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser

from bot.access.accounts import add_user
from bot.core.db import Database
from tests.bot.console.test_desk_browser import desk_page
from tests.conftest import SERVICE_TOKEN
from tests.helpers import running_service, service_env

pytestmark = pytest.mark.browser
SCREENS = Path(__file__).resolve().parents[3] / "docs" / "images"
KEY = "reset_password"
NEW = "请在手机银行点击「忘记密码」重置，验证身份后设置新密码。<script>window.pwned=1</script>"


def test_an_edit_reaches_customers_once_a_second_person_approves(
    settings, browser: Browser, tmp_path
) -> None:
    db = Database(settings.database_url)
    add_user(db, "zhang.sup", "supervisor", "pw-zhang-sup-123")
    add_user(db, "zhou.sup", "supervisor", "pw-zhou-sup-1234")
    add_user(db, "li.na", "agent", "pw-li-na-123")
    db.dispose()
    with running_service(service_env(settings), tmp_path / "service.log") as url:

        def answer() -> str:
            return httpx.get(
                f"{url}/api/v1/internal/kb/{KEY}",
                headers={"Authorization": f"Bearer {SERVICE_TOKEN}"},
            ).json()["answer"]

        before = answer()
        editor = desk_page(browser, url, "zhang.sup", "pw-zhang-sup-123")
        editor.click("[data-nav=kb]")
        editor.click(f"[data-test=kb-edit-{KEY}]")
        editor.fill("textarea[data-test=kb-answer-zh]", "本行理财保本保收益，请放心。")
        editor.click("[data-test=kb-submit]")
        refused = editor.inner_text("[data-test=kb-forbidden]")
        assert "保本保收益" in refused and "禁止承诺保本保收益" in refused
        editor.fill("textarea[data-test=kb-answer-zh]", NEW)
        editor.click("[data-test=kb-submit]")
        editor.wait_for_selector(".el-message:has-text('等待第二人审核')")
        editor.wait_for_selector("[data-test=kb-pending-tag]")
        assert answer() == before  # not yet: nobody else approved it

        editor.click(".el-tabs__item:has-text('待审核')")
        change = f"[data-test=kb-change][data-key={KEY}]"
        assert editor.locator(f"{change} [data-test=kb-approve]").is_disabled()  # not their own

        agent = desk_page(browser, url, "li.na", "pw-li-na-123")
        agent.click("[data-nav=kb]")
        agent.wait_for_selector(f"[data-test=kb-history-{KEY}]")
        assert agent.locator(f"[data-test=kb-edit-{KEY}]").count() == 0  # agents read

        reviewer = desk_page(browser, url, "zhou.sup", "pw-zhou-sup-1234")
        reviewer.click("[data-nav=kb]")
        reviewer.click(".el-tabs__item:has-text('待审核')")
        reviewer.wait_for_selector(f"{change} [data-test=diff-ins]")
        inserted = " ".join(reviewer.locator(f"{change} [data-test=diff-ins]").all_inner_texts())
        assert "验证身份后设置新密码" in inserted
        reviewer.wait_for_timeout(300)
        reviewer.screenshot(path=str(SCREENS / "kb-review.png"))
        reviewer.click(f"{change} [data-test=kb-approve]")
        reviewer.wait_for_selector(".el-message:has-text('已批准')")
        assert answer() == NEW  # live for customers now, no retraining
        assert reviewer.evaluate("window.pwned") is None  # shown as text, never run

        reviewer.click(".el-tabs__item:has-text('条目')")
        reviewer.click(f"[data-test=kb-history-{KEY}]")
        reviewer.wait_for_selector("[data-test=kb-version-diff]")
        versions = reviewer.inner_text(".el-drawer")
        assert "zhou.sup 审核" in versions and "zhang.sup" in versions
        reviewer.wait_for_timeout(300)
        reviewer.screenshot(path=str(SCREENS / "kb-versions.png"))


def test_staff_see_unanswered_questions_and_try_a_question(
    settings, browser: Browser, tmp_path
) -> None:
    db = Database(settings.database_url)
    add_user(db, "zhang.sup", "supervisor", "pw-zhang-sup-123")
    db.dispose()
    with running_service(service_env(settings), tmp_path / "service.log") as url:
        for text in ("猫咪在弹小提琴", "小猫在拉小提琴"):  # what customers asked, unanswered
            decided = httpx.post(
                f"{url}/api/v1/internal/kb/match",
                headers={"Authorization": f"Bearer {SERVICE_TOKEN}"},
                json={"text": text},
            ).json()
            assert decided["decision"] == "unanswered"
        page = desk_page(browser, url, "zhang.sup", "pw-zhang-sup-123")
        page.click("[data-nav=kb]")
        page.click(".el-tabs__item:has-text('未解答问题')")
        page.wait_for_selector("[data-test=kb-from-gap]")
        gap = page.inner_text(".el-tab-pane:visible .el-table__row")
        assert "2" in gap and "猫咪在弹小提琴" in gap and "小猫在拉小提琴" in gap
        page.click("[data-test=kb-from-gap]")
        asked = {"猫咪在弹小提琴", "小猫在拉小提琴"}
        assert page.input_value("[data-test=kb-question-zh]") in asked
        page.keyboard.press("Escape")
        page.click(".el-tabs__item:has-text('试一试')")
        page.fill("[data-test=kb-try-text]", "网银密码忘了")
        page.click("[data-test=kb-try]")
        result = page.inner_text("[data-test=kb-try-result]")
        assert "直接回答" in result and "忘记密码" in result
