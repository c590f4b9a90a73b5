"""The weekly targets report by e-mail: last week's figures against the targets, to the
supervisor (every team) and to each team's supervisor (their team), once a week at the
configured weekday and hour in the service's time zone.

Sent once across replicas: the week is claimed with a row in ``channel_state`` (unique
on channel and key) before anything goes out; a replica that loses the race sends
nothing. A week whose mail failed is not retried (the figures stay in the staff app).
"""

from __future__ import annotations

import logging
import smtplib
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.claims import claim_once
from bot.core.config import Settings
from bot.core.db import Database
from bot.core.models import utcnow
from bot.sla import targets, targets_export
from bot.sla.notify import SmtpConfig, send_text
from bot.sla.setup import addresses

log = logging.getLogger(__name__)


def week_due(now: datetime, settings: Settings) -> date | None:
    """The Monday of the week to report, once this week's sending time has come."""
    tz = ZoneInfo(settings.display_timezone)
    today = now.astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    send_at = datetime.combine(
        monday + timedelta(days=settings.weekly_report_weekday),
        time(settings.weekly_report_hour),
        tzinfo=tz,
    )
    return monday - timedelta(days=7) if now >= send_at else None


def text_of(report: dict[str, object], team: str | None) -> str:
    """The report as plain text, Chinese first, with the same rows as the download."""
    period = report["period"]
    assert isinstance(period, dict)
    lines = [
        f"安心客服 · 服务指标周报 {period['label']}" + (f"（团队 {team}）" if team else ""),
        f"Anxin · weekly service targets {period['label']}" + (f" (team {team})" if team else ""),
        "",
        " | ".join(targets_export.REPORT_HEADER),
    ]
    for row in targets_export.report_rows(report):
        if not row:
            break
        lines.append(" | ".join("" if v is None else str(v) for v in row))
    lines += [
        "",
        "明细请在工作台「服务指标」中查看 / the tickets behind each figure: Staff app → Service targets",
    ]
    return "\n".join(lines)


class WeeklyReport:
    """Checked at every SLA scan; remembers the last week it dealt with (no query then)."""

    def __init__(self, db: Database, settings: Settings, smtp: SmtpConfig | None) -> None:
        self.db, self.settings, self.smtp = db, settings, smtp
        self.last_week: date | None = None

    def send_if_due(self, now: datetime | None = None) -> bool:
        """Send last week's report if its time has come and no replica sent it yet."""
        if self.smtp is None:
            return False
        now = now or utcnow()
        week = week_due(now, self.settings)
        if week is None or week == self.last_week:
            return False
        self.last_week = week
        return send(self.db, self.settings, self.smtp, week, now)


def send(db: Database, settings: Settings, smtp: SmtpConfig, week: date, now: datetime) -> bool:
    """Claim the week and mail its report to every supervisor configured."""
    to = addresses(settings)
    recipients: list[tuple[str, str | None]] = [(to.supervisor, None)] if to.supervisor else []
    recipients += [(email, team) for team, email in sorted(to.team_supervisors.items())]
    if not recipients or not claim_once(db, f"weekly:{week.isoformat()}"):
        return False
    win = targets.window("week", week, settings.display_timezone)
    goals = targets.Goals.of(settings)
    for email, team in recipients:
        with db.session() as session:
            report = targets.report(targets.find(session, win, goals, now, team))
        try:
            send_text(
                smtp,
                email,
                f"服务指标周报 / Weekly service targets {win.label}",
                text_of(report, team),
            )
        except (OSError, smtplib.SMTPException):
            log.warning("the weekly report to %s could not be sent", email)
    return True
