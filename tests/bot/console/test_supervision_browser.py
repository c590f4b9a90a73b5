"""Supervisors in the staff app, real Chromium at 1366×768 (customers at 390×844).

- The service targets on a database seeded with the boundary cases show the values
  worked out by hand (``tests/bot/sla/test_targets.py``), all red against the bank's
  targets; a click from "major issues within 4 h" lists exactly the P1 tickets that
  missed.
- The live floor shows a customer who just joined the queue (by the ticket number in
  the queue, not by a time limit); listen, whisper and take-over work and are in the
  audit trail; the whisper never reaches the customer.
- Every page in Chinese shows none of the internal codes (the list is generated from
  the code's own enums, event names and escalation steps).
"""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Browser, Page
from sqlalchemy import select

from bot.access.accounts import add_user, set_public_name
from bot.core.db import Database
from bot.core.models import AuditEntry, Handoff, Message, Ticket
from bot.core.models.conversations import SENDERS
from bot.handoff import presence, queue
from bot.sla.ladder import LadderConfig, ladder
from bot.tickets import lifecycle, policy, revisits
from bot.transcripts.timeline import _marks
from channels import sms, telegram, webchat, wechat, wecom
from tests.bot.console.test_chat_console_browser import PHONE, hand_over, say
from tests.bot.console.test_desk_browser import desk_page
from tests.bot.sla.test_targets import seed_boundaries
from tests.helpers import running_service, service_env

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[3]
SCREENS = ROOT / "var" / "screenshots"


def incident_subcategories() -> set[str]:
    """The action server's incident subcategories (its own process: read from its source)."""
    tree = ast.parse((ROOT / "actions" / "actions.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "INCIDENT_BY_INTENT" for t in node.targets
        ):
            return set(ast.literal_eval(node.value).values())
    raise AssertionError("INCIDENT_BY_INTENT is gone from actions/actions.py")


def internal_codes() -> set[str]:
    """Every code the service stores or sends that a person should never read."""
    codes: set[str] = set(policy.STATUSES) | set(policy.CATEGORIES)
    codes |= set(queue.REASONS) | set(lifecycle.EVENTS) | set(lifecycle.CALL_OUTCOMES)
    codes |= set(lifecycle.ACTORS) | set(SENDERS)
    codes |= set(revisits.RESULTS) | set(revisits.SATISFACTION) | {"plan", "low_score"}
    codes |= set(presence.STATUSES) | {"standard", "left_queue"}
    codes |= incident_subcategories() | {"escalation_risk"}
    codes |= set(yaml.safe_load((ROOT / "domain.yml").read_text())["intents"])
    codes |= {module.CHANNEL for module in (webchat, wechat, wecom, sms, telegram)}
    codes |= {"zh", "en"}  # languages
    # the escalation ladder of a P1 with every clock running, and the chat's marks
    now = datetime.now(UTC)
    ticket = Ticket(
        priority="P1",
        status="open",
        created_at=now,
        first_response_due_at=now,
        resolution_due_at=now + timedelta(hours=4),
        callback_due_at=now,
        callback_round=1,
        next_response_due_at=now,
        response_round=0,
        team="cards",
        assignee="li.na",
    )
    for step in ladder(ticket, LadderConfig(page_levels=2)):
        codes |= {step.step, step.target}
    handoff = Handoff(
        id=1,
        reason="p1",
        queued_at=now,
        accepted_at=now,
        ended_at=now,
        agent="li.na",
        disposition="resolved",
    )
    codes |= {mark["event"] for _, mark in _marks(handoff)}
    return codes - {"agent:li.na"}  # a person's name is not a code


def codes_on(page: Page, codes: set[str]) -> list[str]:
    page.wait_for_timeout(400)
    text = page.inner_text("body")
    return sorted(
        code
        for code in codes
        # a canned reply's {customer} is a variable staff write on purpose
        if re.search(rf"(?<![\w.:{{]){re.escape(code)}(?![\w:}}])", text)
    )


def test_the_targets_show_the_hand_worked_values_and_the_tickets_behind_them(
    settings, browser: Browser, tmp_path
) -> None:
    db = Database(settings.database_url)
    add_user(db, "zhao.s", "supervisor", "pw-zhao-s-123")
    seeded = seed_boundaries(db)
    n = seeded.numbers
    codes = internal_codes()
    SCREENS.mkdir(parents=True, exist_ok=True)
    with running_service(service_env(settings), tmp_path / "service.log") as url:
        zhao = desk_page(browser, url, "zhao.s", "pw-zhao-s-123")
        zhao.goto(f"{url}/console/app/targets?period=month&at={seeded.month.isoformat()}")
        zhao.wait_for_selector("[data-test=period-label]")
        assert zhao.inner_text("[data-test=period-label]") == seeded.month.strftime("%Y-%m")

        def value(key: str) -> str:
            return zhao.inner_text(f"[data-test=target-{key}] [data-test=value]")

        assert value("answered") == "71.4%"  # 5 of 7: b at 24:01 and g never answered
        assert value("handling") == "17.6 小时"  # (30 + 30 + 3:59 + 4:01 + 20) / 5
        assert value("major") == "33.3%"  # c at 3:59; d at 4:01 and e still open missed
        assert value("revisit") == "50.0%"  # a reached, b never
        assert value("satisfaction") == "50.0%"  # answers 4 and 3
        assert "100.0%" in zhao.inner_text("[data-test=revisit-satisfied]")
        for key in ("answered", "handling", "major", "revisit", "satisfaction"):
            assert zhao.inner_text(f"[data-test=target-{key}] [data-test=status]") == "未达标"
        assert "14.3%" in zhao.inner_text("[data-test=beside-repeat]")  # g repeats a
        assert "60.0%" in zhao.inner_text("[data-test=beside-fcr]")
        assert "3 / 10" in zhao.inner_text("[data-test=beside-containment]")
        zhao.wait_for_timeout(500)
        zhao.screenshot(path=str(SCREENS / "supervisor-targets.png"))
        assert codes_on(zhao, codes) == []

        # from "major issues within 4 h" to exactly the P1 tickets that missed
        zhao.click("[data-test=target-major] [data-test=missed]")
        zhao.wait_for_selector("[data-test=behind-count]:has-text('2')")
        zhao.wait_for_selector("[data-test=behind-ticket]")
        listed = zhao.locator("[data-test=behind-ticket]").all_inner_texts()
        assert listed == [n["d"], n["e"]]
        zhao.wait_for_timeout(400)
        zhao.screenshot(path=str(SCREENS / "supervisor-targets-behind.png"))
        assert codes_on(zhao, codes) == []
        zhao.click(f"[data-test=behind-ticket]:text-is('{n['d']}')")
        zhao.wait_for_url(f"**/tickets/{n['d']}")
        zhao.wait_for_selector("[data-test=status]")
        assert codes_on(zhao, codes) == []

        # the download has Chinese headers
        response = zhao.request.get(
            f"{url}/api/v1/targets/export?format=csv&period=month&at={seeded.month.isoformat()}"
        )
        assert response.ok
        assert response.body().decode("utf-8-sig").splitlines()[0].startswith("指标,目标,实际")

        # in English for English users
        zhao.goto(f"{url}/console/app/targets?period=month&at={seeded.month.isoformat()}")
        zhao.click(".el-radio-button:has-text('EN')")
        zhao.wait_for_selector("[data-test=target-major]:has-text('Major issues within 4 h')")
        zhao.wait_for_timeout(500)
        zhao.screenshot(path=str(SCREENS / "supervisor-targets-en.png"))
        zhao.click(".el-radio-button:has-text('中文')")
        # a browser in English opens the app in English until someone chooses
        english = browser.new_context(locale="en-US").new_page()
        english.goto(f"{url}/console/app/")
        english.wait_for_selector("[data-test=sign-in]:has-text('Sign in')")
        with db.session() as session:
            read = session.scalars(
                select(AuditEntry.object_type).where(AuditEntry.actor == "zhao.s")
            ).all()
        assert "targets" in read and "targets_tickets" in read


def test_the_live_floor_listen_whisper_take_over_and_no_codes_anywhere(
    settings, fake_rasa, browser: Browser, tmp_path
) -> None:
    db = Database(settings.database_url)
    add_user(db, "li.na", "agent", "pw-li-na-123", team="cards", capacity=3)
    add_user(db, "zhao.s", "supervisor", "pw-zhao-s-123")
    set_public_name(db, "li.na", "小李", "1024")
    fake_rasa.intents["我的信用卡丢了"] = "report_card_lost"
    fake_rasa.reply = lambda text: [{"text": "正在为您转接人工客服"}]
    codes = internal_codes()
    SCREENS.mkdir(parents=True, exist_ok=True)
    with running_service(service_env(settings), tmp_path / "service.log") as url:
        li = desk_page(browser, url, "li.na", "pw-li-na-123")
        li.click("[data-nav=chats]")
        li.wait_for_selector("[data-test=status]")
        zhao = desk_page(browser, url, "zhao.s", "pw-zhao-s-123")
        zhao.click("[data-nav=floor]")
        zhao.wait_for_selector(
            "[data-test=person][data-name='li.na'] [data-test=state]:has-text('在线')"
        )
        assert zhao.inner_text("[data-test=queue-length]").endswith("0")

        # a customer joins the queue: the floor shows her ticket there
        anna = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
        anna.goto(f"{url}/chat")
        say(anna, "我的信用卡丢了")
        anna.wait_for_selector(".row.bot .bubble:has-text('转接')")
        conversation = hand_over(anna, url, "anna-floor", "incident", "card_lost", "p1")
        with db.session() as session:
            number = session.scalar(
                select(Ticket.number).join(Handoff, Handoff.ticket_id == Ticket.id)
            )
        zhao.wait_for_selector(f"[data-test=floor-queued]:has-text('{number}')")
        assert "紧急事件" in zhao.inner_text("[data-test=floor-queued]")
        zhao.wait_for_selector("[data-test=queue-length]:has-text('1')")
        zhao.wait_for_timeout(300)
        zhao.screenshot(path=str(SCREENS / "supervisor-floor-queue.png"))
        assert codes_on(zhao, codes) == []

        # li.na takes it; the floor shows the chat under her name
        li.wait_for_selector("[data-test=queued] [data-test=accept]")
        li.click("[data-test=queued] [data-test=accept]")
        li.wait_for_selector("[data-test=summary]")
        assert codes_on(li, codes) == []
        zhao.wait_for_selector("[data-test=person][data-name='li.na'] [data-test=floor-chat]")
        say(anna, "昨天在地铁上丢的")
        li.wait_for_selector(".bubble:has-text('地铁')")

        # listen (read-only), then whisper to li.na
        zhao.click("[data-test=person][data-name='li.na'] [data-test=listen]")
        zhao.wait_for_selector("[data-test=listen-message]:has-text('地铁')")
        assert zhao.locator("[data-test=listening] textarea").count() == 1  # the whisper only
        zhao.fill("textarea[data-test=whisper-text]", "先帮客户冻结卡片，再核实身份")
        zhao.click("[data-test=whisper-send]")
        li.wait_for_selector("[data-test=whisper]:has-text('先帮客户冻结卡片')")
        li.wait_for_timeout(300)
        li.screenshot(path=str(SCREENS / "supervisor-whisper-agent.png"))
        say(anna, "多久能补卡")
        zhao.wait_for_selector("[data-test=listen-message]:has-text('多久能补卡')")
        zhao.wait_for_timeout(300)
        zhao.screenshot(path=str(SCREENS / "supervisor-floor-listen.png"))
        assert codes_on(zhao, codes) == []
        with db.session() as session:  # never stored as a message, never sent
            assert not session.scalars(
                select(Message.id).where(Message.text.contains("冻结卡片"))
            ).all()

        # take over: the chat is zhao's, li.na is told
        zhao.click("[data-test=drawer-take-over]")
        zhao.click(".el-message-box .el-button--primary")
        zhao.wait_for_url("**/chats")
        zhao.wait_for_selector("[data-test=my-chat]")
        li.wait_for_selector(".el-message:has-text('主管已接管此会话')")
        for _ in range(50):
            if li.locator("[data-test=my-chat]").count() == 0:
                break
            li.wait_for_timeout(100)
        assert li.locator("[data-test=my-chat]").count() == 0
        zhao.click("[data-test=my-chat]")
        zhao.fill("textarea[data-test=draft]", "您好，我是值班主管，已为您加急处理")
        zhao.keyboard.press("Enter")
        anna.wait_for_selector(".row.agent .bubble:has-text('值班主管')")
        zhao.wait_for_selector("[data-test=summary]")
        assert codes_on(zhao, codes) == []

        # the ticket's page names the take-over and the P1 page in words
        zhao.goto(f"{url}/console/app/tickets/{number}")
        zhao.wait_for_selector("[data-action=take_over]")
        zhao.wait_for_selector("[data-kind=escalation]")
        timeline = zhao.inner_text("body")
        assert "接管会话" in timeline and "第1级值班呼叫" in timeline
        zhao.wait_for_timeout(600)
        zhao.screenshot(path=str(SCREENS / "supervisor-ticket-timeline.png"))
        assert codes_on(zhao, codes) == []

        # every other page, in Chinese
        for nav in (
            "tickets",
            "revisits",
            "kb",
            "shifts",
            "my-scores",
            "canned",
            "targets",
            "floor",
            "rules",
            "appeals",
            "review",
        ):
            zhao.click(f"[data-nav={nav}]")
            zhao.wait_for_timeout(800)
            if nav == "review":  # with the taken-over chat's timeline open
                zhao.click("[data-test=result]")
                zhao.wait_for_selector("[data-test=timeline]:has-text('值班主管')")
            assert codes_on(zhao, codes) == [], nav
        # the older page still served beside the app
        zhao.goto(f"{url}/console")
        zhao.wait_for_selector("#app", state="visible")
        zhao.wait_for_timeout(800)
        assert codes_on(zhao, codes) == [], "/console"
        with db.session() as session:
            audited = {
                (e.action, e.object_type)
                for e in session.scalars(select(AuditEntry).where(AuditEntry.actor == "zhao.s"))
            }
        assert {("listen", "chat"), ("whisper", "handoff"), ("take_over", "handoff")} <= audited
        del conversation
