"""The quality rubric in real Chromium at 1366×768: a supervisor writes a rule of two
phrases, tries it on a sample chat (it flags the agent's line), saves it, and the next
real chat that says one of the phrases is flagged by it; the agent appeals the score a
second supervisor gave, and the appeal is decided."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser
from sqlalchemy import select

from bot.access.accounts import add_user
from bot.core.db import Database
from bot.core.models import QaFlag, QaRule
from tests.bot.console.test_desk_browser import desk_page
from tests.helpers import (
    SERVICE,
    SESSION_HEADER,
    beat,
    open_chat,
    running_service,
    service_env,
    sign_in,
)

pytestmark = pytest.mark.browser
SCREENS = Path(__file__).resolve().parents[3] / "docs" / "images"


def agent_chat(url: str, settings, visitor: str, lines: list[str]) -> int:
    """A customer asks for a person; li.na takes the chat, says ``lines`` (past the
    compliance warning) and ends it. Returns the handoff."""
    conversation = httpx.post(
        f"{url}/webhooks/webchat",
        json={"id": visitor, "text": "理财产品靠谱吗"},
        headers={SESSION_HEADER: open_chat(httpx, url)},
    ).json()["conversation_id"]
    beat(settings, "li.na")
    queued = httpx.post(
        f"{url}/api/v1/internal/handoffs",
        json={"conversation_id": conversation, "reason": "customer_request"},
        headers=SERVICE,
    ).json()
    assert queued["queued"], queued
    with httpx.Client(base_url=url) as agent:
        sign_in(agent, "li.na", "pw-li-na-123")
        [item] = [i for i in agent.get("/console/api/queue").json() if i["state"] == "queued"]
        chat = f"/console/api/handoffs/{item['handoff_id']}"
        agent.post(f"{chat}/accept")
        for line in lines:
            sent = agent.post(f"{chat}/messages", json={"text": line, "override": True})
            assert sent.status_code == 200, sent.text
        agent.post(f"{chat}/end", json={"disposition": "resolved"})
    return int(item["handoff_id"])


def test_a_rule_of_two_phrases_is_tried_saved_and_flags_a_real_chat(
    settings, browser: Browser, tmp_path
) -> None:
    db = Database(settings.database_url)
    add_user(db, "zhang.sup", "supervisor", "pw-zhang-sup-123")
    add_user(db, "li.na", "agent", "pw-li-na-123")
    with running_service(service_env(settings), tmp_path / "service.log") as url:
        page = desk_page(browser, url, "zhang.sup", "pw-zhang-sup-123")
        page.click("[data-nav=rules]")
        page.click("[data-test=rule-add]")
        page.fill("[data-test=rule-title-zh]", "禁止过度承诺")
        page.fill("[data-test=rule-title-en]", "No over-promising")
        for phrase in ("包您满意", "绝对没问题"):
            page.click("[data-test=rule-phrases]")
            page.keyboard.type(phrase)
            page.keyboard.press("Enter")
        page.keyboard.press("Escape")
        page.fill(
            "textarea[data-test=rule-sample]", "客户：这个理财靠谱吗\n这个产品绝对没问题，您放心"
        )
        page.click("[data-test=rule-try]")
        verdict = page.inner_text("[data-test=rule-verdict]")
        assert "此规则会标记这段对话（第 2 行）" in verdict
        assert page.inner_text("[data-test=rule-result] .mark.pattern") == "绝对没问题"
        page.wait_for_timeout(300)
        page.screenshot(path=str(SCREENS / "quality-rule-test.png"))
        page.click("[data-test=rule-save]")
        page.wait_for_selector("[data-test=rubric] .el-table__row:has-text('禁止过度承诺')")
        assert "包您满意、绝对没问题" in page.inner_text(
            "[data-test=rubric] .el-table__row:has-text('禁止过度承诺')"
        )

        chat = agent_chat(url, settings, "visitor-overpromise", ["您好，这款产品绝对没问题"])
        page.click("[data-nav=appeals]")
        row = f"[data-test=flagged] .el-table__row:has-text('#{chat}')"
        page.wait_for_selector(f"{row} [data-test=flag]:has-text('禁止过度承诺')")
        page.wait_for_timeout(300)
        page.screenshot(path=str(SCREENS / "quality-flagged.png"))

    with db.session() as session:
        key = session.scalar(select(QaRule.key).where(QaRule.title_zh == "禁止过度承诺"))
        flagged = set(session.scalars(select(QaFlag.rule_key).where(QaFlag.handoff_id == chat)))
    assert key in flagged
    db.dispose()


def test_an_agent_appeals_a_score_and_a_supervisor_changes_it(
    settings, browser: Browser, tmp_path
) -> None:
    db = Database(settings.database_url)
    add_user(db, "zhang.sup", "supervisor", "pw-zhang-sup-123")
    add_user(db, "li.na", "agent", "pw-li-na-123")
    with running_service(service_env(settings), tmp_path / "service.log") as url:
        chat = agent_chat(url, settings, "visitor-appeal", ["您好，已为您处理完毕"])
        with httpx.Client(base_url=url) as sup:
            sign_in(sup, "zhang.sup", "pw-zhang-sup-123")
            keys = [r["key"] for r in sup.get("/api/v1/qa/rules").json() if r["active"]]
            scores = {key: 3 for key in keys}
            made = sup.post("/api/v1/qa/reviews", json={"handoff_id": chat, "scores": scores})
            assert made.status_code == 201
        li = desk_page(browser, url, "li.na", "pw-li-na-123")
        li.click("[data-nav=my-scores]")
        li.click("[data-test=appeal-open]")
        li.fill("textarea[data-test=appeal-reason]", "客户最后表示满意，问题已解决")
        li.click(".el-dialog:visible [data-test=appeal-send]")
        li.wait_for_selector("[data-test=appeal-state]:has-text('处理中')")

        sup_page = desk_page(browser, url, "zhang.sup", "pw-zhang-sup-123")
        sup_page.click("[data-nav=appeals]")
        sup_page.click(".el-tabs__item:has-text('待处理申诉')")
        sup_page.click("[data-test=appeal-decide]")
        sup_page.click("[data-test=appeal-outcome] label:has-text('调整评分')")
        boxes = sup_page.locator(".el-dialog:visible .scores .el-input-number input")
        for n in range(boxes.count()):
            boxes.nth(n).fill("4")
        sup_page.fill("textarea[data-test=appeal-note]", "复核录音后调整")
        sup_page.click(".el-dialog:visible [data-test=appeal-send]")
        sup_page.wait_for_selector("text=没有待处理的申诉")

        li.reload()
        li.wait_for_selector("[data-test=appeal-state]:has-text('已调整评分')")
        assert li.inner_text("[data-test=my-total]") == "80"
        li.wait_for_timeout(300)
        li.screenshot(path=str(SCREENS / "quality-my-scores.png"))
    db.dispose()
