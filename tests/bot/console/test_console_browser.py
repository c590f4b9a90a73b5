"""Customer and agent in two real Chromium pages: 转人工, accept, talk, end, survey."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Route

from bot.access.accounts import add_user
from bot.core.db import Database
from fakes.processes import wait_for
from tests.conftest import SERVICE_TOKEN
from tests.helpers import (
    SESSION_HEADER,
    open_chat,
    running_service,
    service_env,
    sign_in_page,
    texts,
)

pytestmark = pytest.mark.browser
SCREENS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


def test_customer_asks_for_a_person_agent_accepts_talks_and_ends(
    settings, fake_rasa, browser: Browser, tmp_path
) -> None:
    import httpx

    db = Database(settings.database_url)
    add_user(db, "li.na", "agent", "pw-li-na-123", display_name="李娜", staff_number="0007")
    db.dispose()

    def assistant(text: str) -> list[dict]:
        return (
            [{"text": "正在为您转接人工客服"}] if text == "转人工" else [{"text": f"echo: {text}"}]
        )

    fake_rasa.reply = assistant
    with running_service(
        service_env(settings, ANXIN_SLA_SCAN_S="0.5"), tmp_path / "service.log"
    ) as url:
        agent = browser.new_context(
            bypass_csp=True, viewport={"width": 1200, "height": 800}
        ).new_page()
        sign_in_page(agent, url, "li.na", "pw-li-na-123")

        customer = browser.new_context(
            bypass_csp=True, viewport={"width": 390, "height": 844}
        ).new_page()
        customer.goto(f"{url}/chat")
        customer.fill("#input", "转人工")
        customer.keyboard.press("Enter")
        customer.wait_for_function(
            "[...document.querySelectorAll('.row.bot .bubble')].some(b => b.textContent.includes('转接'))"
        )
        # What the assistant's action does on 转人工 (tested with the real model in e2e):
        # a ticket, then the queue.
        page_session = customer.evaluate("localStorage.getItem('anxin.session')")
        ack = httpx.post(
            f"{url}/webhooks/webchat",
            json={"id": "probe-0001", "text": "我在等"},
            headers={SESSION_HEADER: page_session},
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

        # The router offers the chat to the only agent on shift, with a countdown.
        agent.wait_for_selector(".item.offered .countdown", timeout=10000)
        assert agent.query_selector(".item.offered button.decline") is not None
        agent.click(".item.offered button.primary")
        agent.wait_for_selector(".msg.customer")
        customer.wait_for_function(
            "[...document.querySelectorAll('.row.agent .who')].some(w => w.textContent === '李娜 · 工号 0007')"
        )
        agent.wait_for_function(
            f"[...document.querySelectorAll('#tickets-panel .ticket')].some(d => d.textContent.includes('{ticket}'))"
        )
        # The customer has not proved who they are: the agent is warned.
        assert agent.text_content("#identity") == "身份未验证：勿透露工单或账户信息"
        # The ticket panel: move the ticket, add a note, open a second ticket.
        row = f"#tickets-panel .ticket[data-number='{ticket}']"
        agent.select_option(f"{row} select.move", "open")
        agent.click(f"{row} button.apply-move")
        agent.wait_for_function(
            f"document.querySelector(\"{row} .summary\").textContent.includes('处理中')"
        )
        agent.fill(f"{row} textarea.note", "客户称卡已找回")
        agent.click(f"{row} button.add-note")
        agent.wait_for_function("document.querySelector('#chat-error').textContent === '已保存'")
        agent.select_option("#new-category", "complaint")
        agent.fill("#new-description", "客户投诉网点排队时间长")
        agent.click("#create-ticket")
        agent.wait_for_function(
            "document.querySelectorAll('#tickets-panel .ticket[data-number]').length === 2"
        )
        # A live SLA warning for this agent shows at once.
        publish_staff(
            settings,
            {
                "type": "escalation",
                "target": "agent:li.na",
                "ticket": ticket,
                "subject": f"[P3] {ticket} 即将超时 / due soon (warn:75)",
            },
        )
        agent.wait_for_function(
            f"[...document.querySelectorAll('#alerts li')].some(li => li.textContent.includes('{ticket}'))"
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
        transcript = [
            m.get_attribute("class").split()[1] for m in agent.query_selector_all("#log .msg")
        ]
        # The assistant's turns, the handoff (queued, taken), then only the people, in order.
        assert transcript[:2] == ["customer", "bot"] and transcript.count("system") == 2
        assert transcript[-4:] == ["system", "agent", "agent", "customer"]
        marks = [m.text_content() for m in agent.query_selector_all("#log .msg.system")]
        assert "转入人工队列：客户要求" in marks[0] and "li.na 接入" in marks[1]
        agent.select_option("#disposition", "resolved")
        agent.click("#end")
        customer.wait_for_function(
            "[...document.querySelectorAll('.row.bot .bubble')].some(b => b.textContent.includes('打分'))",
            timeout=15000,
        )
        # the survey comes with quick replies, as the resolution question does
        customer.wait_for_selector(".row.bot .buttons button:has-text('5 非常满意')")
        SCREENS.mkdir(parents=True, exist_ok=True)
        customer.screenshot(path=str(SCREENS / "chat-survey-buttons.png"))
        agent.screenshot(path=str(tmp_path / "agent.png"))


def test_live_messages_that_arrive_while_the_history_loads_come_after_it(
    settings, fake_rasa, browser: Browser, tmp_path
) -> None:
    """Accepting a chat sends the agent's greeting at once, and the customer may write
    before the console has the chat's history: the history is drawn first."""
    import json

    import httpx

    db = Database(settings.database_url)
    add_user(db, "li.na", "agent", "pw-li-na-123", display_name="李娜", staff_number="0007")
    db.dispose()
    fake_rasa.reply = lambda text: [{"text": f"echo: {text}"}]
    with running_service(service_env(settings), tmp_path / "service.log") as url:
        agent = browser.new_context(
            bypass_csp=True, viewport={"width": 1200, "height": 800}
        ).new_page()
        frames: list[str] = []
        agent.on(
            "websocket",
            lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))),
        )
        held: list[Route] = []

        def hold_history(route: Route) -> None:
            if route.request.method == "GET":
                held.append(route)  # answered below, once the live frames are in
            else:
                route.continue_()

        agent.route("**/console/api/handoffs/*/messages", hold_history)
        sign_in_page(agent, url, "li.na", "pw-li-na-123")

        early = {SESSION_HEADER: open_chat(httpx, url)}

        def webchat(message_id: str, text: str) -> dict:
            return httpx.post(
                f"{url}/webhooks/webchat",
                json={"id": message_id, "text": text},
                headers=early,
            ).json()

        ack = webchat("early-0001", "我想咨询贷款")
        answered = Database(settings.database_url)
        wait_for(lambda: texts(answered, "bot"))  # the assistant's answer is stored
        answered.dispose()
        queued = httpx.post(
            f"{url}/api/v1/internal/handoffs",
            json={"conversation_id": ack["conversation_id"]},
            headers={"Authorization": f"Bearer {SERVICE_TOKEN}"},
        ).json()
        assert queued["queued"] is True
        agent.wait_for_selector(".item.offered button.primary", timeout=10000)
        agent.click(".item.offered button.primary")
        while not held:
            agent.wait_for_timeout(50)  # the console asks for the history
        history = held[0].fetch()
        webchat("early-0002", "还在吗")

        def arrived(sender: str) -> bool:
            return any(json.loads(f).get("sender") == sender for f in frames if f.startswith("{"))

        while not (arrived("agent") and arrived("customer")):
            agent.wait_for_timeout(50)  # the greeting and the new message reached the page
        held[0].fulfill(response=history)
        agent.wait_for_function(
            "[...document.querySelectorAll('#log .msg.customer .text')].some(t => t.textContent === '还在吗')"
        )
        senders = [
            m.get_attribute("class").split()[1] for m in agent.query_selector_all("#log .msg")
        ]
        drawn = [t.text_content() for t in agent.query_selector_all("#log .msg .text")]
        assert senders == ["customer", "bot", "system", "system", "agent", "customer"], senders
        assert drawn.count("还在吗") == 1 and drawn[0] == "我想咨询贷款"


def publish_staff(settings, frame: dict) -> None:
    """What the SLA notifier publishes (synchronously: Playwright owns this thread's loop)."""
    import json

    import redis

    client = redis.Redis.from_url(settings.redis_url)
    client.publish(f"{settings.redis_prefix}:staff", json.dumps(frame, ensure_ascii=False))
    client.close()
