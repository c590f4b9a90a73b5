"""The Content-Security-Policy does not break our own pages: real Chromium, no bypass,
a chat turn and a console sign-in, and not one policy violation reported."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from bot.access.accounts import add_user
from bot.core.db import Database
from tests.helpers import running_service, service_env

pytestmark = pytest.mark.browser


def test_pages_work_under_the_policy(settings, browser: Browser, tmp_path) -> None:
    db = Database(settings.database_url)
    add_user(db, "li.na", "agent", "pw-li-na-123")
    db.dispose()
    with running_service(service_env(settings), tmp_path / "service.log") as url:
        page = browser.new_context().new_page()
        violations: list[str] = []
        page.on(
            "console",
            lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page.goto(f"{url}/chat")
        page.fill("#input", "你好")
        page.keyboard.press("Enter")
        page.wait_for_selector(".row.bot .bubble")
        page.goto(f"{url}/console")
        page.fill("#name", "li.na")
        page.fill("#password", "pw-li-na-123")
        page.click("#signin")
        page.wait_for_selector("#app", state="visible")
        page.wait_for_selector("#canned option >> nth=1", state="attached")  # fetched and drawn
        assert violations == []


def test_finding_9_an_injected_inline_script_does_not_run(
    settings, browser: Browser, tmp_path
) -> None:
    db = Database(settings.database_url)
    add_user(db, "zhou.sup", "supervisor", "pw-zhou-sup-1")
    db.dispose()
    with running_service(service_env(settings), tmp_path / "service.log") as url:
        page = browser.new_context().new_page()
        page.goto(f"{url}/console")
        page.fill("#name", "zhou.sup")
        page.fill("#password", "pw-zhou-sup-1")
        page.click("#signin")
        page.wait_for_selector("#app", state="visible")
        for path in ("/chat", "/console", "/console/app/kb", "/console/app/review"):
            page.goto(f"{url}{path}")
            ran = page.evaluate(
                """() => {
                  window.__injected = false;
                  const s = document.createElement("script");
                  s.textContent = "window.__injected = true";
                  document.body.appendChild(s);
                  return window.__injected;
                }"""
            )
            assert ran is False, path
