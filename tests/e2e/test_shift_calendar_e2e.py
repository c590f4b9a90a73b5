"""The shift calendar decides what the assistant says, for real (Rasa, actions, the
service on PostgreSQL), with the supervisor's calendar in Chromium at 1366×768: with
nobody on shift until 08:30 tomorrow a web-chat customer who asks for a person is told
when the next shift starts; the shift moved to 09:00 in the app changes the answer."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser
from sqlalchemy import delete

from bot.access.accounts import add_user
from bot.core.db import Database
from bot.core.models import Shift
from launcher.stack import Stack
from tests.bot.console.test_desk_browser import desk_page
from tests.e2e.test_desk_e2e import talk

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
SHANGHAI = ZoneInfo("Asia/Shanghai")


def ask_for_a_person(url: str) -> str:
    session = httpx.post(f"{url}/chat/session").json()["session"]
    return "\n".join(r["text"] for r in talk(url, session, "转人工"))


def test_the_assistant_tells_when_the_next_shift_starts(stack: Stack, browser: Browser) -> None:
    url = stack.service_url
    db = Database(stack.config.database_url)
    add_user(db, "he.sup", "supervisor", "pw-he-sup-12345")
    add_user(db, "xu.shift", "agent", "pw-xu-shift-123")
    tomorrow = (datetime.now(SHANGHAI) + timedelta(days=1)).date().isoformat()
    page = desk_page(browser, url, "he.sup", "pw-he-sup-12345")
    # the supervisor's open app keeps them online: online, but nobody is scheduled
    try:
        page.click("[data-nav=shifts]")
        page.wait_for_selector("[data-test=shift-grid]")
        if datetime.fromisoformat(tomorrow).weekday() == 0:
            page.click("[data-test=next-week]")
        page.click(f"[data-test=shift-cell-xu\\.shift-{tomorrow}]")
        page.click("[data-test=shift-save]")
        page.wait_for_selector("[data-test=shift]:has-text('08:30–17:30')")

        said = ask_for_a_person(url)
        assert f"现在没有人工客服值班，下一班于 {tomorrow} 08:30 开始。" in said, said

        page.click("[data-test=shift]:has-text('08:30–17:30')")
        page.click("[data-test=shift-from]")
        page.click(".el-select-dropdown__item:visible:has-text('09:00')")
        page.click("[data-test=shift-save]")
        page.wait_for_selector("[data-test=shift]:has-text('09:00–17:30')")

        said = ask_for_a_person(url)
        assert f"下一班于 {tomorrow} 09:00 开始" in said, said
    finally:
        page.context.close()
        # the stack is shared: the other end-to-end tests expect no calendar
        with db.session() as session:
            session.execute(delete(Shift))
        db.dispose()
