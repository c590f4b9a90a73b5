"""A supervisor edits a knowledge-base answer in the console; the assistant uses it at once."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser

from bot.access.accounts import add_user
from bot.core.db import Database
from tests.conftest import SERVICE_TOKEN
from tests.helpers import running_service, service_env, sign_in_page

pytestmark = pytest.mark.browser


def test_supervisor_edits_an_answer_and_it_is_live(settings, browser: Browser, tmp_path) -> None:
    db = Database(settings.database_url)
    add_user(db, "zhang.sup", "supervisor", "pw-zhang-sup-123")
    add_user(db, "li.na", "agent", "pw-li-na-123")
    db.dispose()
    with running_service(service_env(settings), tmp_path / "service.log") as url:

        def answer() -> str:
            return httpx.get(
                f"{url}/api/v1/internal/kb/reset_password",
                headers={"Authorization": f"Bearer {SERVICE_TOKEN}"},
            ).json()["answer"]

        page = browser.new_context(
            bypass_csp=True, viewport={"width": 1280, "height": 900}
        ).new_page()
        sign_in_page(page, url, "zhang.sup", "pw-zhang-sup-123")
        page.click("#kb-link")
        page.wait_for_selector(".entry[data-key='reset_password']")
        page.click(".entry[data-key='reset_password']")
        page.wait_for_function("document.querySelector('#answer_zh').value.length > 0")
        page.fill("#answer_zh", "请在手机银行点击「忘记密码」重置。<script>window.pwned=1</script>")
        page.fill("#similar_zh", "密码忘了\n登录密码重置")
        page.click("#save")
        page.wait_for_function("document.querySelector('#message').className === 'ok'")
        assert answer().startswith("请在手机银行点击「忘记密码」重置。")  # live, no retraining
        assert page.evaluate("window.pwned") is None
        page.wait_for_selector("#history .rollback")
        page.click("#history .rollback")  # back to the seeded answer
        page.wait_for_function("document.querySelector('#message').className === 'ok'")
        assert "忘记密码" in answer() and "<script>" not in answer()

        agent = browser.new_context(bypass_csp=True).new_page()  # an agent reads but cannot save
        sign_in_page(agent, url, "li.na", "pw-li-na-123")
        agent.goto(f"{url}/console/kb")
        agent.click(".entry[data-key='reset_password']")
        agent.wait_for_function("document.querySelector('#answer_zh').value.length > 0")
        agent.fill("#answer_zh", "坐席改的")
        agent.click("#save")
        agent.wait_for_function("document.querySelector('#message').className === 'error'")
        assert "主管" in agent.text_content("#message")
        assert "坐席改的" not in answer()


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
        page = browser.new_context(bypass_csp=True).new_page()
        sign_in_page(page, url, "zhang.sup", "pw-zhang-sup-123")
        page.goto(f"{url}/console/kb")
        page.wait_for_selector(".gap .make-entry")
        gap = page.text_content(".gap")
        assert "2" in gap and "猫咪在弹小提琴" in gap and "小猫在拉小提琴" in gap
        page.click(".gap .make-entry")
        assert page.input_value("#question_zh") in ("猫咪在弹小提琴", "小猫在拉小提琴")
        assert page.input_value("#similar_zh") in ("猫咪在弹小提琴", "小猫在拉小提琴")
        page.fill("#try-text", "网银密码忘了")
        page.click("#try")
        page.wait_for_function("document.querySelector('#try-result').textContent.length > 0")
        result = page.text_content("#try-result")
        assert "直接回答" in result and "reset_password" in result
