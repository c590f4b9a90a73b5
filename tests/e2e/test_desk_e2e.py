"""The ticket desk's day, for real (Rasa, actions, the service on PostgreSQL), with the
agent in Chromium at 1366×768: a web-chat customer asks for a person while nobody is on
shift and gets a ticket; an agent signs in to the staff app, finds it under
"unassigned", opens it, logs a call, replies — the reply reaches the customer's chat —
and resolves it with a note; the customer is then asked whether the problem is solved."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from playwright.sync_api import Browser

from bot.access.accounts import add_user
from bot.core.db import Database
from launcher.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
TICKET = re.compile(r"AX\d{11}")
SCREENS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


async def _talk(url: str, session: str, text: str | None) -> list[dict[str, Any]]:
    """The chat page's socket: the history, and (with ``text``) the bot's replies to it."""
    async with websockets.connect(url.replace("http", "ws") + "/chat/ws") as ws:
        await ws.send(json.dumps({"type": "hello", "session": session}))
        history = json.loads(await ws.recv())
        assert history["type"] == "history"
        if text is None:
            return list(history["messages"])
        await ws.send(json.dumps({"type": "message", "id": uuid.uuid4().hex, "text": text}))
        replies: list[dict[str, Any]] = []
        while True:
            try:
                wait = 2.0 if replies else 45.0
                frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=wait))
            except TimeoutError:
                return replies
            if frame["type"] == "message" and frame["sender"] == "bot":
                replies.append(frame)


def talk(url: str, session: str, text: str | None = None) -> list[dict[str, Any]]:
    # a thread of its own: Playwright's sync API keeps a loop running in this one
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _talk(url, session, text)).result()


def test_an_agent_works_a_ticket_from_the_desk(stack: Stack, browser: Browser) -> None:
    url = stack.service_url
    db = Database(stack.config.database_url)
    add_user(db, "chen.desk", "agent", "pw-chen-desk-123", team="cards")
    db.dispose()
    session = httpx.post(f"{url}/chat/session").json()["session"]
    said = "\n".join(r["text"] for r in talk(url, session, "转人工"))
    assert "没有人工坐席在线" in said, said
    found = TICKET.search(said)
    assert found is not None, said
    number = found.group(0)

    SCREENS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    # closed at the end: an open staff app keeps its person on shift, and the stack is
    # shared with the other end-to-end tests, which expect nobody on shift
    try:
        page = context.new_page()
        page.goto(f"{url}/console/app/")
        page.fill("input[name=name]", "chen.desk")
        page.fill("input[name=password]", "pw-chen-desk-123")
        page.click("[data-test=sign-in]")
        page.wait_for_selector("[data-test=count]")
        page.click("[data-test=views] .el-tabs__item:has-text('未分配')")
        page.wait_for_selector(f"[data-test=ticket-link]:has-text('{number}')")
        page.screenshot(path=str(SCREENS / "desk-unassigned.png"))
        page.click(f"[data-test=ticket-link]:has-text('{number}')")
        page.wait_for_selector(f"[data-test=number]:has-text('{number}')")

        page.click(".el-tabs__item:has-text('记录电话')")
        page.click("[data-test=call-outcome] .el-radio:has-text('已联系上')")
        page.fill("textarea[data-test=call-note]", "已致电客户，确认需要重置网银密码")
        page.click("[data-test=save-call]")
        page.wait_for_selector("[data-test=timeline] .entry[data-action=call]")

        page.click(".el-tabs__item:has-text('回复客户')")
        page.fill("textarea[data-test=reply]", "您好，网银密码已为您重置，请查收短信。")
        page.click("[data-test=send-reply]")
        page.wait_for_selector("[data-test=timeline] .entry[data-action=reply]")

        page.click("[data-test=move-resolved]")
        page.fill("textarea[data-test=resolve-note]", "电话核实身份后重置网银密码")
        page.click("[data-test=resolve-apply]")
        page.wait_for_selector("[data-test=status]:has-text('已解决')")
        page.wait_for_selector(".el-dialog", state="hidden")
        page.screenshot(path=str(SCREENS / "desk-resolved.png"))

        # the customer's chat got the reply, then the follow-up's resolution question
        for _ in range(60):
            texts = [m["text"] for m in talk(url, session)]
            if any("已处理完毕" in t for t in texts):
                break
            page.wait_for_timeout(500)
        assert "您好，网银密码已为您重置，请查收短信。" in texts, texts
        asked = [t for t in texts if "已处理完毕" in t]
        assert asked and number in asked[0] and "回复「1」" in asked[0], texts
        assert texts.index("您好，网银密码已为您重置，请查收短信。") < texts.index(asked[0])
    finally:
        context.close()
