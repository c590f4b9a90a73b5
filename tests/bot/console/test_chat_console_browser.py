"""The chat console of the staff app in real Chromium (agent 1366×768, customers
390×844): two chats at once with unread badges; the handoff summary of a lost card
names the P1 ticket and the intent; the suggestion changes with the customer's second
question; a canned reply with the ticket number; the compliance warning on
「这款理财保本保收益」 and its override in the audit trail; typing shown to the agent;
30 more messages and the send box still on screen; the customer sees 小李 · 工号 1024;
a transfer through the picker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import select

from bot.access.accounts import add_user, set_public_name
from bot.core.db import Database
from bot.core.models import AuditEntry, Conversation, Handoff
from bot.pipeline.outgoing import queue_message
from fakes.processes import wait_for
from tests.bot.console.test_desk_browser import DESK, desk_page
from tests.conftest import SERVICE_TOKEN
from tests.helpers import SESSION_HEADER, beat, running_service, service_env

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
SCREENS = Path(__file__).resolve().parents[3] / "var" / "screenshots"
AUTH = {"Authorization": f"Bearer {SERVICE_TOKEN}"}


def say(page: Page, text: str) -> None:
    page.fill("#input", text)
    page.keyboard.press("Enter")


def hand_over(page: Page, url: str, key: str, category: str, subcategory: str, reason: str) -> str:
    """What the assistant's action does on 转人工 (tested with the real model in e2e): a
    ticket, then the queue. Returns the conversation's public id."""
    session = page.evaluate("localStorage.getItem('anxin.session')")
    ack = httpx.post(
        f"{url}/webhooks/webchat",
        json={"id": f"probe-{key}", "text": "请尽快"},
        headers={SESSION_HEADER: session},
    ).json()
    conversation = ack["conversation_id"]
    number = httpx.post(
        f"{url}/api/v1/internal/tickets",
        json={
            "conversation_id": conversation,
            "category": category,
            "subcategory": subcategory,
            "description": "客户要求人工",
            "idempotency_key": f"chat-console-{key}",
        },
        headers=AUTH,
    ).json()["number"]
    queued = httpx.post(
        f"{url}/api/v1/internal/handoffs",
        json={"conversation_id": conversation, "ticket_number": number, "reason": reason},
        headers=AUTH,
    ).json()
    assert queued["queued"] is True
    return conversation


def chat_item(page: Page, index: int) -> Any:
    return page.locator("[data-test=my-chat]").nth(index)


def test_two_chats_summary_suggestions_canned_compliance_and_transfer(
    settings, fake_rasa, browser: Browser, tmp_path
) -> None:
    db = Database(settings.database_url)
    add_user(db, "li.na", "agent", "pw-li-na-123", team="cards", capacity=3)
    add_user(db, "wang.wei", "agent", "pw-wang-wei-123", team="cards")
    set_public_name(db, "li.na", "小李", "1024")
    fake_rasa.intents["我的信用卡丢了"] = "report_card_lost"
    fake_rasa.reply = lambda text: (
        [{"text": "正在为您转接人工客服"}] if text == "转人工" else [{"text": f"echo: {text}"}]
    )
    SCREENS.mkdir(parents=True, exist_ok=True)
    with running_service(service_env(settings), tmp_path / "service.log") as url:
        li = desk_page(browser, url, "li.na", "pw-li-na-123")
        li.click("[data-nav=chats]")
        li.wait_for_selector("[data-test=status]")

        anna = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
        anna.goto(f"{url}/chat")
        say(anna, "我的信用卡丢了")
        anna.wait_for_selector(".row.bot .bubble:has-text('echo')")
        say(anna, "转人工")
        anna.wait_for_selector(".row.bot .bubble:has-text('转接')")
        anna_conversation = hand_over(anna, url, "anna", "incident", "card_lost", "p1")
        bo = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
        bo.goto(f"{url}/chat")
        say(bo, "转人工")
        bo.wait_for_selector(".row.bot .bubble:has-text('转接')")
        hand_over(bo, url, "bo", "inquiry", "human_request", "customer_request")

        # both are offered to li.na (the only agent on shift): accept both
        li.wait_for_selector("[data-test=queued] >> nth=1")
        li.click("[data-test=queued] >> nth=0 >> [data-test=accept]")
        li.wait_for_selector("[data-test=summary]")
        li.wait_for_selector("[data-test=queued] [data-test=accept]")
        li.click("[data-test=queued] [data-test=accept]")
        li.wait_for_selector("[data-test=my-chat] >> nth=1")
        anna.wait_for_selector(".row.agent .bubble:has-text('小李（工号 1024）')")
        # li.na has bo's chat open; anna writes: an unread badge on anna's chat
        say(anna, "网银密码忘记了怎么办")
        li.wait_for_selector("[data-test=my-chat] [data-test=unread]:has-text('1')")
        li.screenshot(path=str(SCREENS / "chat-two-chats.png"))

        # anna's chat: the summary, and a suggestion for each of her questions
        li.click("[data-test=my-chat]:has([data-test=unread])")
        li.wait_for_selector("[data-test=summary-ticket]:has-text('P1')")
        summary = li.inner_text("[data-test=summary]")
        # the intent and the subcategory, named
        assert "挂失银行卡" in summary and "卡片挂失" in summary
        li.wait_for_selector("[data-test=suggestions]:has-text('网银密码忘记了怎么办')")
        first = li.locator("[data-test=suggestion]").first.get_attribute("data-key")
        assert first == "reset_password"
        say(anna, "每天转账限额是多少")
        li.wait_for_selector("[data-test=suggestions]:has-text('每天转账限额是多少')")
        first = li.locator("[data-test=suggestion]").first.get_attribute("data-key")
        assert first == "transfer_limit"
        # customer typing reaches the agent
        anna.fill("#input", "还有一个问题")
        li.wait_for_selector("[data-test=customer-typing]:has-text('客户正在输入')")

        # a canned reply with the chat's ticket number, sent with Enter
        li.click("[data-test=canned]")
        li.click(".el-select-dropdown__item:visible:has-text('工单进度')")
        draft = li.input_value("textarea[data-test=draft]")
        ticket = draft.split("您的工单 ")[1].split(" ")[0]
        assert ticket.startswith("AX")
        li.focus("textarea[data-test=draft]")
        li.keyboard.press("Enter")
        anna.wait_for_selector(f".row.agent .bubble:has-text('{ticket}')")
        names = anna.locator(".row.agent .who").all_inner_texts()
        assert (
            names and all("小李 · 工号 1024" in n for n in names) and "li.na" not in "".join(names)
        )
        anna.screenshot(path=str(SCREENS / "chat-customer-agent-name.png"))

        # 事中质检: a warning, then the override (audited)
        li.fill("textarea[data-test=draft]", "这款理财保本保收益")
        li.keyboard.press("Enter")
        li.wait_for_selector(".compliance-box:has-text('保本保收益')")
        li.wait_for_timeout(300)
        li.screenshot(path=str(SCREENS / "chat-compliance.png"))
        li.click(".compliance-box .el-button--primary")
        anna.wait_for_selector(".row.agent .bubble:has-text('这款理财保本保收益')")
        with db.session() as session:
            audited = session.scalar(
                select(AuditEntry).where(AuditEntry.action == "compliance.override")
            )
            assert audited is not None and audited.actor == "li.na"

        # 30 more messages: the pane scrolls, the send box stays on screen
        with db.session() as session:
            conversation = session.scalar(
                select(Conversation).where(Conversation.public_id == anna_conversation)
            )
            assert conversation is not None
            for n in range(30):
                queue_message(session, conversation, f"第 {n + 1} 条说明", "agent", author="li.na")
        chat_item(li, 1).click()
        chat_item(li, 0).click()
        li.wait_for_selector("[data-test=pane] .bubble:has-text('第 30 条说明')")
        box = li.locator("textarea[data-test=draft]").bounding_box()
        assert box is not None and box["y"] + box["height"] <= DESK["height"]
        assert li.evaluate("document.scrollingElement.scrollHeight <= window.innerHeight + 1")
        pane = li.locator("[data-test=pane]")
        assert pane.evaluate("p => p.scrollHeight > p.clientHeight")
        li.screenshot(path=str(SCREENS / "chat-console.png"))

        # bo's chat goes to wang.wei through the picker
        beat(settings, "wang.wei")
        li.click("[data-test=my-chat]:not(.current)")
        li.click("[data-test=transfer]")
        li.click("[data-test=transfer-people] .el-table__row:has-text('wang.wei')")
        li.click("[data-test=transfer-apply]")
        wait_for(lambda: li.locator("[data-test=my-chat]").count() == 1)
        with db.session() as session:
            moved = session.scalar(select(Handoff).where(Handoff.agent == "wang.wei"))
            assert moved is not None and moved.state == "active"
    db.dispose()
