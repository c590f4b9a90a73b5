"""The customer's chat page at phone size (390×844) in Chromium, against the whole stack
with the real model: greeting, a question answered from the knowledge base, a
complaint that opens its ticket at once, the resolution question and the survey with
quick replies after staff resolve it, and the chat ended. Screenshots are kept in
var/screenshots (the docs show them)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from bot.core.config import Settings
from bot.core.db import Database
from bot.tickets.lifecycle import transition
from launcher.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
SCREENS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
TICKET = re.compile(r"AX\d{11}")


def _say(page: Page, text: str, replies_before: int) -> str:
    page.fill("#input", text)
    page.keyboard.press("Enter")
    page.wait_for_selector(f".row.bot .bubble >> nth={replies_before}", timeout=60_000)
    page.wait_for_timeout(1500)  # replies in several messages come close together
    return page.query_selector_all(".row.bot .bubble")[-1].inner_text()


def _bot_count(page: Page) -> int:
    return len(page.query_selector_all(".row.bot .bubble"))


def test_a_customers_chat_on_a_phone(stack: Stack, browser: Browser) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{stack.service_url}/chat")
        page.wait_for_selector(".welcome")
        greeting = _say(page, "您好", 0)
        assert "您好" in greeting
        assert page.query_selector(".buttons button:has-text('转人工')") is not None
        page.screenshot(path=str(SCREENS / "chat-phone-greeting.png"))

        answer = _say(page, "网点一般几点开门呀", _bot_count(page))
        assert "营业" in answer, answer
        page.screenshot(path=str(SCREENS / "chat-phone-faq.png"))

        opened = _say(page, "投诉：上周五柜员把我的钱存错了账户，到现在还没处理", _bot_count(page))
        found = TICKET.search(opened)
        assert found is not None and "已为您登记工单" in opened, opened
        assert "请简要描述" not in opened
        page.screenshot(path=str(SCREENS / "chat-phone-ticket.png"))

        before = _bot_count(page)
        db = Database(stack.config.database_url)
        try:
            transition(db, Settings(), found.group(0), "resolved", "li.na", note="已更正入账")
        finally:
            db.dispose()
        page.wait_for_selector(f".row.bot .bubble >> nth={before}", timeout=60_000)
        page.click(".buttons button:has-text('1 已解决')")
        page.wait_for_selector(".buttons button:has-text('5 非常满意')", timeout=60_000)
        survey = page.query_selector_all(".buttons:has(button:has-text('5 非常满意')) button")
        titles = [b.inner_text() for b in survey]
        assert titles[:5] == ["5 非常满意", "4 满意", "3 一般", "2 不满意", "1 非常不满意"], titles
        page.screenshot(path=str(SCREENS / "chat-phone-survey.png"))

        page.once("dialog", lambda dialog: dialog.accept())
        page.click("#end")
        page.wait_for_selector(".notice.ended")
        assert page.query_selector(".row") is None  # nothing left on this device
        page.screenshot(path=str(SCREENS / "chat-phone-ended.png"))
    finally:
        context.close()
