"""The weekly targets report by e-mail: due once the week's sending time has come (in
the service's time zone), sent once however many replicas check, to the supervisor and
to each team's supervisor with their team's figures (a real SMTP server on 127.0.0.1)."""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta
from email.message import Message

from bot.core.config import Settings
from bot.core.db import Database
from bot.core.migrate import upgrade
from bot.sla.notify import SmtpConfig
from bot.sla.weekly_report import WeeklyReport, week_due
from tests.bot.sla.test_targets import seed_boundaries


def test_the_report_is_due_at_monday_nine_in_shanghai() -> None:
    settings = Settings()
    monday_0859 = datetime(2026, 11, 30, 0, 59, tzinfo=UTC)  # 08:59 in Shanghai
    assert week_due(monday_0859, settings) is None
    due = week_due(monday_0859 + timedelta(minutes=1), settings)
    assert due is not None and due.isoformat() == "2026-11-23"
    assert week_due(datetime(2026, 12, 3, tzinfo=UTC), settings) == due  # all week long


def body(raw: str) -> str:
    parsed: Message = email.message_from_string(raw)
    part = parsed.get_payload(decode=True)
    assert isinstance(part, bytes)
    return part.decode("utf-8")


def test_sent_once_to_the_supervisor_and_each_team(database_url: str, smtp_sink) -> None:
    upgrade(database_url)
    db = Database(database_url)
    seeded = seed_boundaries(db)
    settings = Settings(
        ANXIN_SUPERVISOR_EMAIL="head@bank.example",
        ANXIN_TEAM_SUPERVISOR_EMAILS="cards=cards-lead@bank.example,loans=loans-lead@bank.example",
    )
    smtp = SmtpConfig("127.0.0.1", smtp_sink.port, "anxin@bank.example")
    opened = datetime(seeded.month.year, seeded.month.month, 10, 2, tzinfo=UTC)
    # the Monday after the week the cases were opened in, at 09:00 in Shanghai
    monday = opened.date() + timedelta(days=7 - opened.weekday())
    sending = datetime(monday.year, monday.month, monday.day, 1, 0, tzinfo=UTC)
    first, second = WeeklyReport(db, settings, smtp), WeeklyReport(db, settings, smtp)
    assert first.send_if_due(sending) is True
    assert second.send_if_due(sending) is False  # another replica: the week is claimed
    assert first.send_if_due(sending + timedelta(hours=1)) is False
    mails = {tuple(to): body(raw) for to, raw in smtp_sink.messages}
    assert set(mails) == {
        ("head@bank.example",),
        ("cards-lead@bank.example",),
        ("loans-lead@bank.example",),
    }
    head, cards, loans = (
        mails[("head@bank.example",)],
        mails[("cards-lead@bank.example",)],
        mails[("loans-lead@bank.example",)],
    )
    assert "服务指标周报" in head and "重大问题4小时内解决率 | ≥ 100.0% | 33.3%" in head
    assert "（团队 cards）" in cards and "重大问题4小时内解决率 | ≥ 100.0% | 33.3%" in cards
    assert "重大问题4小时内解决率 | ≥ 100.0% |  | 0 | 0 | 0 | 无数据" in loans
