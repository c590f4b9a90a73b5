"""Customer and agent in two real Chromium pages: 转人工, accept, talk, end, survey."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from bot.accounts import add_user
from bot.db import Database
from tests.conftest import SERVICE_TOKEN
from tests.helpers import running_service, service_env

pytestmark = pytest.mark.browser


def test_customer_asks_for_a_person_agent_accepts_talks_and_ends(
    settings, fake_rasa, browser: Browser, tmp_path
) -> None:
    import httpx

    db = Database(settings.database_url)
    add_user(db, "li.na", "agent", "pw-li-na-123")
    db.dispose()

    def assistant(text: str) -> list[dict]:
        return (
            [{"text": "正在为您转接人工客服"}] if text == "转人工" else [{"text": f"echo: {text}"}]
        )

    fake_rasa.reply = assistant
    with running_service(
        service_env(settings, ANXIN_SLA_SCAN_S="0.5"), tmp_path / "service.log"
    ) as url:
        agent = browser.new_context(viewport={"width": 1200, "height": 800}).new_page()
        agent.goto(f"{url}/console")
        agent.fill("#name", "li.na")
        agent.fill("#password", "pw-li-na-123")
        agent.click("#signin")
        agent.wait_for_selector("#app", state="visible")

        customer = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        customer.goto(f"{url}/chat")
        customer.fill("#input", "转人工")
        customer.keyboard.press("Enter")
        customer.wait_for_function(
            "[...document.querySelectorAll('.row.bot .bubble')].some(b => b.textContent.includes('转接'))"
        )
        # What the assistant's action does on 转人工 (tested with the real model in e2e):
        # a ticket, then the queue.
        visitor = customer.evaluate("localStorage.getItem('anxin.visitor')")
        ack = httpx.post(
            f"{url}/webhooks/webchat",
            json={"visitor_id": visitor, "id": "probe-0001", "text": "我在等"},
        ).json()
        auth = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
        ticket = httpx.post(
            f"{url}/api/v1/internal/tickets",
            json={
                "conversation_id": ack["conversation_id"],
                "category": "inquiry",
                "subcategory": "human_request",
                "description": "转人工",
                "idempotency_key": "browser-1",
            },
            headers=auth,
        ).json()["number"]
        queued = httpx.post(
            f"{url}/api/v1/internal/handoffs",
            json={"conversation_id": ack["conversation_id"], "ticket_number": ticket},
            headers=auth,
        ).json()
        assert queued["queued"] is True  # the agent's open console counts as on shift

        agent.wait_for_selector(".item button", timeout=10000)
        agent.click(".item button")
        agent.wait_for_selector(".msg.customer")
        customer.wait_for_function(
            "[...document.querySelectorAll('.row.agent .who')].some(w => w.textContent === 'li.na')"
        )
        agent.wait_for_function(
            f"[...document.querySelectorAll('#profile .ticket')].some(d => d.textContent.includes('{ticket}'))"
        )
        agent.select_option("#canned", index=1)  # a canned reply fills the composer
        assert "很高兴为您服务" in agent.input_value("#input")
        agent.fill("#input", '<img src=x onerror="window.pwned=1">您好，我是李娜')
        agent.click("#send")
        customer.wait_for_function(
            "[...document.querySelectorAll('.row.agent .bubble')].some(b => b.textContent.includes('我是李娜'))"
        )
        assert (
            customer.evaluate("window.pwned") is None
            and customer.query_selector(".row.agent img") is None
        )
        customer.fill("#input", "谢谢，卡已经找到了")
        customer.keyboard.press("Enter")
        agent.wait_for_function(
            "[...document.querySelectorAll('.msg.customer .text')].some(t => t.textContent.includes('卡已经找到'))"
        )
        agent.click("#end")
        customer.wait_for_function(
            "[...document.querySelectorAll('.row.bot .bubble')].some(b => b.textContent.includes('打分'))",
            timeout=15000,
        )
        customer.screenshot(path=str(tmp_path / "customer.png"))
        agent.screenshot(path=str(tmp_path / "agent.png"))
